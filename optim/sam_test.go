package optim

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

const guard = 1e-12 // the documented norm guard, written out again here

// TestSAMQuadClosedForm checks one step of each variant on f(w) = ½wᵀAw with
// A = [[2, 1], [1, 3]], γ = 0.1, ρ = 0.1, against formulas worked out by hand.
// At w0 = (1, 2): g = Aw0 = (4, 7), ‖g‖ = √65, Ag = (15, 25); since ∇f is linear the
// descent gradient at w0 + ε is g + Aε.
func TestSAMQuadClosedForm(t *testing.T) {
	const lr, rho = 0.1, 0.1
	c := rho / (math.Sqrt(65) + guard) // normalised ascent: ε = c·g
	// ASAM at w0 = (−1, 3), η = 0.5: g = (1, 8), T = diag(1.5, 3.5), Tg = (1.5, 28),
	// T²g = (2.25, 98), A·T²g = (102.5, 296.25).
	ca := rho / (math.Sqrt(1.5*1.5+28*28) + guard)
	// Two-step normalised ascent (α = ρ): δ1 = c·g; g2 = g + A δ1 = (4 + 15c, 7 + 25c);
	// δ2 = Π(δ1 + ρ·g2/‖g2‖), Π the projection onto ‖δ‖ ≤ ρ; descent gradient g + Aδ2.
	g2 := []float64{4 + 15*c, 7 + 25*c}
	n2 := math.Hypot(g2[0], g2[1]) + guard
	d2 := []float64{4*c + rho*g2[0]/n2, 7*c + rho*g2[1]/n2}
	if nd := math.Hypot(d2[0], d2[1]); nd > rho {
		d2[0], d2[1] = d2[0]*rho/nd, d2[1]*rho/nd
	}
	h2 := []float64{4 + 2*d2[0] + d2[1], 7 + d2[0] + 3*d2[1]}

	for _, tc := range []struct {
		name string
		sam  SAM[[]float64]
		w0   []float64
		want []float64
	}{
		{"normalised", SAM[[]float64]{Rho: rho}, []float64{1, 2},
			[]float64{1 - lr*(4+15*c), 2 - lr*(7+25*c)}},
		// ε = ρg = (0.4, 0.7): descent gradient (4 + 1.5, 7 + 2.5).
		{"unnormalised", SAM[[]float64]{Rho: rho, Unnormalized: true}, []float64{1, 2},
			[]float64{0.45, 1.05}},
		// ρ_t = Rho·γ = 1·0.1.
		{"rho by lr", SAM[[]float64]{Rho: 1, RhoByLR: true}, []float64{1, 2},
			[]float64{1 - lr*(4+15*c), 2 - lr*(7+25*c)}},
		{"asam", SAM[[]float64]{Rho: rho, Adaptive: true, Eta: 0.5}, []float64{-1, 3},
			[]float64{-1 - lr*(1+102.5*ca), 3 - lr*(8+296.25*ca)}},
		// ε = ρT²g = (0.225, 9.8); descent gradient (1, 8) + Aε = (11.25, 37.625).
		{"asam unnormalised", SAM[[]float64]{Rho: rho, Adaptive: true, Eta: 0.5, Unnormalized: true},
			[]float64{-1, 3}, []float64{-2.125, -0.7625}},
		{"two-step", SAM[[]float64]{Rho: rho, AscentSteps: 2}, []float64{1, 2},
			[]float64{1 - lr*h2[0], 2 - lr*h2[1]}},
		// δ1 = ρg = (0.4, 0.7); g2 = g + Aδ1 = (5.5, 9.5); δ2 = δ1 + ρg2 = (0.95, 1.65);
		// descent gradient g + Aδ2 = (7.55, 12.9).
		{"two-step unnormalised", SAM[[]float64]{Rho: rho, AscentSteps: 2, Unnormalized: true},
			[]float64{1, 2}, []float64{0.245, 0.71}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.sam
			s.Base = &SGD[[]float64]{LR: lr}
			w := append([]float64(nil), tc.w0...)
			if _, err := s.Step(w, 1, quad[float64](a2, nil)); err != nil {
				t.Fatal(err)
			}
			checkClose(t, "w1", w, tc.want, 4e-15)
		})
	}
}

