package optim

import (
	"errors"
	"math/rand/v2"
	"testing"
)

var (
	_ Vectors[[]float32] = Host[float32]{}
	_ Vectors[[]float64] = Host[float64]{}
)

// boxed is a weight vector type that is not a slice, as a device buffer is not: it
// exercises the generic path of SAM and SGD with an explicit Vec.
type boxed struct{ x []float64 }

// boxedVectors is Vectors on *boxed, delegating the arithmetic to Host and counting calls.
type boxedVectors struct {
	h     Host[float64]
	calls int
}

func (b *boxedVectors) Len(x *boxed) int {
	if x == nil {
		return 0
	}
	return len(x.x)
}
func (b *boxedVectors) New(n int) *boxed          { b.calls++; return &boxed{make([]float64, n)} }
func (b *boxedVectors) Copy(dst, src *boxed)      { b.calls++; copy(dst.x, src.x) }
func (b *boxedVectors) Scale(x *boxed, c float64) { b.calls++; b.h.Scale(x.x, c) }
func (b *boxedVectors) ScaleInto(dst, x *boxed, c float64) {
	b.calls++
	b.h.ScaleInto(dst.x, x.x, c)
}
func (b *boxedVectors) AxpyInto(dst, y, x *boxed, c float64) {
	b.calls++
	b.h.AxpyInto(dst.x, y.x, x.x, c)
}
func (b *boxedVectors) AddInto(dst, x, y *boxed) { b.calls++; b.h.AddInto(dst.x, x.x, y.x) }
func (b *boxedVectors) Norm(x *boxed) float64    { b.calls++; return b.h.Norm(x.x) }
func (b *boxedVectors) AddScaledNorm(g, w *boxed, a float64) float64 {
	b.calls++
	return b.h.AddScaledNorm(g.x, w.x, a)
}
func (b *boxedVectors) AddScaledRestore(g, w, saved *boxed, a float64) {
	b.calls++
	b.h.AddScaledRestore(g.x, w.x, saved.x, a)
}
func (b *boxedVectors) AccumulateRestore(acc, g, w, saved *boxed, a float64) {
	b.calls++
	b.h.AccumulateRestore(acc.x, g.x, w.x, saved.x, a)
}
func (b *boxedVectors) PerturbUnnormalized(w, saved, g *boxed, a, c float64) float64 {
	b.calls++
	return b.h.PerturbUnnormalized(w.x, saved.x, g.x, a, c)
}
func (b *boxedVectors) AdaptiveNorm(g, w *boxed, eta float64) float64 {
	b.calls++
	return b.h.AdaptiveNorm(g.x, w.x, eta)
}
func (b *boxedVectors) AdaptiveInto(dst, g, w *boxed, eta, c float64) {
	b.calls++
	b.h.AdaptiveInto(dst.x, g.x, w.x, eta, c)
}
func (b *boxedVectors) Gaussian(dst *boxed, r *rand.Rand) { b.calls++; b.h.Gaussian(dst.x, r) }
func (b *boxedVectors) SGD(w, g, buf *boxed, u SGDUpdate) {
	b.calls++
	var bx []float64
	if buf != nil {
		bx = buf.x
	}
	b.h.SGD(w.x, g.x, bx, u)
}

