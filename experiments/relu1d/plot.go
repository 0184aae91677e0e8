package relu1d

import (
	"bytes"
	"fmt"

	"github.com/samtrain/samtrain/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

type series struct {
	name string
	x, y []float64
}

// savePlot draws the training points and the fitted functions and writes a PNG
// atomically.
func savePlot(path, title string, px, py []float64, ss []series) (err error) {
	// gonum/plot panics on some degenerate inputs; report those as errors.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("relu1d: plot %s: %v", path, r)
		}
	}()
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "x"
	p.Y.Label.Text = "f(x)"
	p.Legend.Top = true
	for i, s := range ss {
		xy := make(plotter.XYs, len(s.x))
		for k := range s.x {
			xy[k] = plotter.XY{X: s.x[k], Y: s.y[k]}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("relu1d: plot %s: %w", path, err)
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	pts := make(plotter.XYs, len(px))
	for k := range px {
		pts[k] = plotter.XY{X: px[k], Y: py[k]}
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return fmt.Errorf("relu1d: plot %s: %w", path, err)
	}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Radius = vg.Points(3)
	sc.GlyphStyle.Color = plotutil.Color(2)
	p.Add(sc)
	p.Legend.Add("data", sc)
	wt, err := p.WriterTo(7*vg.Inch, 4.5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("relu1d: plot %s: %w", path, err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("relu1d: plot %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("relu1d: %w", err)
	}
	return nil
}