// TestSAMDecayClosedForm checks the three weight-decay conventions inside SAM
// (λ = 0.5, same problem as TestSAMQuadClosedForm).
func TestSAMDecayClosedForm(t *testing.T) {
	const lr, rho, wd = 0.1, 0.1, 0.5
	c := rho / (math.Sqrt(65) + guard)
	// DecayL2: objective gradient (A + λI)w: ascent (4.5, 8), descent (4.5, 8) + c'(19.25, 32.5).
	cl2 := rho / (math.Sqrt(4.5*4.5+8*8) + guard)
	for _, tc := range []struct {
		name  string
		decay DecayMode
		want  []float64
	}{
		{"l2", DecayL2, []float64{1 - lr*(4.5+19.25*cl2), 2 - lr*(8+32.5*cl2)}},
		// Ascent without λ: ε = c·g; update gradient A(w0 + ε) + λw0.
		{"coupled", DecayCoupled, []float64{1 - lr*(4+15*c+0.5), 2 - lr*(7+25*c+1)}},
		// Ascent without λ; w1 = (1 − γλ)w0 − γA(w0 + ε).
		{"decoupled", DecayDecoupled, []float64{0.95 - lr*(4+15*c), 1.9 - lr*(7+25*c)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := SAM[[]float64]{Base: &SGD[[]float64]{LR: lr, WeightDecay: wd, Decay: tc.decay}, Rho: rho}
			w := []float64{1, 2}
			if _, err := s.Step(w, 1, quad[float64](a2, nil)); err != nil {
				t.Fatal(err)
			}
			checkClose(t, "w1", w, tc.want, 1e-15)
		})
	}
}

// TestSAMNormalizedVsUnnormalized: on the quadratic the two updates differ by
// −γ·(ρ/(‖g‖+1e-12) − ρ)·Ag, which is what the formulas ε = ρg/‖g‖ and ε = ρg say.
func TestSAMNormalizedVsUnnormalized(t *testing.T) {
	const lr, rho = 0.05, 0.2
	w0 := []float64{-0.5, 1.5}
	g := []float64{2*w0[0] + w0[1], w0[0] + 3*w0[1]} // (0.5, 4)
	ag := []float64{2*g[0] + g[1], g[0] + 3*g[1]}    // (5, 12.5)
	k := -lr * (rho/(math.Hypot(g[0], g[1])+guard) - rho)
	var ws [2][]float64
	for i, un := range []bool{false, true} {
		s := SAM[[]float64]{Base: &SGD[[]float64]{LR: lr}, Rho: rho, Unnormalized: un}
		ws[i] = append([]float64(nil), w0...)
		if _, err := s.Step(ws[i], 1, quad[float64](a2, nil)); err != nil {
			t.Fatal(err)
		}
	}
	diff := []float64{ws[0][0] - ws[1][0], ws[0][1] - ws[1][1]}
	checkClose(t, "normalised − unnormalised", diff, []float64{k * ag[0], k * ag[1]}, 1e-15)
}

