package dln

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"

	"github.com/samtrain/samtrain/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// series is one line of a plot.
type series struct {
	name string
	x, y []float64
}

// savePlot draws the series as lines and writes a PNG atomically. On a log
// axis, points with a non-positive or non-finite coordinate are dropped.
func savePlot(path, title, xl, yl string, logX, logY bool, ss []series) (err error) {
	// gonum/plot panics on some degenerate inputs; report those as errors.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dln: plot %s: %v", path, r)
		}
	}()
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xl
	p.Y.Label.Text = yl
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	p.Legend.Left = true // the curves fall towards the bottom right
	ok := func(v float64, log bool) bool {
		return !math.IsNaN(v) && !math.IsInf(v, 0) && (!log || v > 0)
	}
	drawn := 0
	for i, s := range ss {
		var xy plotter.XYs
		for k := range s.x {
			if ok(s.x[k], logX) && ok(s.y[k], logY) {
				xy = append(xy, plotter.XY{X: s.x[k], Y: s.y[k]})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("dln: plot %s: %w", path, err)
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i / 7)
		sc.Color = l.Color
		sc.Radius = vg.Points(1)
		if len(xy) > 30 {
			sc.Radius = 0
		}
		p.Add(l, sc)
		p.Legend.Add(s.name, l)
		drawn++
	}
	if drawn == 0 {
		return fmt.Errorf("dln: plot %s: no finite points", path)
	}
	// A log axis over a single value would be padded below zero.
	for _, ax := range []struct {
		a   *plot.Axis
		log bool
	}{{&p.X, logX}, {&p.Y, logY}} {
		if ax.log && ax.a.Min == ax.a.Max {
			ax.a.Min, ax.a.Max = ax.a.Min/2, ax.a.Max*2
		}
	}
	wt, err := p.WriterTo(7*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("dln: plot %s: %w", path, err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("dln: plot %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("dln: %w", err)
	}
	return nil
}

// logTicks labels the powers of ten of a log axis as 1e-05 rather than
// plot.LogTicks' 9.999999999999999e-06.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.LogTicks{Prec: -1}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmt.Sprintf("%.0e", ts[i].Value)
		}
	}
	return ts
}

func curveSeries(r Row) series {
	s := series{name: r.Name}
	for _, p := range r.Curve {
		s.x = append(s.x, float64(p.Iter))
		s.y = append(s.y, p.Test)
	}
	return s
}

func (r *Report) writePlots(dir string) error {
	// Diverged runs are left out: their losses would set the scale.
	var ss []series
	for _, row := range r.Grid {
		if !row.Diverged {
			ss = append(ss, curveSeries(row))
		}
	}
	if err := savePlot(filepath.Join(dir, "test_vs_iter.png"), "Diagonal linear network: test loss",
		"iteration", "test loss", true, true, ss); err != nil {
		return err
	}
	// Test loss against ρ: one line per SAM method, flat lines for GD and SGD.
	var rs []series
	var lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range r.Grid {
		if row.Rho > 0 {
			lo, hi = math.Min(lo, row.Rho), math.Max(hi, row.Rho)
		}
	}
	for _, m := range []Method{GD, SGD, NSAM, OneSAM} {
		s := series{name: m.String()}
		for _, row := range r.Grid {
			if row.Method != m || row.Diverged {
				continue
			}
			if m == GD || m == SGD {
				if !math.IsInf(lo, 0) {
					s.x, s.y = []float64{lo, hi}, []float64{row.Test, row.Test}
				}
				continue
			}
			if row.Rho > 0 {
				s.x = append(s.x, row.Rho)
				s.y = append(s.y, row.Test)
			}
		}
		if len(s.x) > 0 {
			rs = append(rs, s)
		}
	}
	if len(rs) > 0 {
		if err := savePlot(filepath.Join(dir, "test_vs_rho.png"), "Final test loss against ρ",
			"ρ", "test loss", true, true, rs); err != nil {
			return err
		}
	}
	if len(r.Switch) == 0 {
		return nil
	}
	ss = ss[:0]
	for _, row := range r.Switch {
		if !row.Diverged {
			ss = append(ss, curveSeries(row))
		}
	}
	if err := savePlot(filepath.Join(dir, "switch.png"), "Switching between GD and 1-SAM",
		"iteration", "test loss", true, true, ss); err != nil {
		return err
	}
	tr, te := series{name: "train loss"}, series{name: "test loss"}
	for _, p := range r.Line {
		tr.x, tr.y = append(tr.x, p.T), append(tr.y, p.Train)
		te.x, te.y = append(te.x, p.T), append(te.y, p.Test)
	}
	return savePlot(filepath.Join(dir, "line.png"), "Losses along (1−t)·w_GD + t·w_GD→1-SAM",
		"t", "loss", false, true, []series{tr, te})
}
