package dln

import (
	"context"
	"math"
	"testing"
)

// authorsStep is one iteration of the authors' GD, n_SAM_GD or one_SAM_GD
// (tml-epfl/understanding-sam, diagonal_linear_nets/diag_nets.py), written out
// independently of LossGrad and of package optim.
func authorsStep(m Method, x, y, u, v []float64, n, d int, gamma, rho float64) (un, vn []float64) {
	resid := func(k int, u, v []float64) float64 {
		var s float64
		for j := 0; j < d; j++ {
			s += x[k*d+j] * u[j] * v[j]
		}
		return s - y[k]
	}
	gu, gv := make([]float64, d), make([]float64, d)
	switch m {
	case GD, NSAM:
		us, vs := append([]float64(nil), u...), append([]float64(nil), v...)
		if m == NSAM {
			for j := 0; j < d; j++ {
				var xerr float64
				for k := 0; k < n; k++ {
					xerr += x[k*d+j] * resid(k, u, v)
				}
				us[j] = u[j] + rho*xerr*v[j]/float64(n)
				vs[j] = v[j] + rho*xerr*u[j]/float64(n)
			}
		}
		for j := 0; j < d; j++ {
			var xerr float64
			for k := 0; k < n; k++ {
				xerr += x[k*d+j] * resid(k, us, vs)
			}
			gu[j] = xerr * vs[j] / float64(n)
			gv[j] = xerr * us[j] / float64(n)
		}
	case OneSAM:
		for k := 0; k < n; k++ {
			r := resid(k, u, v)
			us, vs := make([]float64, d), make([]float64, d)
			for j := 0; j < d; j++ {
				us[j] = u[j] + 2*rho*r*x[k*d+j]*v[j]
				vs[j] = v[j] + 2*rho*r*x[k*d+j]*u[j]
			}
			rs := resid(k, us, vs)
			for j := 0; j < d; j++ {
				gu[j] += rs * vs[j] * x[k*d+j] / float64(n)
				gv[j] += rs * us[j] * x[k*d+j] / float64(n)
			}
		}
	}
	un, vn = make([]float64, d), make([]float64, d)
	for j := 0; j < d; j++ {
		un[j] = u[j] - gamma*gu[j]
		vn[j] = v[j] - gamma*gv[j]
	}
	return un, vn
}