// TestSAMLeastSquaresClosedForm: scalar least squares with two examples,
// ℓ_i(w) = ½(x_i w − y_i)², x = (1, 2), y = (2, −1), w0 = 1, γ = ρ = 0.1.
// Per-example gradients at w0: g_1 = 1·(1 − 2) = −1, g_2 = 2·(2 + 1) = 6; mean 2.5.
func TestSAMLeastSquaresClosedForm(t *testing.T) {
	x, y := []float64{1, 2}, []float64{2, -1}
	for _, tc := range []struct {
		name                       string
		m                          int
		unnormalized               bool
		w1, loss, perturbed, gnorm float64
	}{
		// ε = ρ·sign(2.5) = 0.1; at 1.1: residuals −0.9, 3.2, gradients −0.9, 6.4, mean 2.75.
		// Losses: at 1: (0.5 + 4.5)/2; at 1.1: (0.405 + 5.12)/2.
		{"n-SAM", 2, false, 1 - 0.1*2.75, 2.5, 2.7625, 2.5},
		// ε_1 = −0.1, ε_2 = 0.1: gradients 1·(0.9 − 2) = −1.1 and 2·(2.2 + 1) = 6.4, mean 2.65.
		// Losses at 0.9 and 1.1: 0.605 and 5.12. GradNorm = (1 + 6)/2.
		{"1-SAM", 1, false, 1 - 0.1*2.65, 2.5, 2.8625, 3.5},
		// ε = ρ·2.5 = 0.25: gradients 1·(1.25 − 2) = −0.75, 2·(2.5 + 1) = 7, mean 3.125.
		{"n-SAM unnormalised", 0, true, 1 - 0.1*3.125, 2.5, (0.28125 + 6.125) / 2, 2.5},
		// ε_1 = −0.1, ε_2 = 0.6: gradients −1.1 and 2·(3.2 + 1) = 8.4, mean 3.65.
		{"1-SAM unnormalised", 1, true, 1 - 0.1*3.65, 2.5, (0.605 + 8.82) / 2, 3.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := SAM[[]float64]{Base: &SGD[[]float64]{LR: 0.1}, Rho: 0.1, M: tc.m, Unnormalized: tc.unnormalized}
			w := []float64{1}
			st, err := s.Step(w, 2, leastSquares[float64](x, y))
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, "w1", w, []float64{tc.w1}, 1e-12)
			checkClose(t, "stats", []float64{st.Loss, st.PerturbedLoss, st.GradNorm},
				[]float64{tc.loss, tc.perturbed, tc.gnorm}, 1e-12)

			s32 := SAM[[]float32]{Base: &SGD[[]float32]{LR: 0.1}, Rho: 0.1, M: tc.m, Unnormalized: tc.unnormalized}
			w32 := []float32{1}
			if _, err := s32.Step(w32, 2, leastSquares[float32](x, y)); err != nil {
				t.Fatal(err)
			}
			checkClose(t, "float32 w1", w32, []float64{tc.w1}, 1e-6)
		})
	}
}

// TestSAMTorch compares 3-step trajectories with a PyTorch SAM (davda54/sam style, m-SAM
// by explicit micro-batch loop) over torch.optim.SGD with momentum (testdata/gen_torch.py).
func TestSAMTorch(t *testing.T) {
	fx := loadTorch(t)
	x := flatten(fx.X)
	for _, c := range fx.SAM {
		t.Run(c.Name, func(t *testing.T) {
			decay := DecayL2
			if c.Decay == "coupled" {
				decay = DecayCoupled
			}
			s := SAM[[]float64]{
				Base: &SGD[[]float64]{LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WeightDecay, Decay: decay},
				Rho:  c.Rho, M: c.M, Unnormalized: c.Unnormalized,
			}
			w := append([]float64(nil), c.W0...)
			for _, want := range c.Traj {
				if _, err := s.Step(w, len(fx.Y), leastSquares[float64](x, fx.Y)); err != nil {
					t.Fatal(err)
				}
				checkClose(t, "w", w, want, 1e-14)
			}
		})
	}
}