// TestSAMGenericVectors: SAM and SGD over a non-slice vector type with an explicit Vec
// take the same steps, bit for bit, as over []float64, for every variant.
func TestSAMGenericVectors(t *testing.T) {
	fx := loadTorch(t)
	x, y := flatten(fx.X), fx.Y
	sgd := func() SGD[[]float64] {
		return SGD[[]float64]{LR: 0.1, Momentum: 0.9, WeightDecay: 0.02}
	}
	cases := []struct {
		name string
		base SGD[[]float64]
		sam  SAM[[]float64]
	}{
		{"erm", sgd(), SAM[[]float64]{}},
		{"n-SAM", sgd(), SAM[[]float64]{Rho: 0.3}},
		{"m-SAM", sgd(), SAM[[]float64]{Rho: 0.3, M: 2}},
		{"unnormalized m-SAM", sgd(), SAM[[]float64]{Rho: 0.3, M: 4, Unnormalized: true}},
		{"nesterov decoupled", SGD[[]float64]{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 0.02, Decay: DecayDecoupled}, SAM[[]float64]{Rho: 0.3, M: 4}},
		{"coupled dampening", SGD[[]float64]{LR: 0.1, Momentum: 0.9, Dampening: 0.5, WeightDecay: 0.02, Decay: DecayCoupled}, SAM[[]float64]{Rho: 0.3}},
		{"plain sgd", SGD[[]float64]{LR: 0.1}, SAM[[]float64]{Rho: 0.3, M: 2}},
		{"asam", sgd(), SAM[[]float64]{Rho: 0.3, M: 2, Adaptive: true, Eta: 0.01}},
		{"asam unnormalized", sgd(), SAM[[]float64]{Rho: 0.3, Adaptive: true, Unnormalized: true}},
		{"multi-step", sgd(), SAM[[]float64]{Rho: 0.3, M: 4, AscentSteps: 3, AscentStepMult: 0.7}},
		{"random", sgd(), SAM[[]float64]{Rho: 0.3, M: 2, Random: true, Seed: 5}},
		{"random multi-step", sgd(), SAM[[]float64]{Rho: 0.3, AscentSteps: 2, Random: true, Seed: 7}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w0 := []float64{0.3, -0.7, 1.1}
			base := c.base
			ref := c.sam
			ref.Base = &base
			w := append([]float64(nil), w0...)

			ops := &boxedVectors{}
			gbase := SGD[*boxed]{LR: c.base.LR, Momentum: c.base.Momentum, Dampening: c.base.Dampening,
				Nesterov: c.base.Nesterov, WeightDecay: c.base.WeightDecay, Decay: c.base.Decay, Vec: ops}
			gen := SAM[*boxed]{Base: &gbase, Vec: ops, Rho: c.sam.Rho, M: c.sam.M, Unnormalized: c.sam.Unnormalized,
				Adaptive: c.sam.Adaptive, Eta: c.sam.Eta, AscentSteps: c.sam.AscentSteps,
				AscentStepMult: c.sam.AscentStepMult, Random: c.sam.Random, Seed: c.sam.Seed}
			bw := &boxed{append([]float64(nil), w0...)}
			f := leastSquares[float64](x, y)
			fb := func(p Pass, w, g *boxed) (float64, error) { return f(p, w.x, g.x) }
			for step := range 3 {
				st, err := ref.Step(w, 8, f)
				if err != nil {
					t.Fatal(err)
				}
				gst, err := gen.Step(bw, 8, fb)
				if err != nil {
					t.Fatal(err)
				}
				if st != gst {
					t.Errorf("step %d: stats %+v over boxed, %+v over []float64", step, gst, st)
				}
				checkClose(t, "w", bw.x, w, 0)
			}
			if ops.calls == 0 {
				t.Error("Vec was not used")
			}
			ms, gs := base.State(), gbase.State()
			if (gs.Momentum == nil) != (ms.Momentum == nil) {
				t.Fatalf("momentum %v over boxed, %v over []float64", gs.Momentum, ms.Momentum)
			}
			if gs.Momentum != nil {
				checkClose(t, "momentum", gs.Momentum.x, ms.Momentum, 0)
			}
		})
	}
}

// TestVecRequired: a non-slice V without Vec is an error, not a panic.
func TestVecRequired(t *testing.T) {
	s := SAM[*boxed]{Base: &SGD[*boxed]{LR: 0.1, Vec: &boxedVectors{}}, Rho: 0.1}
	if _, err := s.Step(&boxed{[]float64{1}}, 1, nil); !errors.Is(err, ErrParam) {
		t.Errorf("SAM without Vec: err %v, want ErrParam", err)
	}
	o := SGD[*boxed]{LR: 0.1}
	if _, err := o.Step(&boxed{[]float64{1}}, 1, nil); !errors.Is(err, ErrParam) {
		t.Errorf("SGD without Vec: err %v, want ErrParam", err)
	}
}
