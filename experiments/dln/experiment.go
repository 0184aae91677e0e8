package dln

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/samtrain/samtrain/internal/atomicfile"
)

// ExperimentConfig describes a grid of runs on one problem.
type ExperimentConfig struct {
	Methods []Method  // methods to run; GD and SGD ignore Rhos
	Rhos    []float64 // the paper's ρ for n-SAM and 1-SAM
	Alpha   float64   // initialisation scale; 0 means 0.1
	Gamma   float64   // step size; 0 means 10/d
	Iters   int       // iterations per run; must be > 0
	Seed    uint64    // SGD example order
	// SwitchAt is the iteration of the ERM→1-SAM and 1-SAM→ERM switching
	// runs; 0 means Iters/10, negative skips them.
	SwitchAt int
	// SwitchRho is the ρ of the switching runs; 0 means the ρ of Rhos with
	// the lowest final test loss for 1-SAM (ties and all-diverged: the
	// smallest ρ).
	SwitchRho float64
	// SupportTol is the magnitude above which a coordinate of β counts as in
	// the support; 0 means 1e-2.
	SupportTol float64
	// Theory computes the effective α of every run.
	Theory bool
	// LinePoints is the number of points t in [0, 1] at which the losses along
	// (1−t)·w_ERM + t·w_ERM→1-SAM are evaluated; 0 means 21.
	LinePoints int
	// Log, when not nil, receives a line per finished run.
	Log io.Writer
}

// Row is one run of an experiment.
type Row struct {
	Name   string
	Method Method
	Rho    float64
	*Result
	// Support reports whether {j : |β_j| > SupportTol} equals the support of
	// β*; OffShare is the share of ‖β‖₁ outside the support of β*;
	// Err2 is ‖β − β*‖₂. All three are NaN/false without β*.
	Support  bool
	OffShare float64
	Err2     float64
	// AlphaEff is the effective α (NaN without Theory) and AlphaDist the ℓ2
	// distance from β to its φ_α-minimal interpolator.
	AlphaEff, AlphaDist float64
	// AlphaInf holds the per-coordinate α_∞,i = √|u_i² − v_i²|/2 of the final
	// weights (WeightAlphas), summarised by AlphaInfGeo (geometric mean),
	// AlphaInfMin and AlphaInfMax; DiagDist is the ℓ2 distance from β to the
	// φ_α∞-minimal interpolator (NaN without Theory, when some u_i² − v_i² is
	// below float64 resolution, or when the solver fails).
	AlphaInfGeo, AlphaInfMin, AlphaInfMax float64
	DiagDist                              float64
}

// LinePoint is a point of the loss profile between two solutions.
type LinePoint struct {
	T           float64
	Train, Test float64
}

// Report is the outcome of RunExperiment.
type Report struct {
	Config ExperimentConfig
	Data   *Data
	Grid   []Row // one per method and ρ (one per method for GD and SGD)
	Switch []Row // ERM, 1-SAM, ERM→1-SAM and 1-SAM→ERM with SwitchRho
	Line   []LinePoint
	// AlphaGF is the α of the interpolator that gradient flow from u = Alpha,
	// v = 0 reaches: Alpha/2 (see TestGradientFlowLimit).
	AlphaGF float64
}

