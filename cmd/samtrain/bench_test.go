package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runBench runs "samtrain bench args..." on an app holding only the bench
// command (main.go wires it into the real one).
func runBench(args ...string) (string, error) {
	var out bytes.Buffer
	app := &cli.App{
		Name: "samtrain", Commands: []*cli.Command{benchCommand()},
		Writer: &out, ErrWriter: &out, OnUsageError: onUsageError,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	err := app.RunContext(context.Background(), append([]string{"samtrain", "bench"}, args...))
	return out.String(), err
}

// TestBenchCommand runs a tiny benchmark and checks the table and the JSON:
// one row per method (ERM, n-SAM, then each distinct m < B), with the passes
// per step of each. Speed is not asserted.
func TestBenchCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	stdout, err := runBench("--width", "2", "--batch-size", "8", "--m", "8,4,2", "--steps", "2", "--warmup", "0", "--threads", "1", "--json", out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep benchReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name           string
		m, passes, row int
	}{{"ERM", 0, 1, 0}, {"n-SAM", 8, 2, 1}, {"m-SAM", 4, 4, 2}, {"m-SAM", 2, 8, 3}}
	if len(rep.Results) != len(want) || rep.Batch != 8 || rep.Width != 2 || rep.Steps != 2 {
		t.Fatalf("report %+v", rep)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2+len(want) {
		t.Fatalf("table has %d lines, want %d:\n%s", len(lines), 2+len(want), stdout)
	}
	for i, w := range want {
		r := rep.Results[i]
		if (r.Name != w.name) || (w.name != "ERM" && r.M != w.m) || r.Passes != w.passes || len(r.StepSeconds) != 2 {
			t.Errorf("result %d: %+v, want %s m=%d with %d passes", i, r, w.name, w.m, w.passes)
		}
		if !(r.ImagesPerSec > 0) || r.TimeRatio != rep.Results[0].ImagesPerSec/r.ImagesPerSec {
			t.Errorf("result %d: %v images/s, time ratio %v", i, r.ImagesPerSec, r.TimeRatio)
		}
		if f := strings.Fields(lines[2+i]); len(f) < 3 || f[0] != w.name {
			t.Errorf("table row %q, want method %s", lines[2+i], w.name)
		}
	}
}

func TestBenchCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--batch-size", "8", "--m", "3"},
		{"--batch-size", "0"},
		{"--width", "0"},
		{"--rho", "0"},
		{"--steps", "0"},
		{"--warmup", "-1"},
		{"--threads", "0"},
		{"--device", "tpu"},
		{"--precision", "bf32"},
		{"--device", "cpu", "--precision", "bf16"},
		{"--model", "vgg"},
		{"extra"},
	} {
		_, err := runBench(args...)
		var u *usageError
		if !errors.As(err, &u) {
			t.Errorf("bench %v: %v, want a usage error", args, err)
		}
	}
}