// TestRunMatchesAuthors runs a few iterations through package optim and the
// authors' update rules and compares the weights.
func TestRunMatchesAuthors(t *testing.T) {
	data, err := Generate(DataConfig{N: 6, NTest: 4, D: 8, K: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	const iters, alpha, gamma = 25, 0.3, 0.2
	for _, tc := range []struct {
		m   Method
		rho float64
	}{{GD, 0}, {NSAM, 0.3}, {OneSAM, 0.1}, {OneSAM, 0}} {
		got, err := Run(context.Background(), data, RunConfig{
			Phases: []Phase{{tc.m, tc.rho, iters}}, Alpha: alpha, Gamma: gamma})
		if err != nil {
			t.Fatal(err)
		}
		u, v := make([]float64, data.D), make([]float64, data.D)
		for j := range u {
			u[j] = alpha
		}
		for i := 0; i < iters; i++ {
			u, v = authorsStep(tc.m, data.X, data.Y, u, v, data.N, data.D, gamma, tc.rho)
		}
		assertClose(t, tc.m.String()+" u", got.W[:data.D], u, 1e-12)
		assertClose(t, tc.m.String()+" v", got.W[data.D:], v, 1e-12)
		if want := SquareLoss(data.XTest, data.YTest, Beta(nil, got.W)); got.Test != want {
			t.Errorf("%v: Test = %v, want %v", tc.m, got.Test, want)
		}
	}
}

// TestRunSGD checks that SGD takes one-example steps: with n = 1 it equals GD.
func TestRunSGD(t *testing.T) {
	data, err := Generate(DataConfig{N: 1, NTest: 2, D: 5, K: 1, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg := RunConfig{Phases: []Phase{{SGD, 0, 30}}, Alpha: 0.5, Gamma: 0.1, Seed: 3}
	a, err := Run(context.Background(), data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Phases[0].Method = GD
	b, err := Run(context.Background(), data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "SGD with n = 1 vs GD", a.W, b.W, 0)
}

func TestRunSwitchAndDivergence(t *testing.T) {
	data, err := Generate(DataConfig{N: 5, NTest: 3, D: 7, K: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Two phases equal one run continued from the first's weights.
	two, err := Run(ctx, data, RunConfig{Phases: []Phase{{GD, 0, 10}, {OneSAM, 0.05, 10}}, Alpha: 0.2, Gamma: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := Run(ctx, data, RunConfig{Phases: []Phase{{GD, 0, 10}}, Alpha: 0.2, Gamma: 0.1})
	second, _ := Run(ctx, data, RunConfig{Phases: []Phase{{OneSAM, 0.05, 10}}, Init: first.W, Gamma: 0.1})
	assertClose(t, "switch", two.W, second.W, 0)
	if n := len(two.Curve); two.Curve[n-1].Iter != 20 || two.Curve[0].Iter != 0 {
		t.Errorf("curve runs from %d to %d, want 0 to 20", two.Curve[0].Iter, two.Curve[n-1].Iter)
	}
	// A huge step diverges and is reported, not returned as an error.
	div, err := Run(ctx, data, RunConfig{Phases: []Phase{{GD, 0, 1000}}, Alpha: 3, Gamma: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !div.Diverged {
		t.Errorf("γ = 50 did not diverge: train loss %v", div.Train)
	}
	for _, bad := range []RunConfig{
		{}, {Phases: []Phase{{GD, -1, 1}}}, {Phases: []Phase{{GD, 0, -1}}},
		{Phases: []Phase{{GD, 0, 1}}, Alpha: -1}, {Phases: []Phase{{GD, 0, 1}}, Init: []float64{1}},
		{Phases: []Phase{{Method(9), 0, 1}}},
	} {
		if _, err := Run(ctx, data, bad); err == nil {
			t.Errorf("Run(%+v): no error", bad)
		}
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Run(ctx2, data, RunConfig{Phases: []Phase{{GD, 0, 10}}}); err == nil {
		t.Error("cancelled context: no error")
	}
}

func TestLineLossesEnds(t *testing.T) {
	data, err := Generate(DataConfig{N: 4, NTest: 3, D: 6, K: 2})
	if err != nil {
		t.Fatal(err)
	}
	a := make([]float64, 12)
	b := make([]float64, 12)
	for j := range a {
		a[j] = 0.1 * float64(j)
		b[j] = 1 - 0.05*float64(j)
	}
	tr, te := LineLosses(data, a, b, []float64{0, 1})
	for i, w := range [][]float64{a, b} {
		beta := Beta(nil, w)
		if tr[i] != SquareLoss(data.X, data.Y, beta) || te[i] != SquareLoss(data.XTest, data.YTest, beta) {
			t.Errorf("end %d: losses %v, %v differ from SquareLoss", i, tr[i], te[i])
		}
	}
}

func TestSupport(t *testing.T) {
	for _, tc := range []struct {
		beta, truth []float64
		equal       bool
		off         float64
	}{
		{[]float64{1, 0.5, 0.001}, []float64{1, 1, 0}, true, 0.001 / 1.501},
		{[]float64{1, 0, 0.5}, []float64{1, 1, 0}, false, 0.5 / 1.5},
		{[]float64{0, 0}, []float64{0, 0}, true, 0},
	} {
		eq, off := Support(tc.beta, tc.truth, 0.01)
		if eq != tc.equal || math.Abs(off-tc.off) > 1e-15 {
			t.Errorf("Support(%v, %v) = %v, %v, want %v, %v", tc.beta, tc.truth, eq, off, tc.equal, tc.off)
		}
	}
}

func TestLogSpaced(t *testing.T) {
	got := logSpaced(1000, 3)
	want := []int{0, 1, 10, 100, 1000}
	if len(got) != len(want) {
		t.Fatalf("logSpaced(1000, 3) = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("logSpaced(1000, 3) = %v, want %v", got, want)
		}
	}
}
