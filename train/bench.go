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
	// CPUSeconds is the process's CPU time (user + system, all threads) during
	// the timed steps, 0 where the system does not report it. On a machine
	// shared with other work it measures the step's cost better than wall time.
	CPUSeconds float64 `json:"cpu_seconds"`
}

// Bench measures the training throughput of model under each method: after
// cfg.Warmup+1 untimed steps of every method (the first builds the graphs of
// its micro-batch size), it makes cfg.Steps rounds of timed steps, each round
// one step of every method in turn, so that a change in the machine's load
// during the run slows all methods alike. A step is optim.SAM.Step (around SGD
// with momentum 0.9, weight decay 5e-4 as an L2 term and learning rate 0.01,
// one optimizer per method) through an Objective, on one batch of random
// normal inputs and random labels drawn from cfg.Seed. The methods share the
// model's weights and BatchNorm state, which Bench restores to their values at
// the call before it returns.
//
// The optimizer steps the model's own weight Buffer with the backend's
// Vectors (see Vectors), where the weights live: on a device backend the
// weights, gradients and optimizer state stay on the device, as in a
// training run, and the times include no copy of them.
//
// ERM is optim.SAM with ρ = 0, i.e. one pass of the base optimizer: the same
// code path as a training run with --rho 0.
func Bench[T graph.Float](ctx context.Context, model *graph.Model[T], cfg BenchConfig, methods []Method) ([]BenchResult, error) {
	if cfg.Batch <= 0 || cfg.Steps <= 0 || cfg.Warmup < 0 {
		return nil, fmt.Errorf("train: bench: batch %d, steps %d, warmup %d: want batch and steps > 0, warmup ≥ 0", cfg.Batch, cfg.Steps, cfg.Warmup)
	}
	vec, err := Vectors(model.Params().Backend())
	if err != nil {
		return nil, err
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
	p := model.Params()
	w := p.Weights()
	w0 := make([]T, w.Len())
	p.Backend().Download(w0, w)
	s0 := p.SaveState()
	restore := func() error {
		p.Backend().Upload(w, w0)
		return p.RestoreState(s0)
	}

	opts := make([]*optim.SAM[graph.Buffer], len(methods))
	out := make([]BenchResult, len(methods))
	for i, m := range methods {
		opts[i] = &optim.SAM[graph.Buffer]{
			Base: &optim.SGD[graph.Buffer]{LR: 0.01, Momentum: 0.9, WeightDecay: 5e-4, Vec: vec},
			Vec:  vec,
			Rho:  m.Rho,
			M:    m.M,
		}
		out[i] = BenchResult{Method: m, Batch: cfg.Batch, Passes: m.Passes(cfg.Batch), Steps: cfg.Steps,
			StepSeconds: make([]float64, cfg.Steps)}
	}
	step := func(i int) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("train: bench: %w", err)
		}
		if _, err := opts[i].Step(w, cfg.Batch, obj.GradBuffers); err != nil {
			return fmt.Errorf("train: bench: method %s m=%d: %w", methods[i].Name, methods[i].M, err)
		}
		return nil
	}
	fail := func(err error) ([]BenchResult, error) {
		if rerr := restore(); rerr != nil {
			return nil, fmt.Errorf("%w (and restoring the model: %v)", err, rerr)
		}
		return nil, err
	}
	for i := range methods {
		for range cfg.Warmup + 1 {
			if err := step(i); err != nil {
				return fail(err)
			}
		}
	}
	for t := range cfg.Steps {
		for i := range methods {
			c0, _ := cpuSeconds()
			start := time.Now()
			if err := step(i); err != nil {
				return fail(err)
			}
			out[i].StepSeconds[t] = time.Since(start).Seconds()
			if c1, ok := cpuSeconds(); ok {
				out[i].CPUSeconds += c1 - c0
			}
		}
	}
	for i := range out {
		r := &out[i]
		for _, s := range r.StepSeconds {
			r.Seconds += s
		}
		r.ImagesPerSec = float64(cfg.Batch*cfg.Steps) / r.Seconds
		r.MedianImagesPerSec = float64(cfg.Batch) / median(r.StepSeconds)
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