// RunExperiment runs every method and ρ of c on data, then the switching runs
// and the loss profile along the line between the ERM and the ERM→1-SAM
// solutions.
func RunExperiment(ctx context.Context, data *Data, c ExperimentConfig) (*Report, error) {
	if c.Iters <= 0 {
		return nil, fmt.Errorf("dln: Iters = %d, want > 0", c.Iters)
	}
	if c.Alpha == 0 {
		c.Alpha = 0.1
	}
	if c.Gamma == 0 {
		c.Gamma = 10 / float64(data.D)
	}
	if c.SupportTol == 0 {
		c.SupportTol = 1e-2
	}
	if c.LinePoints == 0 {
		c.LinePoints = 21
	}
	if c.SwitchAt == 0 {
		c.SwitchAt = c.Iters / 10
	}
	if c.SwitchAt > c.Iters {
		return nil, fmt.Errorf("dln: SwitchAt = %d beyond Iters = %d", c.SwitchAt, c.Iters)
	}
	if c.LinePoints < 2 {
		return nil, fmt.Errorf("dln: LinePoints = %d, want ≥ 2", c.LinePoints)
	}
	for _, r := range c.Rhos {
		if !(r >= 0) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("dln: ρ = %v, want ≥ 0", r)
		}
	}
	rep := &Report{Config: c, Data: data, AlphaGF: c.Alpha / 2}
	run := func(name string, m Method, rho float64, phases []Phase) (Row, error) {
		res, err := Run(ctx, data, RunConfig{Phases: phases, Alpha: c.Alpha, Gamma: c.Gamma, Seed: c.Seed})
		if err != nil {
			return Row{}, fmt.Errorf("%s: %w", name, err)
		}
		row := Row{Name: name, Method: m, Rho: rho, Result: res,
			OffShare: math.NaN(), Err2: math.NaN(), AlphaEff: math.NaN(), AlphaDist: math.NaN()}
		if data.BetaStar != nil {
			row.Support, row.OffShare = Support(res.Beta, data.BetaStar, c.SupportTol)
			var s float64
			for j, b := range res.Beta {
				s += (b - data.BetaStar[j]) * (b - data.BetaStar[j])
			}
			row.Err2 = math.Sqrt(s)
		}
		row.DiagDist = math.NaN()
		alphas := WeightAlphas(res.W)
		row.AlphaInfMin, row.AlphaInfMax = math.Inf(1), 0
		var lg float64
		for _, a := range alphas {
			row.AlphaInfMin = math.Min(row.AlphaInfMin, a)
			row.AlphaInfMax = math.Max(row.AlphaInfMax, a)
			lg += math.Log(a)
		}
		row.AlphaInfGeo = math.Exp(lg / float64(len(alphas)))
		if c.Theory && !res.Diverged {
			a, dist, err := EffectiveAlpha(data.X, data.Y, data.N, data.D, res.Beta)
			if err != nil {
				return Row{}, fmt.Errorf("%s: effective alpha: %w", name, err)
			}
			row.AlphaEff, row.AlphaDist = a, dist
			// u_i² − v_i² is computed to about 1e-16·(u_i² + v_i²): when it is
			// not resolved above that (the weights have balanced, α_∞,i ≈ 0)
			// the φ_α∞ interpolator is not defined by the weights and
			// DiagDist stays NaN; it also does when the solver fails.
			resolved := true
			for j := 0; j < data.D; j++ {
				u, v := res.W[j], res.W[data.D+j]
				resolved = resolved && math.Abs(u*u-v*v) > 1e-10*(u*u+v*v)
			}
			if b, err := MinEntropyInterpolatorDiag(data.X, data.Y, data.N, data.D, alphas); resolved && err == nil {
				var s float64
				for j := range b {
					s += (b[j] - res.Beta[j]) * (b[j] - res.Beta[j])
				}
				row.DiagDist = math.Sqrt(s)
			}
		}
		if c.Log != nil {
			fmt.Fprintf(c.Log, "done %-22s train %.3e test %.3e\n", name, res.Train, res.Test)
		}
		return row, nil
	}
	for _, m := range c.Methods {
		rhos := c.Rhos
		if m == GD || m == SGD || len(rhos) == 0 {
			rhos = []float64{0}
		}
		for _, rho := range rhos {
			name := m.String()
			if m == NSAM || m == OneSAM {
				name = fmt.Sprintf("%s ρ=%g", m, rho)
			}
			row, err := run(name, m, rho, []Phase{{m, rho, c.Iters}})
			if err != nil {
				return nil, err
			}
			rep.Grid = append(rep.Grid, row)
		}
	}
	if c.SwitchAt < 0 {
		return rep, nil
	}
	rho := c.SwitchRho
	if rho == 0 {
		best := math.Inf(1)
		for _, r := range rep.Grid {
			if r.Method == OneSAM && !r.Diverged && r.Test < best {
				best, rho = r.Test, r.Rho
			}
		}
		if math.IsInf(best, 1) {
			if len(c.Rhos) == 0 {
				return nil, fmt.Errorf("dln: switching runs need a ρ: give Rhos with 1-SAM or SwitchRho")
			}
			rho = c.Rhos[0]
			for _, r := range c.Rhos {
				rho = math.Min(rho, r)
			}
		}
	}
	rep.Config.SwitchRho = rho
	t1, t2 := c.SwitchAt, c.Iters-c.SwitchAt
	for _, s := range []struct {
		name   string
		m      Method
		phases []Phase
	}{
		{"GD", GD, []Phase{{GD, 0, c.Iters}}},
		{fmt.Sprintf("1-SAM ρ=%g", rho), OneSAM, []Phase{{OneSAM, rho, c.Iters}}},
		{fmt.Sprintf("GD→1-SAM ρ=%g @%d", rho, t1), OneSAM, []Phase{{GD, 0, t1}, {OneSAM, rho, t2}}},
		{fmt.Sprintf("1-SAM ρ=%g→GD @%d", rho, t1), GD, []Phase{{OneSAM, rho, t1}, {GD, 0, t2}}},
	} {
		row, err := run(s.name, s.m, rho, s.phases)
		if err != nil {
			return nil, err
		}
		rep.Switch = append(rep.Switch, row)
	}
	ts := make([]float64, c.LinePoints)
	for i := range ts {
		ts[i] = float64(i) / float64(c.LinePoints-1)
	}
	tr, te := LineLosses(data, rep.Switch[0].W, rep.Switch[2].W, ts)
	for i, t := range ts {
		rep.Line = append(rep.Line, LinePoint{t, tr[i], te[i]})
	}
	return rep, nil
}

