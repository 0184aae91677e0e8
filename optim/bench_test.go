package optim

import (
	"math"
	"testing"
)

// resnet18Params is the parameter count of the CIFAR ResNet-18 of the paper (11,173,962).
const resnet18Params = 11173962

// BenchmarkStep11M measures the optimizer's own cost per step on a ResNet-18-sized float32
// vector: the GradFunc does nothing (the gradient buffers keep their zero values), so the
// time is the bookkeeping alone (saving/restoring weights, norms, perturbation,
// accumulation, SGD update), to be compared with two forward-backward passes.
// Batch 128, SGD with momentum 0.9 and weight decay 5e-4.
func BenchmarkStep11M(b *testing.B) {
	noop := func(Pass, []float32, []float32) (float64, error) { return 0, nil }
	// Reference: one copy of the weights, to express the others in memory passes.
	b.Run("copy", func(b *testing.B) {
		w := make([]float32, resnet18Params)
		dst := make([]float32, resnet18Params)
		b.SetBytes(int64(4 * len(w)))
		for b.Loop() {
			copy(dst, w)
		}
	})
	for _, bc := range []struct {
		name string
		sam  SAM[[]float32]
	}{
		{"ERM", SAM[[]float32]{}},
		{"nSAM", SAM[[]float32]{Rho: 0.05}},
		{"mSAM-M=64", SAM[[]float32]{Rho: 0.05, M: 64}},
		{"mSAM-M=32", SAM[[]float32]{Rho: 0.05, M: 32}},
		{"mSAM-M=8", SAM[[]float32]{Rho: 0.05, M: 8}},
		{"ASAM", SAM[[]float32]{Rho: 0.5, Adaptive: true, Eta: 0.01}},
		{"2-step", SAM[[]float32]{Rho: 0.05, AscentSteps: 2}},
		{"random", SAM[[]float32]{Rho: 0.05, Random: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := bc.sam
			s.Base = &SGD[[]float32]{LR: 0.1, Momentum: 0.9, WeightDecay: 5e-4}
			w := make([]float32, resnet18Params)
			for i := range w {
				w[i] = float32(i%1000) * 1e-3
			}
			if _, err := s.Step(w, 128, noop); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(4 * len(w)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Step(w, 128, noop); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// dlnGrad returns the GradFunc of a diagonal linear network β = u ⊙ v on least squares,
// ℓ_i = ½(⟨u ⊙ v, x_i⟩ − y_i)², with w = (u, v) of length 2d, x row-major n×d.
func dlnGrad(x, y []float64, d int) GradFunc[[]float64] {
	return func(p Pass, w, g []float64) (float64, error) {
		u, v := w[:d], w[d:2*d]
		gu, gv := g[:d], g[d:2*d]
		clear(g)
		var loss float64
		inv := 1 / float64(p.Hi-p.Lo)
		for i := p.Lo; i < p.Hi; i++ {
			xi := x[i*d : (i+1)*d]
			r := -y[i]
			for k := range xi {
				r += u[k] * v[k] * xi[k]
			}
			loss += 0.5 * r * r * inv
			c := r * inv
			for k := range xi {
				gu[k] += c * xi[k] * v[k]
				gv[k] += c * xi[k] * u[k]
			}
		}
		return loss, nil
	}
}

// BenchmarkDLN1SAM is the experiments' setting: a diagonal linear network with n = 20
// examples in d = 30 dimensions (60 parameters), float64, full batch with 1-SAM (M = 1)
// and unnormalised ascent, plain SGD. One op is one SAM step (20 micro-batches, 40 passes),
// the GradFunc included.
func BenchmarkDLN1SAM(b *testing.B) {
	const n, d = 20, 30
	x := make([]float64, n*d)
	y := make([]float64, n)
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	for i := range y {
		y[i] = math.Cos(float64(i))
	}
	w := make([]float64, 2*d)
	for i := range w {
		w[i] = 0.1
	}
	f := dlnGrad(x, y, d)
	for _, bc := range []struct {
		name string
		sam  SAM[[]float64]
	}{
		{"1-SAM", SAM[[]float64]{Rho: 0.05, M: 1, Unnormalized: true}},
		{"ERM", SAM[[]float64]{M: 1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := bc.sam
			s.Base = &SGD[[]float64]{LR: 0.01}
			for b.Loop() {
				if _, err := s.Step(w, n, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
