package relu1d

import (
	"context"
	"fmt"
	"math"

	"github.com/samtrain/samtrain/optim"
)

// Config describes one training run. Zero values mean the paper's settings.
type Config struct {
	Hidden int     // hidden units; 0 means 100
	Seed   uint64  // initialisation seed
	LR     float64 // learning rate for the summed loss ½Σr²; 0 means 5e-5
	// Rho is SAM's ρ with normalised ascent, w + ρ·g/‖g‖; 0 is plain GD.
	Rho float64
	// MaxSteps bounds the steps; 0 means 10^6.
	MaxSteps int
	// TargetLoss stops training once ½Σr² at the start of a step is at or
	// below it (that step is still taken, as in the authors' loop); 0 means 1e-5.
	TargetLoss float64
	// LRDecay decays the learning rate linearly to 0 over MaxSteps, as the
	// authors' notebook does for its SAM runs; off by default.
	LRDecay bool
}

// Result is the outcome of a run.
type Result struct {
	Params []float64 // concat(w, b, a)
	Steps  int
	Loss   float64 // ½Σr² at the final parameters
}

// Train fits the 12 points of Points with full-batch GD (Rho 0) or SAM.
//
// optim's GradFunc contract is a mean loss, so the gradient is that of
// ½·mean r² and the step size passed to optim.SGD is LR·n: the update
// LR·n·∇(½ mean r²) = LR·∇(½Σr²) is the paper's. SAM's normalised ascent
// direction is the same for the mean and the sum.
func Train(ctx context.Context, c Config) (*Result, error) {
	if c.Hidden == 0 {
		c.Hidden = 100
	}
	if c.LR == 0 {
		c.LR = 5e-5
	}
	if c.MaxSteps == 0 {
		c.MaxSteps = 1000000
	}
	if c.TargetLoss == 0 {
		c.TargetLoss = 1e-5
	}
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return nil, fmt.Errorf("relu1d: LR = %v, want > 0", c.LR)
	case !(c.Rho >= 0) || math.IsInf(c.Rho, 0):
		return nil, fmt.Errorf("relu1d: Rho = %v, want ≥ 0", c.Rho)
	case c.MaxSteps < 0:
		return nil, fmt.Errorf("relu1d: MaxSteps = %d, want ≥ 0", c.MaxSteps)
	case c.TargetLoss < 0:
		return nil, fmt.Errorf("relu1d: TargetLoss = %v, want ≥ 0", c.TargetLoss)
	}
	x, y := Points()
	net := &Net{H: c.Hidden, X: x, Y: y}
	if err := net.validate(); err != nil {
		return nil, err
	}
	n := len(x)
	p := net.Init(c.Seed)
	base := &optim.SGD[[]float64]{LR: c.LR * float64(n)}
	var opt optim.Optimizer[[]float64] = base
	if c.Rho > 0 {
		opt = &optim.SAM[[]float64]{Base: base, Rho: c.Rho}
	}
	f := func(ps optim.Pass, p, grad []float64) (float64, error) {
		return net.LossGrad(p, grad, ps.Lo, ps.Hi), nil
	}
	res := &Result{}
	for res.Steps < c.MaxSteps {
		if res.Steps%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("relu1d: %w", err)
			}
		}
		if c.LRDecay {
			base.LR = c.LR * float64(n) * (1 - float64(res.Steps)/float64(c.MaxSteps))
		}
		st, err := opt.Step(p, n, f)
		if err != nil {
			return nil, fmt.Errorf("relu1d: step %d: %w", res.Steps, err)
		}
		res.Steps++
		sum := st.Loss * float64(n)
		if math.IsNaN(sum) || math.IsInf(sum, 0) {
			return nil, fmt.Errorf("relu1d: loss diverged at step %d", res.Steps)
		}
		if sum <= c.TargetLoss {
			break
		}
	}
	grad := make([]float64, len(p))
	res.Params = p
	res.Loss = net.LossGrad(p, grad, 0, n) * float64(n)
	return res, nil
}
