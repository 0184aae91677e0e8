package train

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestTickLabels checks that every labelled tick reads as its value (to 6
// digits), over ranges where gonum's default labels are rounded.
func TestTickLabels(t *testing.T) {
	for _, r := range [][2]float64{{1.5277, 1.9911}, {0, 100}, {-1, 2}, {0.0012, 0.0049}} {
		n := 0
		for _, tk := range (exactTicks{}).Ticks(r[0], r[1]) {
			if tk.Label == "" {
				continue
			}
			n++
			v, err := strconv.ParseFloat(tk.Label, 64)
			if err != nil || math.Abs(v-tk.Value) > 1e-6*math.Abs(tk.Value) {
				t.Errorf("range %v: tick %v labelled %q", r, tk.Value, tk.Label)
			}
		}
		if n < 2 {
			t.Errorf("range %v: %d labelled ticks", r, n)
		}
	}
}

func TestPlotFiles(t *testing.T) {
	dir := t.TempDir()
	e := 0.5
	runs := []Curve{{"a", []Metrics{{Epoch: 1, TrainLoss: 2, TestLoss: 2.1, TrainErr: 0.8, TestErr: 0.85}, {Epoch: 2, TrainLoss: 1.5, TestLoss: 1.7, TrainErr: 0.6, TestErr: 0.65, ValErr: &e}}}}
	pts := []Point{{T: 0, Train: Score{Loss: 1}, Test: Score{Loss: 1.2}}, {T: 1, Train: Score{Loss: 1.1}, Test: Score{Loss: 1.3}}}
	for _, tc := range []struct {
		name string
		draw func(string) error
		ok   bool
	}{
		{"runs", func(p string) error { return PlotRuns(p, runs) }, true},
		{"interpolation", func(p string) error { return PlotInterpolation(p, pts) }, true},
		{"no runs", func(p string) error { return PlotRuns(p, nil) }, false},
		{"empty run", func(p string) error { return PlotRuns(p, []Curve{{Name: "x"}}) }, false},
		{"no points", func(p string) error { return PlotInterpolation(p, nil) }, false},
	} {
		p := filepath.Join(dir, tc.name+".png")
		err := tc.draw(p)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !tc.ok {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() <= img.Bounds().Dy() { // two panels side by side
			t.Errorf("%s: %v %v", tc.name, err, img.Bounds())
		}
	}
}