// WriteMarkdown writes the report's tables in Markdown.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	c := r.Config
	fmt.Fprintf(&b, "n=%d d=%d n_test=%d α=%g γ=%.4g iterations=%d; gradient flow from this init reaches the φ_α interpolator with α = %g\n\n",
		r.Data.N, r.Data.D, r.Data.NTest, c.Alpha, c.Gamma, c.Iters, r.AlphaGF)
	writeRows(&b, r.Grid, c.SupportTol)
	if len(r.Switch) > 0 {
		fmt.Fprintf(&b, "\nSwitching runs (ρ = %g, switch at iteration %d of %d):\n\n", c.SwitchRho, c.SwitchAt, c.Iters)
		writeRows(&b, r.Switch, c.SupportTol)
		b.WriteString("\nLosses along (1−t)·w_GD + t·w_GD→1-SAM:\n\n| t | train loss | test loss |\n|---|---|---|\n")
		for _, p := range r.Line {
			fmt.Fprintf(&b, "| %.2f | %.3e | %.3e |\n", p.T, p.Train, p.Test)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRows(b *strings.Builder, rows []Row, tol float64) {
	fmt.Fprintf(b, "| run | train loss | test loss | ‖β‖₁ | support (|β_j|>%g) = supp β* | off-support share of ‖β‖₁ | ‖β−β*‖₂ | α_eff (fit) | ‖β−β_α_eff‖₂ | α_∞ from weights: geo mean [min, max] | ‖β−β_α∞‖₂ |\n", tol)
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		name := r.Name
		if r.Diverged {
			name += " (diverged)"
		}
		sup := "n/a"
		if !math.IsNaN(r.OffShare) {
			sup = map[bool]string{true: "yes", false: "no"}[r.Support]
		}
		l1 := fmt.Sprintf("%.4f", r.L1())
		if r.Diverged {
			l1, sup = "—", "—"
		}
		ainf := fmt.Sprintf("%.2e [%.1e, %.1e]", r.AlphaInfGeo, r.AlphaInfMin, r.AlphaInfMax)
		if r.Diverged {
			ainf = "—"
		}
		fmt.Fprintf(b, "| %s | %.3e | %.3e | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, r.Train, r.Test, l1, sup,
			fmtNaN("%.2e", r.OffShare), fmtNaN("%.3e", r.Err2), fmtNaN("%.3e", r.AlphaEff), fmtNaN("%.1e", r.AlphaDist),
			ainf, fmtNaN("%.1e", r.DiagDist))
	}
}

func fmtNaN(f string, v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf(f, v)
}

// WriteFiles writes results.csv, curves.csv and line.csv and the plots
// test_vs_iter.png, test_vs_rho.png, switch.png and line.png to dir.
func (r *Report) WriteFiles(dir string) error {
	var res, cur strings.Builder
	res.WriteString("run,method,rho,train,test,l1,support,off_share,err2,alpha_eff,alpha_dist,alpha_inf_geo,alpha_inf_min,alpha_inf_max,diag_dist,diverged\n")
	cur.WriteString("run,iter,train,test\n")
	for i, rows := range [][]Row{r.Grid, r.Switch} {
		for _, x := range rows {
			name := x.Name
			if i == 1 {
				name = "switch: " + name
			}
			fmt.Fprintf(&res, "%q,%s,%g,%.17g,%.17g,%.17g,%t,%g,%g,%g,%g,%g,%g,%g,%g,%t\n", name, x.Method, x.Rho, x.Train, x.Test,
				x.L1(), x.Support, x.OffShare, x.Err2, x.AlphaEff, x.AlphaDist, x.AlphaInfGeo, x.AlphaInfMin, x.AlphaInfMax,
				x.DiagDist, x.Diverged)
			for _, p := range x.Curve {
				fmt.Fprintf(&cur, "%q,%d,%.17g,%.17g\n", name, p.Iter, p.Train, p.Test)
			}
		}
	}
	var line strings.Builder
	line.WriteString("t,train,test\n")
	for _, p := range r.Line {
		fmt.Fprintf(&line, "%g,%.17g,%.17g\n", p.T, p.Train, p.Test)
	}
	for name, s := range map[string]string{"results.csv": res.String(), "curves.csv": cur.String(), "line.csv": line.String()} {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), []byte(s)); err != nil {
			return fmt.Errorf("dln: %w", err)
		}
	}
	return r.writePlots(dir)
}
