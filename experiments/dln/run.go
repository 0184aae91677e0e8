package dln

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/samtrain/samtrain/optim"
)

// Method is a training algorithm for the diagonal linear network.
type Method int

const (
	GD     Method = iota // full-batch gradient descent
	SGD                  // one example per step, drawn uniformly with replacement
	NSAM                 // n-SAM: ascent along ρ∇L of the full batch, unnormalised
	OneSAM               // 1-SAM: per-example ascent ρ∇(r_k²), descent gradients averaged
)

var methodNames = [...]string{GD: "GD", SGD: "SGD", NSAM: "n-SAM", OneSAM: "1-SAM"}

func (m Method) String() string {
	if m < 0 || int(m) >= len(methodNames) {
		return fmt.Sprintf("Method(%d)", int(m))
	}
	return methodNames[m]
}

// ParseMethod parses "gd", "sgd", "nsam" (or "n-sam") and "1sam" (or "1-sam").
func ParseMethod(s string) (Method, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", "")) {
	case "gd":
		return GD, nil
	case "sgd":
		return SGD, nil
	case "nsam":
		return NSAM, nil
	case "1sam", "onesam":
		return OneSAM, nil
	}
	return 0, fmt.Errorf("dln: unknown method %q (want gd, sgd, nsam or 1sam)", s)
}

// Phase is a stretch of training with one method.
type Phase struct {
	Method Method
	// Rho is the paper's ρ (SAM methods only): n-SAM perturbs by ρ∇L with
	// L = ‖Xβ−y‖²/(2n); 1-SAM perturbs for example k by ρ∇(r_k²) =
	// 2ρ∇(r_k²/2), as the authors' one_SAM_GD does. Zero gives plain GD.
	Rho   float64
	Iters int
}

// RunConfig describes one training run.
type RunConfig struct {
	Phases []Phase
	// Alpha is the initialisation scale: u = Alpha·1, v = 0. Zero means 0.1.
	Alpha float64
	// Gamma is the step size; zero means 10/d.
	Gamma float64
	// Seed seeds the example draws of SGD (PCG(Seed, 0)).
	Seed uint64
	// Init, when not nil, holds starting weights concat(u, v) instead of the
	// Alpha initialisation.
	Init []float64
	// EvalPoints is the number of log-spaced iterations at which train and
	// test losses are recorded (plus iteration 0 and the last); zero means 200.
	EvalPoints int
}

// Point is the state after Iter iterations.
type Point struct {
	Iter        int
	Train, Test float64
}

// Result is the outcome of a run.
type Result struct {
	W           []float64 // final weights concat(u, v)
	Beta        []float64 // final u⊙v
	Train, Test float64
	Curve       []Point
	// Diverged is set when a loss became non-finite or exceeded 1e10; the
	// run stopped there.
	Diverged bool
}

// L1 returns ‖β‖₁ of the final predictor.
func (r *Result) L1() float64 {
	var s float64
	for _, b := range r.Beta {
		s += math.Abs(b)
	}
	return s
}

// optimizer returns the optim configuration of a phase on n examples with step
// size gamma, and the batch size of its steps.
func (p Phase) optimizer(n int, gamma float64) (optim.Optimizer[[]float64], int) {
	base := &optim.SGD[[]float64]{LR: gamma}
	switch p.Method {
	case SGD:
		return base, 1
	case NSAM:
		if p.Rho == 0 {
			return base, n
		}
		return &optim.SAM[[]float64]{Base: base, Rho: p.Rho, M: n, Unnormalized: true}, n
	case OneSAM:
		if p.Rho == 0 {
			return base, n
		}
		// LossGrad uses ℓ_k = r_k²/2, so ρ∇(r_k²) is 2ρ∇ℓ_k.
		return &optim.SAM[[]float64]{Base: base, Rho: 2 * p.Rho, M: 1, Unnormalized: true}, n
	}
	return base, n
}