// TestMSAMEqualsLoop: an m-SAM step equals the explicit loop over micro-batches
// written here with the test's own gradient, for every M dividing the batch of 8.
func TestMSAMEqualsLoop(t *testing.T) {
	fx := loadTorch(t)
	x, y := flatten(fx.X), fx.Y
	const lr, rho, wd = 0.1, 0.3, 0.02
	w0 := []float64{0.3, -0.7, 1.1}
	for _, m := range []int{1, 2, 4, 8} {
		for _, un := range []bool{false, true} {
			t.Run(fmt.Sprintf("M=%d unnormalised=%v", m, un), func(t *testing.T) {
				// Explicit loop: objective ℓ + ½λ‖w‖² in both passes.
				acc := make([]float64, 3)
				for lo := 0; lo < 8; lo += m {
					g := lsGrad(x, y, w0, lo, lo+m)
					for k := range g {
						g[k] += wd * w0[k]
					}
					c := rho
					if !un {
						c = rho / (math.Sqrt(g[0]*g[0]+g[1]*g[1]+g[2]*g[2]) + guard)
					}
					wp := []float64{w0[0] + c*g[0], w0[1] + c*g[1], w0[2] + c*g[2]}
					h := lsGrad(x, y, wp, lo, lo+m)
					for k := range h {
						acc[k] += h[k] + wd*wp[k]
					}
				}
				want := make([]float64, 3)
				for k := range want {
					want[k] = w0[k] - lr*acc[k]/float64(8/m)
				}
				s := SAM[[]float64]{Base: &SGD[[]float64]{LR: lr, WeightDecay: wd}, Rho: rho, M: m, Unnormalized: un}
				w := append([]float64(nil), w0...)
				if _, err := s.Step(w, 8, leastSquares[float64](x, y)); err != nil {
					t.Fatal(err)
				}
				checkClose(t, "w", w, want, 1e-15)
			})
		}
	}
}

// TestSAMRhoZeroIsBase: Rho 0, a zero learning rate under RhoByLR and an epoch outside the
// window all give the base optimizer bit for bit, at one pass per step.
func TestSAMRhoZeroIsBase(t *testing.T) {
	fx := loadTorch(t)
	f32 := leastSquares[float32](flatten(fx.X), fx.Y)
	newBase := func() *SGD[[]float32] {
		return &SGD[[]float32]{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 5e-4}
	}
	for _, tc := range []struct {
		name string
		sam  SAM[[]float32]
	}{
		{"rho 0", SAM[[]float32]{M: 2}},
		{"before window", SAM[[]float32]{Rho: 0.05, M: 2, FromEpoch: 3, Epoch: 2}},
		{"after window", SAM[[]float32]{Rho: 0.05, M: 2, UntilEpoch: 3, Epoch: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.sam
			s.Base = newBase()
			ref := newBase()
			w := []float32{0.3, -0.7, 1.1}
			wr := append([]float32(nil), w...)
			calls := 0
			counted := func(p Pass, w, g []float32) (float64, error) {
				calls++
				if p.Kind != Clean || p.BN != BNUpdate || p.Lo != 0 || p.Hi != 8 {
					t.Errorf("pass %+v, want the whole batch, Clean, BNUpdate", p)
				}
				return f32(p, w, g)
			}
			if s.Active() {
				t.Fatal("Active() = true")
			}
			for range 5 {
				sa, err := s.Step(w, 8, counted)
				if err != nil {
					t.Fatal(err)
				}
				sb, err := ref.Step(wr, 8, f32)
				if err != nil {
					t.Fatal(err)
				}
				if sa != sb {
					t.Errorf("stats %+v, want %+v", sa, sb)
				}
			}
			checkBits(t, "w", w, wr)
			if calls != 5 {
				t.Errorf("%d gradient passes for 5 steps, want 5", calls)
			}
		})
	}
	// Inside the window: two passes per step.
	s := SAM[[]float32]{Base: newBase(), Rho: 0.05, FromEpoch: 3, UntilEpoch: 5, Epoch: 4}
	calls := 0
	if _, err := s.Step([]float32{0.3, -0.7, 1.1}, 8, func(p Pass, w, g []float32) (float64, error) {
		calls++
		return f32(p, w, g)
	}); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("%d passes inside the window, want 2", calls)
	}
}

// TestSAMOneAscentStepIsSAM: AscentSteps = 1 (the projected loop) equals the single-step
// path bit for bit.
func TestSAMOneAscentStepIsSAM(t *testing.T) {
	fx := loadTorch(t)
	x, y := flatten(fx.X), fx.Y
	for i, cfg := range []SAM[[]float32]{
		{Rho: 0.05},
		{Rho: 0.05, M: 2},
		{Rho: 0.05, Unnormalized: true, M: 1},
		{Rho: 2, M: 4},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			a, b := cfg, cfg
			a.Base = &SGD[[]float32]{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01}
			b.Base = &SGD[[]float32]{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01}
			b.AscentSteps = 1
			wa := []float32{0.3, -0.7, 1.1}
			wb := append([]float32(nil), wa...)
			for range 4 {
				if _, err := a.Step(wa, 8, leastSquares[float32](x, y)); err != nil {
					t.Fatal(err)
				}
				if _, err := b.Step(wb, 8, leastSquares[float32](x, y)); err != nil {
					t.Fatal(err)
				}
			}
			checkBits(t, "w", wb, wa)
		})
	}
}

