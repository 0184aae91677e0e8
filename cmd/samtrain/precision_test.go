package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/samtrain/samtrain/train"
)

func TestWarnPrecision(t *testing.T) {
	for _, tc := range []struct {
		name, config, prec, want string
	}{
		{"same", `{"info": {"precision": "bf16"}}`, "bf16", ""},
		{"changed", `{"info": {"precision": "bf16"}}`, "fp32",
			"note: the run computed with --precision bf16, resuming with fp32: its later epochs compute differently\n"},
		{"older run was fp32", `{"info": {"threads": 2}}`, "tf32",
			"note: the run computed with --precision fp32, resuming with tf32: its later epochs compute differently\n"},
		{"older run, fp32", `{"info": {}}`, "fp32", ""},
		{"unreadable config", `{`, "bf16", ""},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, train.ConfigFile), []byte(tc.config), 0o644); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		warnPrecision(&buf, dir, tc.prec)
		if buf.String() != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, buf.String(), tc.want)
		}
	}
}
