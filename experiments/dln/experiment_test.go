package dln

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunExperimentWritesEverything(t *testing.T) {
	data, err := Generate(DataConfig{N: 8, NTest: 50, D: 12, K: 2, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := RunExperiment(context.Background(), data, ExperimentConfig{
		Methods: []Method{GD, SGD, NSAM, OneSAM}, Rhos: []float64{0.05, 0.2},
		Iters: 300, Theory: true, LinePoints: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rep.Grid), 2+2+2; got != want {
		t.Errorf("%d grid rows, want %d", got, want)
	}
	if len(rep.Switch) != 4 || len(rep.Line) != 5 {
		t.Fatalf("%d switching rows and %d line points, want 4 and 5", len(rep.Switch), len(rep.Line))
	}
	// The line starts at the ERM solution and ends at the ERM→1-SAM one.
	if rep.Line[0].Test != rep.Switch[0].Test || rep.Line[4].Test != rep.Switch[2].Test {
		t.Errorf("line ends %v, %v; runs %v, %v", rep.Line[0].Test, rep.Line[4].Test, rep.Switch[0].Test, rep.Switch[2].Test)
	}
	// The switching ρ is the grid's best 1-SAM ρ.
	best := rep.Grid[4]
	if rep.Grid[5].Test < best.Test {
		best = rep.Grid[5]
	}
	if rep.Config.SwitchRho != best.Rho {
		t.Errorf("SwitchRho = %v, want %v", rep.Config.SwitchRho, best.Rho)
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| GD |", "| 1-SAM ρ=0.2 |", "GD→1-SAM", "| 1.00 |"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("Markdown lacks %q", s)
		}
	}
	dir := t.TempDir()
	if err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"test_vs_iter.png", "test_vs_rho.png", "switch.png", "line.png"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s is not a PNG", f)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "\n"); got != 1+6+4 {
		t.Errorf("results.csv has %d lines, want 11", got)
	}
	if _, err := RunExperiment(context.Background(), data, ExperimentConfig{Iters: 0}); err == nil {
		t.Error("Iters 0: no error")
	}
}

// TestSavePlotDegenerate: one ρ gives a log axis over a single value, which
// gonum/plot would pad below zero and panic on.
func TestSavePlotDegenerate(t *testing.T) {
	dir := t.TempDir()
	err := savePlot(filepath.Join(dir, "p.png"), "t", "x", "y", true, true,
		[]series{{name: "a", x: []float64{0.3, 0.3}, y: []float64{1e-3, 1e-3}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := savePlot(filepath.Join(dir, "q.png"), "t", "x", "y", true, true,
		[]series{{name: "a", x: []float64{-1}, y: []float64{0}}}); err == nil {
		t.Error("no finite points: no error")
	}
}