// TestSAMRandomControl: the random perturbation has the norm of the SAM perturbation
// (ρ‖g‖/(‖g‖+1e-12) normalised, ρ‖g‖ unnormalised), a different direction, and is
// reproducible from Seed and from State.
func TestSAMRandomControl(t *testing.T) {
	const d = 50
	diag := make([]float64, d*d) // A = diag(1..d)
	for i := range d {
		diag[i*d+i] = float64(i + 1)
	}
	w0 := make([]float64, d)
	for i := range w0 {
		w0[i] = math.Sin(float64(i) + 0.5)
	}
	g := make([]float64, d)
	var gn float64
	for i := range g {
		g[i] = float64(i+1) * w0[i]
		gn += g[i] * g[i]
	}
	gn = math.Sqrt(gn)
	// ASAM with η = 0.01: ‖ε‖ = ρ‖T²g‖/(‖Tg‖ + 1e-12), T = diag(|w0| + η).
	var tg, t2g float64
	for i := range g {
		ti := math.Abs(w0[i]) + 0.01
		tg += ti * ti * g[i] * g[i]
		t2g += ti * ti * ti * ti * g[i] * g[i]
	}
	for _, tc := range []struct {
		un, adaptive bool
		wantNorm     float64
	}{
		{false, false, 0.1 * gn / (gn + guard)},
		{true, false, 0.1 * gn},
		{false, true, 0.1 * math.Sqrt(t2g) / (math.Sqrt(tg) + guard)},
	} {
		var eps []float64
		f := func(p Pass, w, gr []float64) (float64, error) {
			if p.Kind == Perturbed {
				eps = eps[:0]
				for i := range w {
					eps = append(eps, w[i]-w0[i])
				}
			}
			return quad[float64](diag, nil)(p, w, gr)
		}
		s := SAM[[]float64]{Base: &SGD[[]float64]{LR: 0.01}, Rho: 0.1, Unnormalized: tc.un,
			Adaptive: tc.adaptive, Eta: 0.01, Random: true, Seed: 7}
		w := append([]float64(nil), w0...)
		if _, err := s.Step(w, 1, f); err != nil {
			t.Fatal(err)
		}
		var en, dot float64
		for i := range eps {
			en += eps[i] * eps[i]
			dot += eps[i] * g[i]
		}
		en = math.Sqrt(en)
		if math.Abs(en-tc.wantNorm) > 1e-14*tc.wantNorm {
			t.Errorf("%+v: ‖ε‖ = %.17g, want %.17g", tc, en, tc.wantNorm)
		}
		if cos := dot / (en * gn); math.Abs(cos) > 0.9 {
			t.Errorf("%+v: cos(ε, g) = %v, want a random direction", tc, cos)
		}
	}

	// Reproducible: same Seed, same trajectory; resumed from State, same trajectory.
	run := func(s *SAM[[]float64], w []float64, n int) {
		for range n {
			if _, err := s.Step(w, 1, quad[float64](diag, nil)); err != nil {
				t.Fatal(err)
			}
		}
	}
	newSAM := func(seed uint64) *SAM[[]float64] {
		return &SAM[[]float64]{Base: &SGD[[]float64]{LR: 0.01, Momentum: 0.9}, Rho: 0.1, Random: true, Seed: seed}
	}
	a, b, c := newSAM(7), newSAM(7), newSAM(8)
	wa, wb, wc := append([]float64(nil), w0...), append([]float64(nil), w0...), append([]float64(nil), w0...)
	run(a, wa, 3)
	run(b, wb, 3)
	run(c, wc, 3)
	checkBits(t, "same seed", wb, wa)
	if wc[0] == wa[0] {
		t.Error("seeds 7 and 8 gave the same step")
	}
	st, err := a.State()
	if err != nil {
		t.Fatal(err)
	}
	bst := a.Base.(*SGD[[]float64]).State()
	wr := append([]float64(nil), wa...)
	run(a, wa, 3)
	r := newSAM(99) // the seed is overridden by the state
	if err := r.SetState(st); err != nil {
		t.Fatal(err)
	}
	if err := r.Base.(*SGD[[]float64]).SetState(bst); err != nil {
		t.Fatal(err)
	}
	run(r, wr, 3)
	checkBits(t, "resumed", wr, wa)
}

