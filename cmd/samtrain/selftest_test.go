package main

import (
	"io"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestSelftestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // substring of the error
	}{
		{[]string{"samtrain", "selftest", "--device", "cpu"}, "--device cpu"},
		{[]string{"samtrain", "selftest", "--device", "tpu"}, `--device "tpu"`},
		{[]string{"samtrain", "selftest", "--device", "auto", "--precision", "fp16"}, `--precision "fp16"`},
	} {
		app := &cli.App{Name: "samtrain", Commands: []*cli.Command{selftestCommand()}, Writer: io.Discard, ErrWriter: io.Discard}
		err := app.Run(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args[1:], err, tc.want)
		}
	}
}