// Run trains the network on data through the phases of c in order.
func Run(ctx context.Context, data *Data, c RunConfig) (*Result, error) {
	if err := data.Validate(); err != nil {
		return nil, err
	}
	d, n := data.D, data.N
	alpha, gamma := c.Alpha, c.Gamma
	if alpha == 0 {
		alpha = 0.1
	}
	if gamma == 0 {
		gamma = 10 / float64(d)
	}
	switch {
	case !(alpha > 0) || math.IsInf(alpha, 0):
		return nil, fmt.Errorf("dln: Alpha = %v, want > 0", c.Alpha)
	case !(gamma > 0) || math.IsInf(gamma, 0):
		return nil, fmt.Errorf("dln: Gamma = %v, want > 0", c.Gamma)
	case len(c.Phases) == 0:
		return nil, fmt.Errorf("dln: no phases")
	case c.Init != nil && len(c.Init) != 2*d:
		return nil, fmt.Errorf("dln: Init has %d weights, want 2·d = %d", len(c.Init), 2*d)
	case c.EvalPoints < 0:
		return nil, fmt.Errorf("dln: EvalPoints = %d, want ≥ 0", c.EvalPoints)
	}
	total := 0
	for i, p := range c.Phases {
		switch {
		case p.Method < GD || p.Method > OneSAM:
			return nil, fmt.Errorf("dln: phase %d: unknown method %d", i, int(p.Method))
		case p.Iters < 0:
			return nil, fmt.Errorf("dln: phase %d: Iters = %d, want ≥ 0", i, p.Iters)
		case !(p.Rho >= 0) || math.IsInf(p.Rho, 0):
			return nil, fmt.Errorf("dln: phase %d: Rho = %v, want ≥ 0", i, p.Rho)
		}
		total += p.Iters
	}
	w := make([]float64, 2*d)
	if c.Init != nil {
		copy(w, c.Init)
	} else {
		for j := 0; j < d; j++ {
			w[j] = alpha
		}
	}
	evalAt := logSpaced(total, c.EvalPoints)
	res := &Result{}
	beta := make([]float64, d)
	eval := func(it int) Point {
		Beta(beta, w)
		return Point{it, SquareLoss(data.X, data.Y, beta), SquareLoss(data.XTest, data.YTest, beta)}
	}
	res.Curve = append(res.Curve, eval(0))

	m := NewModel(data)
	rows := []int{0}
	rng := rand.New(rand.NewPCG(c.Seed, 0))
	f := func(p optim.Pass, w, grad []float64) (float64, error) {
		return m.LossGrad(w, grad, p.Lo, p.Hi), nil
	}
	it, next := 0, 1
	for _, p := range c.Phases {
		opt, batch := p.optimizer(n, gamma)
		m.Rows = nil
		if p.Method == SGD {
			m.Rows = rows
		}
		for k := 0; k < p.Iters; k++ {
			if it%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, fmt.Errorf("dln: %w", err)
				}
			}
			if p.Method == SGD {
				rows[0] = rng.IntN(n)
			}
			st, err := opt.Step(w, batch, f)
			if err != nil {
				return nil, fmt.Errorf("dln: iteration %d: %w", it, err)
			}
			it++
			if math.IsNaN(st.Loss) || st.Loss > 1e10 || math.IsInf(st.Loss, 0) {
				res.Diverged = true
				break
			}
			if next < len(evalAt) && it == evalAt[next] {
				res.Curve = append(res.Curve, eval(it))
				next++
			}
		}
		if res.Diverged {
			break
		}
	}
	last := eval(it)
	if res.Curve[len(res.Curve)-1].Iter != it {
		res.Curve = append(res.Curve, last)
	}
	res.W = w
	res.Beta = Beta(nil, w)
	res.Train, res.Test = last.Train, last.Test
	if math.IsNaN(res.Train) || math.IsInf(res.Train, 0) || res.Train > 1e10 {
		res.Diverged = true
	}
	return res, nil
}

// logSpaced returns 0 and about k iterations in [1, total] spaced evenly in
// log scale, ascending, without repeats; k = 0 means 200.
func logSpaced(total, k int) []int {
	if k == 0 {
		k = 200
	}
	out := []int{0}
	if total < 1 {
		return out
	}
	for i := 0; i <= k; i++ {
		v := int(math.Round(math.Pow(float64(total), float64(i)/float64(k))))
		if v > out[len(out)-1] {
			out = append(out, v)
		}
	}
	if out[len(out)-1] != total {
		out = append(out, total)
	}
	return out
}

// LineLosses returns the train and test losses at the weights (1−t)·a + t·b
// for each t in ts.
func LineLosses(data *Data, a, b, ts []float64) (train, test []float64) {
	w := make([]float64, len(a))
	beta := make([]float64, len(a)/2)
	for _, t := range ts {
		for j := range w {
			w[j] = (1-t)*a[j] + t*b[j]
		}
		Beta(beta, w)
		train = append(train, SquareLoss(data.X, data.Y, beta))
		test = append(test, SquareLoss(data.XTest, data.YTest, beta))
	}
	return train, test
}

// Support compares the support of beta, the coordinates with |β_j| > tol, with
// that of the ground truth. It returns whether they are equal and the share of
// ‖β‖₁ that lies outside the true support.
func Support(beta, truth []float64, tol float64) (equal bool, offShare float64) {
	equal = true
	var off, all float64
	for j, b := range beta {
		in := truth[j] != 0
		if (math.Abs(b) > tol) != in {
			equal = false
		}
		all += math.Abs(b)
		if !in {
			off += math.Abs(b)
		}
	}
	if all == 0 {
		return equal, 0
	}
	return equal, off / all
}