// TestSAMPasses records the passes SAM requests, for each BatchNorm policy and M.
func TestSAMPasses(t *testing.T) {
	type rec struct {
		kind   PassKind
		lo, hi int
		bn     BNMode
	}
	for _, tc := range []struct {
		name string
		sam  SAM[[]float64]
		want []rec
	}{
		{"n-SAM both", SAM[[]float64]{Rho: 0.1}, []rec{{Clean, 0, 4, BNUpdate}, {Perturbed, 0, 4, BNUpdate}}},
		{"n-SAM first", SAM[[]float64]{Rho: 0.1, BN: BNFirst}, []rec{{Clean, 0, 4, BNUpdate}, {Perturbed, 0, 4, BNFrozen}}},
		{"n-SAM eval", SAM[[]float64]{Rho: 0.1, BN: BNEvalBoth}, []rec{{Clean, 0, 4, BNEval}, {Perturbed, 0, 4, BNEval}}},
		{"m-SAM M=2 first", SAM[[]float64]{Rho: 0.1, M: 2, BN: BNFirst}, []rec{
			{Clean, 0, 2, BNUpdate}, {Perturbed, 0, 2, BNFrozen},
			{Clean, 2, 4, BNUpdate}, {Perturbed, 2, 4, BNFrozen}}},
		{"M=B is n-SAM", SAM[[]float64]{Rho: 0.1, M: 4}, []rec{{Clean, 0, 4, BNUpdate}, {Perturbed, 0, 4, BNUpdate}}},
		{"three ascent steps", SAM[[]float64]{Rho: 0.1, AscentSteps: 3, BN: BNFirst}, []rec{
			{Clean, 0, 4, BNUpdate}, {Perturbed, 0, 4, BNFrozen}, {Perturbed, 0, 4, BNFrozen}, {Perturbed, 0, 4, BNFrozen}}},
		{"ERM", SAM[[]float64]{BN: BNEvalBoth}, []rec{{Clean, 0, 4, BNUpdate}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []rec
			s := tc.sam
			s.Base = &SGD[[]float64]{LR: 0.1}
			_, err := s.Step([]float64{1, 2}, 4, func(p Pass, w, g []float64) (float64, error) {
				got = append(got, rec{p.Kind, p.Lo, p.Hi, p.BN})
				return quad[float64](a2, nil)(p, w, g)
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("passes %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSAMErrors(t *testing.T) {
	base := func() *SGD[[]float64] { return &SGD[[]float64]{LR: 0.1} }
	for _, tc := range []struct {
		name  string
		sam   SAM[[]float64]
		batch int
		want  error
		field string
	}{
		{"nil base", SAM[[]float64]{Rho: 0.1}, 4, ErrParam, "SAM.Base"},
		{"negative rho", SAM[[]float64]{Base: base(), Rho: -0.1}, 4, ErrParam, "SAM.Rho"},
		{"NaN rho", SAM[[]float64]{Base: base(), Rho: math.NaN()}, 4, ErrParam, "SAM.Rho"},
		{"infinite rho", SAM[[]float64]{Base: base(), Rho: math.Inf(1)}, 4, ErrParam, "SAM.Rho"},
		{"negative M", SAM[[]float64]{Base: base(), Rho: 0.1, M: -2}, 4, ErrParam, "SAM.M"},
		{"M not dividing", SAM[[]float64]{Base: base(), Rho: 0.1, M: 3}, 4, ErrBatch, "SAM.M"},
		{"M above batch", SAM[[]float64]{Base: base(), Rho: 0.1, M: 8}, 4, ErrBatch, "SAM.M"},
		{"M not dividing under rho 0", SAM[[]float64]{Base: base(), M: 3}, 4, ErrBatch, "SAM.M"},
		{"zero batch", SAM[[]float64]{Base: base(), Rho: 0.1}, 0, ErrBatch, "batch"},
		{"negative LR", SAM[[]float64]{Base: &SGD[[]float64]{LR: -1}, Rho: 0.1}, 4, ErrParam, "SGD.LR"},
		{"bad BN", SAM[[]float64]{Base: base(), Rho: 0.1, BN: 3}, 4, ErrParam, "SAM.BN"},
		{"negative ascent steps", SAM[[]float64]{Base: base(), Rho: 0.1, AscentSteps: -1}, 4, ErrParam, "SAM.AscentSteps"},
		{"negative ascent mult", SAM[[]float64]{Base: base(), Rho: 0.1, AscentStepMult: -1}, 4, ErrParam, "SAM.AscentStepMult"},
		{"adaptive multi-step", SAM[[]float64]{Base: base(), Rho: 0.1, Adaptive: true, AscentSteps: 2}, 4, ErrParam, "SAM.AscentSteps"},
		{"negative eta", SAM[[]float64]{Base: base(), Rho: 0.1, Adaptive: true, Eta: -0.01}, 4, ErrParam, "SAM.Eta"},
		{"negative from", SAM[[]float64]{Base: base(), Rho: 0.1, FromEpoch: -1}, 4, ErrParam, "SAM.FromEpoch"},
		{"until before from", SAM[[]float64]{Base: base(), Rho: 0.1, FromEpoch: 5, UntilEpoch: 3}, 4, ErrParam, "SAM.UntilEpoch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := []float64{1, 2}
			_, err := tc.sam.Step(w, tc.batch, quad[float64](a2, nil))
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

// TestSAMFailedPassRestores: whichever pass fails, the weights come back as they were and
// the base optimizer makes no step.
func TestSAMFailedPassRestores(t *testing.T) {
	boom := errors.New("boom")
	for _, failAt := range []int{1, 2, 3, 4} {
		for i, cfg := range []SAM[[]float64]{{Rho: 0.1, M: 1}, {Rho: 0.1, M: 1, AscentSteps: 2}} {
			t.Run(fmt.Sprintf("pass %d config %d", failAt, i), func(t *testing.T) {
				base := &SGD[[]float64]{LR: 0.1, Momentum: 0.9}
				s := cfg
				s.Base = base
				w := []float64{1, 2}
				n := 0
				_, err := s.Step(w, 2, func(p Pass, w, g []float64) (float64, error) {
					n++
					if n == failAt {
						return 0, boom
					}
					return quad[float64](a2, nil)(p, w, g)
				})
				if !errors.Is(err, boom) {
					t.Fatalf("err = %v, want wrapped boom", err)
				}
				checkBits(t, "w", w, []float64{1, 2})
				if base.State().Steps != 0 {
					t.Error("the base optimizer stepped")
				}
			})
		}
	}
}

func TestSAMNonFinite(t *testing.T) {
	s := SAM[[]float64]{Base: &SGD[[]float64]{LR: 0.1}, Rho: 0.1}
	w := []float64{1, 2}
	_, err := s.Step(w, 1, func(p Pass, w, g []float64) (float64, error) {
		g[0], g[1] = math.NaN(), 1
		return 0, nil
	})
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("err = %v, want ErrNonFinite", err)
	}
	checkBits(t, "w", w, []float64{1, 2})
}

// TestSAMZeroGradient: the 1e-12 guard turns a zero gradient into a zero perturbation.
func TestSAMZeroGradient(t *testing.T) {
	s := SAM[[]float64]{Base: &SGD[[]float64]{LR: 0.1}, Rho: 0.1}
	w := []float64{0, 0}
	if _, err := s.Step(w, 1, quad[float64](a2, nil)); err != nil {
		t.Fatal(err)
	}
	checkBits(t, "w", w, []float64{0, 0})
}

func TestSAMSetStateErrors(t *testing.T) {
	var s SAM[[]float32]
	if err := s.SetState(SAMState{RNG: []byte("junk")}); !errors.Is(err, ErrParam) {
		t.Errorf("err = %v, want ErrParam", err)
	}
	var o SGD[[]float32]
	if err := o.SetState(SGDState[[]float32]{Steps: -1}); !errors.Is(err, ErrParam) {
		t.Errorf("err = %v, want ErrParam", err)
	}
}

// TestStepAllocs: no allocation per step in steady state.
func TestStepAllocs(t *testing.T) {
	fx := loadTorch(t)
	f := leastSquares[float32](flatten(fx.X), fx.Y)
	for i, cfg := range []SAM[[]float32]{
		{},
		{Rho: 0.05},
		{Rho: 0.05, M: 1, Unnormalized: true},
		{Rho: 0.05, M: 2, BN: BNFirst},
		{Rho: 0.05, AscentSteps: 3},
		{Rho: 0.05, Adaptive: true, Eta: 0.01},
		{Rho: 0.05, M: 4, Random: true},
		{Rho: 0.5, RhoByLR: true, M: 2},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s := cfg
			s.Base = &SGD[[]float32]{LR: 0.1, Momentum: 0.9, WeightDecay: 5e-4}
			w := []float32{0.3, -0.7, 1.1}
			if _, err := s.Step(w, 8, f); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(20, func() {
				if _, err := s.Step(w, 8, f); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per Step, want 0", allocs)
			}
		})
	}
}

func TestParseNames(t *testing.T) {
	for _, p := range []BNPolicy{BNBoth, BNFirst, BNEvalBoth} {
		got, err := ParseBNPolicy(p.String())
		if err != nil || got != p {
			t.Errorf("ParseBNPolicy(%q) = %v, %v", p.String(), got, err)
		}
	}
	for _, m := range []DecayMode{DecayL2, DecayCoupled, DecayDecoupled} {
		got, err := ParseDecayMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseDecayMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseBNPolicy("sometimes"); !errors.Is(err, ErrParam) {
		t.Errorf("ParseBNPolicy(sometimes) err = %v, want ErrParam", err)
	}
	if _, err := ParseDecayMode("l1"); !errors.Is(err, ErrParam) {
		t.Errorf("ParseDecayMode(l1) err = %v, want ErrParam", err)
	}
	if got, want := BNPolicy(9).String(), "BNPolicy(9)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestSAMActive(t *testing.T) {
	for _, tc := range []struct {
		name string
		sam  SAM[[]float32]
		want bool
	}{
		{"default", SAM[[]float32]{Rho: 0.05}, true},
		{"rho 0", SAM[[]float32]{}, false},
		{"from, before", SAM[[]float32]{Rho: 0.05, FromEpoch: 3, Epoch: 2}, false},
		{"from, at", SAM[[]float32]{Rho: 0.05, FromEpoch: 3, Epoch: 3}, true},
		{"until, last", SAM[[]float32]{Rho: 0.05, UntilEpoch: 5, Epoch: 4}, true},
		{"until, at", SAM[[]float32]{Rho: 0.05, UntilEpoch: 5, Epoch: 5}, false},
		{"rho by zero lr", SAM[[]float32]{Rho: 0.5, RhoByLR: true, Base: &SGD[[]float32]{}}, false},
		{"rho by lr", SAM[[]float32]{Rho: 0.5, RhoByLR: true, Base: &SGD[[]float32]{LR: 0.1}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.sam
			if s.Base == nil {
				s.Base = &SGD[[]float32]{LR: 0.1}
			}
			if got := s.Active(); got != tc.want {
				t.Errorf("Active() = %v, want %v", got, tc.want)
			}
		})
	}
	var s SAM[[]float32]
	if s.Active() {
		t.Error("Active() without Base = true")
	}
}
