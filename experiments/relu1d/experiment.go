package relu1d

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/samtrain/samtrain/internal/atomicfile"
)

// ExperimentConfig describes GD and SAM runs over several seeds.
type ExperimentConfig struct {
	Seeds      []uint64
	Hidden     int       // 0 means 100
	LR         float64   // 0 means 5e-5
	Rho        float64   // SAM's ρ; 0 means 0.3
	MaxSteps   int       // 0 means 10^6
	TargetLoss float64   // 0 means 1e-5
	SAMLRDecay bool      // linear learning-rate decay for the SAM runs (authors' notebook)
	Thresholds []float64 // thresholds on |a_j·w_j| for counting kinks; empty means {0.1}
	Merge      float64   // kinks closer than this count once; 0 means 1e-3
	Log        io.Writer // a line per finished run when not nil
}

// Run is one trained network.
type Run struct {
	Seed  uint64
	SAM   bool
	Res   *Result
	Kinks [][]float64 // per threshold
}

// Report is the outcome of RunExperiment.
type Report struct {
	Config ExperimentConfig
	Runs   []Run // GD then SAM for each seed
	net    *Net
}

// RunExperiment trains GD and SAM from each seed and counts the kinks of the
// fitted functions inside the data range.
func RunExperiment(ctx context.Context, c ExperimentConfig) (*Report, error) {
	if c.Hidden == 0 {
		c.Hidden = 100
	}
	if c.Rho == 0 {
		c.Rho = 0.3
	}
	if len(c.Thresholds) == 0 {
		c.Thresholds = []float64{0.1}
	}
	if c.Merge == 0 {
		c.Merge = 1e-3
	}
	if len(c.Seeds) == 0 {
		return nil, fmt.Errorf("relu1d: no seeds")
	}
	x, y := Points()
	lo, hi := x[0], x[len(x)-1]
	rep := &Report{Config: c, net: &Net{H: c.Hidden, X: x, Y: y}}
	for _, seed := range c.Seeds {
		for _, sam := range []bool{false, true} {
			cfg := Config{Hidden: c.Hidden, Seed: seed, LR: c.LR, MaxSteps: c.MaxSteps, TargetLoss: c.TargetLoss}
			if sam {
				cfg.Rho, cfg.LRDecay = c.Rho, c.SAMLRDecay
			}
			res, err := Train(ctx, cfg)
			if err != nil {
				return nil, fmt.Errorf("relu1d: seed %d: %w", seed, err)
			}
			r := Run{Seed: seed, SAM: sam, Res: res}
			for _, t := range c.Thresholds {
				r.Kinks = append(r.Kinks, rep.net.Kinks(res.Params, lo, hi, t, c.Merge))
			}
			rep.Runs = append(rep.Runs, r)
			if c.Log != nil {
				fmt.Fprintf(c.Log, "done seed %d %s: %d steps, ½Σr² %.3e\n", seed, r.method(c.Rho), res.Steps, res.Loss)
			}
		}
	}
	return rep, nil
}

func (r Run) method(rho float64) string {
	if r.SAM {
		return fmt.Sprintf("SAM ρ=%g", rho)
	}
	return "GD"
}

// WriteMarkdown writes a table of steps, final loss and kink counts per run,
// and the mean kink counts per method.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	c := r.Config
	b.WriteString("| seed | method | steps | final ½Σr² |")
	for _, t := range c.Thresholds {
		fmt.Fprintf(&b, " kinks (|a·w|>%g) |", t)
	}
	b.WriteString("\n|---|---|---|---|")
	for range c.Thresholds {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	sums := make([][2]float64, len(c.Thresholds))
	for _, run := range r.Runs {
		fmt.Fprintf(&b, "| %d | %s | %d | %.3e |", run.Seed, run.method(c.Rho), run.Res.Steps, run.Res.Loss)
		for i, k := range run.Kinks {
			fmt.Fprintf(&b, " %d |", len(k))
			idx := 0
			if run.SAM {
				idx = 1
			}
			sums[i][idx] += float64(len(k))
		}
		b.WriteString("\n")
	}
	ns := float64(len(c.Seeds))
	for idx, name := range []string{"GD", fmt.Sprintf("SAM ρ=%g", c.Rho)} {
		fmt.Fprintf(&b, "| mean | %s | | |", name)
		for i := range sums {
			fmt.Fprintf(&b, " %.1f |", sums[i][idx]/ns)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteFiles writes results.csv and fit_seed<S>.png (data, GD and SAM fits)
// for each seed to dir.
func (r *Report) WriteFiles(dir string) error {
	var b strings.Builder
	b.WriteString("seed,method,steps,loss")
	for _, t := range r.Config.Thresholds {
		fmt.Fprintf(&b, ",kinks_%g", t)
	}
	b.WriteString("\n")
	for _, run := range r.Runs {
		fmt.Fprintf(&b, "%d,%s,%d,%.17g", run.Seed, run.method(r.Config.Rho), run.Res.Steps, run.Res.Loss)
		for _, k := range run.Kinks {
			fmt.Fprintf(&b, ",%d", len(k))
		}
		b.WriteString("\n")
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "results.csv"), []byte(b.String())); err != nil {
		return fmt.Errorf("relu1d: %w", err)
	}
	x, y := Points()
	for i := 0; i+1 < len(r.Runs); i += 2 {
		gd, sam := r.Runs[i], r.Runs[i+1]
		lo, hi := x[0]-0.1, x[len(x)-1]+0.1
		var ss []series
		for _, run := range []Run{gd, sam} {
			s := series{name: run.method(r.Config.Rho) + fmt.Sprintf(" (%d kinks)", len(run.Kinks[0]))}
			for k := 0; k <= 600; k++ {
				t := lo + (hi-lo)*float64(k)/600
				s.x = append(s.x, t)
				s.y = append(s.y, r.net.Predict(run.Res.Params, t))
			}
			ss = append(ss, s)
		}
		title := fmt.Sprintf("1-D ReLU network, seed %d (kinks at |a·w|>%g)", gd.Seed, r.Config.Thresholds[0])
		if err := savePlot(filepath.Join(dir, fmt.Sprintf("fit_seed%d.png", gd.Seed)), title, x, y, ss); err != nil {
			return err
		}
	}
	return nil
}
