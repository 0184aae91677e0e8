package relu1d

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunExperiment(t *testing.T) {
	rep, err := RunExperiment(context.Background(), ExperimentConfig{
		Seeds: []uint64{0, 1}, Hidden: 10, LR: 5e-4, MaxSteps: 300, Thresholds: []float64{0.1, 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 4 {
		t.Fatalf("%d runs, want 4", len(rep.Runs))
	}
	for i, r := range rep.Runs {
		if r.SAM != (i%2 == 1) || len(r.Kinks) != 2 {
			t.Errorf("run %d: SAM %v, %d kink lists", i, r.SAM, len(r.Kinks))
		}
		// A higher threshold keeps a subset of the kinks.
		if len(r.Kinks[1]) > len(r.Kinks[0]) {
			t.Errorf("run %d: %d kinks above 1 but %d above 0.1", i, len(r.Kinks[1]), len(r.Kinks[0]))
		}
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| mean | SAM ρ=0.3 |") {
		t.Errorf("Markdown lacks the SAM mean row:\n%s", md.String())
	}
	dir := t.TempDir()
	if err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"fit_seed0.png", "fit_seed1.png"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG", f)
		}
	}
	if _, err := RunExperiment(context.Background(), ExperimentConfig{}); err == nil {
		t.Error("no seeds: no error")
	}
}
