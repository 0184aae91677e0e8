package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/optim"
)

// Method is one optimizer configuration whose throughput Bench measures.
type Method struct {
	Name string  `json:"name"` // label in tables, e.g. "ERM", "n-SAM", "m-SAM"
	Rho  float64 `json:"rho"`  // SAM radius ρ; 0 is ERM (one pass per step)
	M    int     `json:"m"`    // micro-batch size of m-SAM; 0 means the whole batch (n-SAM)
}

// Passes returns the forward-backward passes one step of the method makes on
// a batch of `batch` examples: 1 for ERM, 2·batch/M for SAM.
func (m Method) Passes(batch int) int {
	if m.Rho == 0 {
		return 1
	}
	mm := m.M
	if mm == 0 {
		mm = batch
	}
	return 2 * batch / mm
}

// BenchMethods returns the methods of the paper's cost comparison: ERM,
// n-SAM (ρ = rho, M = batch) and m-SAM for every m of ms that is smaller
// than the batch, in the order given, without duplicates.
func BenchMethods(batch int, rho float64, ms []int) []Method {
	out := []Method{{Name: "ERM"}, {Name: "n-SAM", Rho: rho, M: batch}}
	seen := []int{batch}
	for _, m := range ms {
		if slices.Contains(seen, m) {
			continue
		}
		seen = append(seen, m)
		out = append(out, Method{Name: "m-SAM", Rho: rho, M: m})
	}
	return out
}

// BenchConfig says how Bench measures.
type BenchConfig struct {
	Batch  int    // examples per step (> 0; every Method.M must divide it)
	Steps  int    // timed steps per method (> 0)
	Warmup int    // untimed steps per method before timing (≥ 0); one more is always made, to build the graphs
	Seed   uint64 // seed of the random inputs and labels
}

// BenchResult is the throughput of one method.
type BenchResult struct {
	Method
	Batch        int       `json:"batch"`
	Passes       int       `json:"passes"`         // forward-backward passes per step
	Steps        int       `json:"steps"`          // timed steps
	Seconds      float64   `json:"seconds"`        // wall time of the timed steps
	StepSeconds  []float64 `json:"step_seconds"`   // wall time of each timed step
	ImagesPerSec float64   `json:"images_per_sec"` // Batch·Steps/Seconds
	// MedianImagesPerSec is Batch over the median step time: less sensitive than
	// ImagesPerSec to steps slowed down by other processes.
	MedianImagesPerSec float64 `json:"median_images_per_sec"`
}

// Bench measures the training throughput of model under each method: cfg.Warmup+1
// untimed and then cfg.Steps timed optimizer steps (optim.SAM around SGD with
// momentum 0.9, weight decay 5e-4 as an L2 term and learning rate 0.01, through
// an Objective), on one batch of random normal inputs and random labels drawn
// from cfg.Seed. Every method starts from the model's weights and BatchNorm
// state at the call, which Bench restores before it returns.
//
// ERM is optim.SAM with ρ = 0, i.e. one pass of the base optimizer: the same
// code path as a training run with --rho 0.
func Bench[T graph.Float](ctx context.Context, model *graph.Model[T], cfg BenchConfig, methods []Method) ([]BenchResult, error) {
	if cfg.Batch <= 0 || cfg.Steps <= 0 || cfg.Warmup < 0 {
		return nil, fmt.Errorf("train: bench: batch %d, steps %d, warmup %d: want batch and steps > 0, warmup ≥ 0", cfg.Batch, cfg.Steps, cfg.Warmup)
	}
	w := model.Weights()
	if w == nil {
		return nil, fmt.Errorf("train: bench: the model's weights are not in host memory")
	}
	for _, m := range methods {
		if m.Rho < 0 || m.M < 0 || (m.M > 0 && cfg.Batch%m.M != 0) {
			return nil, fmt.Errorf("train: bench: method %s: ρ %v, m %d: want ρ ≥ 0 and m dividing the batch of %d", m.Name, m.Rho, m.M, cfg.Batch)
		}
	}
	in := model.Input()
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5851f42d4c957f2d))
	x := make([]T, cfg.Batch*in[0]*in[1]*in[2])
	for i := range x {
		x[i] = T(rng.NormFloat64())
	}
	labels := make([]int, cfg.Batch)
	for i := range labels {
		labels[i] = rng.IntN(model.Classes())
	}
	obj := &Objective[T]{Model: model, X: x, Labels: labels}
	w0 := slices.Clone(w)
	s0 := model.Params().SaveState()
	restore := func() error {
		copy(w, w0)
		return model.Params().RestoreState(s0)
	}

	var out []BenchResult
	for _, m := range methods {
		if err := restore(); err != nil {
			return nil, fmt.Errorf("train: bench: %w", err)
		}
		opt := &optim.SAM[T]{
			Base: &optim.SGD[T]{LR: 0.01, Momentum: 0.9, WeightDecay: 5e-4},
			Rho:  m.Rho,
			M:    m.M,
		}
		r := BenchResult{Method: m, Batch: cfg.Batch, Passes: m.Passes(cfg.Batch), Steps: cfg.Steps,
			StepSeconds: make([]float64, cfg.Steps)}
		for i := range cfg.Warmup + 1 + cfg.Steps {
			if err := ctx.Err(); err != nil {
				_ = restore()
				return nil, fmt.Errorf("train: bench: %w", err)
			}
			start := time.Now()
			if _, err := opt.Step(w, cfg.Batch, obj.Grad); err != nil {
				_ = restore()
				return nil, fmt.Errorf("train: bench: method %s m=%d: %w", m.Name, m.M, err)
			}
			if t := i - cfg.Warmup - 1; t >= 0 {
				r.StepSeconds[t] = time.Since(start).Seconds()
			}
		}
		for _, s := range r.StepSeconds {
			r.Seconds += s
		}
		r.ImagesPerSec = float64(cfg.Batch*cfg.Steps) / r.Seconds
		r.MedianImagesPerSec = float64(cfg.Batch) / median(r.StepSeconds)
		out = append(out, r)
	}
	if err := restore(); err != nil {
		return nil, fmt.Errorf("train: bench: %w", err)
	}
	return out, nil
}

// median returns the median of v (the mean of the middle two for even len).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
