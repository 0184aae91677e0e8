package optim

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// a2 is A = [[2, 1], [1, 3]] of f(w) = ½wᵀAw, used with w0 = (1, 2): ∇f(w0) = Aw0 = (4, 7).
var a2 = []float64{2, 1, 1, 3}

// TestSGDClosedForm checks two steps of each setting against values worked out by hand.
// γ = 0.1 throughout; g1 = A(1, 2) = (4, 7).
func TestSGDClosedForm(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opt    SGD[[]float64]
		w1, w2 []float64
	}{
		// w1 = (1, 2) − 0.1(4, 7) = (0.6, 1.3); g2 = A w1 = (2.5, 4.5); w2 = w1 − 0.1 g2.
		{"plain", SGD[[]float64]{LR: 0.1}, []float64{0.6, 1.3}, []float64{0.35, 0.85}},
		// b2 = 0.9(4, 7) + (2.5, 4.5) = (6.1, 10.8); w2 = (0.6, 1.3) − 0.1 b2.
		{"momentum", SGD[[]float64]{LR: 0.1, Momentum: 0.9}, []float64{0.6, 1.3}, []float64{-0.01, 0.22}},
		// Step 1: b = g1, d = g1 + 0.9 b = (7.6, 13.3), w1 = (0.24, 0.67).
		// Step 2: g2 = A w1 = (1.15, 2.25), b2 = 0.9 g1 + g2 = (4.75, 8.55),
		// d = g2 + 0.9 b2 = (5.425, 9.945), w2 = w1 − 0.1 d.
		{"nesterov", SGD[[]float64]{LR: 0.1, Momentum: 0.9, Nesterov: true},
			[]float64{0.24, 0.67}, []float64{-0.3025, -0.3245}},
		// No dampening on the first step (PyTorch clones d): w1 = (0.6, 1.3);
		// b2 = 0.9(4, 7) + 0.5(2.5, 4.5) = (4.85, 8.55).
		{"dampening", SGD[[]float64]{LR: 0.1, Momentum: 0.9, Dampening: 0.5},
			[]float64{0.6, 1.3}, []float64{0.115, 0.445}},
		// d1 = g1 + 0.5 w0 = (4.5, 8), w1 = (0.55, 1.2); g2 = A w1 = (2.3, 4.15),
		// d2 = g2 + 0.5 w1 = (2.575, 4.75).
		{"l2", SGD[[]float64]{LR: 0.1, WeightDecay: 0.5}, []float64{0.55, 1.2}, []float64{0.2925, 0.725}},
		{"coupled", SGD[[]float64]{LR: 0.1, WeightDecay: 0.5, Decay: DecayCoupled},
			[]float64{0.55, 1.2}, []float64{0.2925, 0.725}},
		// w1 = 0.95 w0 − 0.1 g1 = (0.55, 1.2); b2 = 0.9 g1 + g2 = (5.9, 10.45);
		// w2 = 0.95 w1 − 0.1 b2.
		{"decoupled momentum", SGD[[]float64]{LR: 0.1, Momentum: 0.9, WeightDecay: 0.5, Decay: DecayDecoupled},
			[]float64{0.55, 1.2}, []float64{-0.0675, 0.095}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := []float64{1, 2}
			o := tc.opt
			f := quad[float64](a2, nil)
			if _, err := o.Step(w, 1, f); err != nil {
				t.Fatal(err)
			}
			checkClose(t, "w1", w, tc.w1, 1e-15)
			if _, err := o.Step(w, 1, f); err != nil {
				t.Fatal(err)
			}
			checkClose(t, "w2", w, tc.w2, 1e-14)
		})
	}
}

// TestSGDFloat32 runs the momentum case in float32.
func TestSGDFloat32(t *testing.T) {
	w := []float32{1, 2}
	o := SGD[[]float32]{LR: 0.1, Momentum: 0.9}
	f := quad[float32](a2, nil)
	for range 2 {
		if _, err := o.Step(w, 1, f); err != nil {
			t.Fatal(err)
		}
	}
	checkClose(t, "w2", w, []float64{-0.01, 0.22}, 1e-6)
}

// TestSGDTorch compares 4-step trajectories with torch.optim.SGD (testdata/gen_torch.py).
func TestSGDTorch(t *testing.T) {
	fx := loadTorch(t)
	a := flatten(fx.A)
	for _, c := range fx.SGD {
		t.Run(c.Name, func(t *testing.T) {
			o := SGD[[]float64]{LR: c.LR, Momentum: c.Momentum, Dampening: c.Dampening,
				Nesterov: c.Nesterov, WeightDecay: c.WeightDecay, Decay: DecayCoupled}
			w := append([]float64(nil), c.W0...)
			for _, want := range c.Traj {
				if _, err := o.Step(w, 1, quad[float64](a, nil)); err != nil {
					t.Fatal(err)
				}
				checkClose(t, "step", w, want, 1e-14)
			}
		})
	}
}

// TestSGDDecayL2EqualsCoupled: for ERM the two conventions are the same computation.
func TestSGDDecayL2EqualsCoupled(t *testing.T) {
	fx := loadTorch(t)
	x := flatten(fx.X)
	f := leastSquares[float32](x, fx.Y)
	a := SGD[[]float32]{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01}
	b := a
	b.Decay = DecayCoupled
	wa := []float32{0.3, -0.7, 1.1}
	wb := append([]float32(nil), wa...)
	for range 5 {
		if _, err := a.Step(wa, 8, f); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Step(wb, 8, f); err != nil {
			t.Fatal(err)
		}
	}
	checkBits(t, "w", wa, wb)
}

