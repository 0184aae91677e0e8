package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Curve is one run's metrics under a legend name.
type Curve struct {
	Name    string
	Metrics []Metrics
}

// PlotRuns writes to path a PNG of two panels side by side: the loss and the
// error (percent) per epoch of each run, training as solid lines, test as
// dashed ones, one colour per run.
func PlotRuns(path string, runs []Curve) error {
	if len(runs) == 0 {
		return fmt.Errorf("train: plot: no runs")
	}
	loss, errp := newPlot("loss", "epoch", "cross-entropy"), newPlot("error", "epoch", "error (%)")
	for i, r := range runs {
		if len(r.Metrics) == 0 {
			return fmt.Errorf("train: plot: run %s has no epochs", r.Name)
		}
		var tl, sl, te, se plotter.XYs
		for _, m := range r.Metrics {
			x := float64(m.Epoch)
			tl = append(tl, plotter.XY{X: x, Y: m.TrainLoss})
			sl = append(sl, plotter.XY{X: x, Y: m.TestLoss})
			te = append(te, plotter.XY{X: x, Y: 100 * m.TrainErr})
			se = append(se, plotter.XY{X: x, Y: 100 * m.TestErr})
		}
		c := plotutil.Color(i)
		if err := addLine(loss, tl, c, false, r.Name+" train"); err != nil {
			return err
		}
		if err := addLine(loss, sl, c, true, r.Name+" test"); err != nil {
			return err
		}
		if err := addLine(errp, te, c, false, r.Name+" train"); err != nil {
			return err
		}
		if err := addLine(errp, se, c, true, r.Name+" test"); err != nil {
			return err
		}
	}
	return savePNG(path, loss, errp)
}

// PlotInterpolation writes to path a PNG of two panels side by side: loss
// and error (percent) along t of an interpolation, training and test.
func PlotInterpolation(path string, pts []Point) error {
	if len(pts) == 0 {
		return fmt.Errorf("train: plot: no interpolation points")
	}
	loss, errp := newPlot("loss along (1-t)A + tB", "t", "cross-entropy"), newPlot("error along (1-t)A + tB", "t", "error (%)")
	var tl, sl, te, se plotter.XYs
	for _, p := range pts {
		tl = append(tl, plotter.XY{X: p.T, Y: p.Train.Loss})
		sl = append(sl, plotter.XY{X: p.T, Y: p.Test.Loss})
		te = append(te, plotter.XY{X: p.T, Y: 100 * p.Train.Err})
		se = append(se, plotter.XY{X: p.T, Y: 100 * p.Test.Err})
	}
	for _, l := range []struct {
		p      *plot.Plot
		xy     plotter.XYs
		dashed bool
		name   string
	}{{loss, tl, false, "train"}, {loss, sl, true, "test"}, {errp, te, false, "train"}, {errp, se, true, "test"}} {
		c := plotutil.Color(0)
		if l.dashed {
			c = plotutil.Color(1)
		}
		if err := addLine(l.p, l.xy, c, l.dashed, l.name); err != nil {
			return err
		}
	}
	return savePNG(path, loss, errp)
}

// ReadPoints reads an interpolation written as one Point per JSON line.
func ReadPoints(path string) ([]Point, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: interpolation: %w", err)
	}
	var pts []Point
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var p Point
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("train: interpolation %s line %d: %w", path, n, err)
		}
		pts = append(pts, p)
	}
	return pts, nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.X.Tick.Marker, p.Y.Tick.Marker = exactTicks{}, exactTicks{}
	return p
}

// exactTicks are gonum's default ticks with labels of up to 6 significant
// digits: the default labels are rounded to the precision of the step (a
// tick at 1.55 is labelled "1.6"), which misplaces the curves' values.
type exactTicks struct{}

// Ticks returns the ticks of [lo, hi].
func (exactTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 6, 64)
		}
	}
	return ts
}

func addLine(p *plot.Plot, xy plotter.XYs, c color.Color, dashed bool, name string) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("train: plot %s: %w", name, err)
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// savePNG draws the plots side by side into a PNG written atomically.
func savePNG(path string, plots ...*plot.Plot) error {
	const w, h = 6 * vg.Inch, 4.5 * vg.Inch
	img := vgimg.New(w*vg.Length(len(plots)), h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 8, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	cs := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(cs[0][i])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("train: plot: %w", err)
	}
	return writeFileAtomic(path, buf.Bytes())
}