// TestSGDState: a run resumed from State is bit-for-bit the uninterrupted run.
func TestSGDState(t *testing.T) {
	fx := loadTorch(t)
	f := leastSquares[float32](flatten(fx.X), fx.Y)
	o := SGD[[]float32]{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01}
	w := []float32{0.3, -0.7, 1.1}
	for range 3 {
		if _, err := o.Step(w, 8, f); err != nil {
			t.Fatal(err)
		}
	}
	st := o.State()
	wr := append([]float32(nil), w...)
	for range 3 {
		if _, err := o.Step(w, 8, f); err != nil {
			t.Fatal(err)
		}
	}
	r := SGD[[]float32]{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01}
	if err := r.SetState(st); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := r.Step(wr, 8, f); err != nil {
			t.Fatal(err)
		}
	}
	checkBits(t, "resumed w", wr, w)
	if got, want := r.State().Steps, int64(6); got != want {
		t.Errorf("Steps = %d, want %d", got, want)
	}
	// State is a copy: changing it does not change the optimizer.
	st.Momentum[0] = 42
	if o.State().Momentum[0] == 42 {
		t.Error("State shares the momentum buffer")
	}
}

func TestSGDErrors(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name  string
		opt   SGD[[]float64]
		batch int
		want  error
		field string
	}{
		{"negative LR", SGD[[]float64]{LR: -0.1}, 1, ErrParam, "SGD.LR"},
		{"NaN LR", SGD[[]float64]{LR: nan}, 1, ErrParam, "SGD.LR"},
		{"negative momentum", SGD[[]float64]{LR: 0.1, Momentum: -1}, 1, ErrParam, "SGD.Momentum"},
		{"dampening above 1", SGD[[]float64]{LR: 0.1, Momentum: 0.9, Dampening: 2}, 1, ErrParam, "SGD.Dampening"},
		{"negative weight decay", SGD[[]float64]{LR: 0.1, WeightDecay: -1}, 1, ErrParam, "SGD.WeightDecay"},
		{"bad decay mode", SGD[[]float64]{LR: 0.1, Decay: 7}, 1, ErrParam, "SGD.Decay"},
		{"nesterov without momentum", SGD[[]float64]{LR: 0.1, Nesterov: true}, 1, ErrParam, "SGD.Nesterov"},
		{"nesterov with dampening", SGD[[]float64]{LR: 0.1, Momentum: 0.9, Dampening: 0.1, Nesterov: true}, 1, ErrParam, "SGD.Nesterov"},
		{"zero batch", SGD[[]float64]{LR: 0.1}, 0, ErrBatch, "batch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := []float64{1, 2}
			_, err := tc.opt.Step(w, tc.batch, quad[float64](a2, nil))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("err = %q does not name %s", err, tc.field)
			}
			checkBits(t, "w", w, []float64{1, 2})
		})
	}
}

func TestSGDNonFinite(t *testing.T) {
	o := SGD[[]float64]{LR: 0.1, Momentum: 0.9}
	w := []float64{1, 2}
	inf := func(p Pass, w, g []float64) (float64, error) {
		g[0], g[1] = 1, math.Inf(1)
		return 0, nil
	}
	if _, err := o.Step(w, 1, inf); !errors.Is(err, ErrNonFinite) {
		t.Fatalf("err = %v, want ErrNonFinite", err)
	}
	checkBits(t, "w", w, []float64{1, 2})
	if o.State().Steps != 0 {
		t.Error("a failed step counted")
	}
}

func TestSGDSizeChange(t *testing.T) {
	o := SGD[[]float64]{LR: 0.1, Momentum: 0.9}
	if _, err := o.Step([]float64{1, 2}, 1, quad[float64](a2, nil)); err != nil {
		t.Fatal(err)
	}
	_, err := o.Step([]float64{1, 2, 3}, 1, quad[float64]([]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, nil))
	if !errors.Is(err, ErrSize) {
		t.Fatalf("err = %v, want ErrSize", err)
	}
	if err := o.Update([]float64{1, 2}, []float64{1}); !errors.Is(err, ErrSize) {
		t.Fatalf("Update err = %v, want ErrSize", err)
	}
}

func TestSGDGradFuncError(t *testing.T) {
	boom := errors.New("boom")
	o := SGD[[]float64]{LR: 0.1}
	_, err := o.Step([]float64{1}, 1, func(Pass, []float64, []float64) (float64, error) { return 0, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want wrapped boom", err)
	}
}

// TestSGDStateView: StateView shares the momentum buffer that State copies.
func TestSGDStateView(t *testing.T) {
	o := SGD[[]float64]{LR: 0.1, Momentum: 0.9}
	if v := o.StateView(); v.Momentum != nil || v.Steps != 0 {
		t.Fatalf("StateView before a step: %+v, want the zero state", v)
	}
	w := []float64{1, 2}
	if err := o.Update(w, []float64{0.5, -1}); err != nil {
		t.Fatal(err)
	}
	v := o.StateView()
	if v.Steps != 1 || v.Momentum[0] != 0.5 || v.Momentum[1] != -1 {
		t.Fatalf("StateView after one update: %+v, want Steps 1, momentum [0.5 -1]", v)
	}
	v.Momentum[0] = 42
	if o.State().Momentum[0] != 42 {
		t.Error("StateView does not share the momentum buffer")
	}
}
