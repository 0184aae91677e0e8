package dln

import (
	"math"
	"math/rand/v2"
	"testing"
)

// smallProblem returns a random n×d Gaussian design and labels of a k-sparse
// nonnegative β*.
func smallProblem(seed uint64, n, d, k int) (x, y, beta []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	x = make([]float64, n*d)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	beta = make([]float64, d)
	for i := 0; i < k; i++ {
		beta[i] = 1 + r.Float64()
	}
	return x, matVec(x, beta, n, d), beta
}

// solveGaussJordan solves A z = b for a square A by Gauss–Jordan elimination
// with partial pivoting (a reference independent of choleskySolve).
func solveGaussJordan(a, b []float64, n int) []float64 {
	m := make([]float64, n*(n+1))
	for i := 0; i < n; i++ {
		copy(m[i*(n+1):], a[i*n:(i+1)*n])
		m[i*(n+1)+n] = b[i]
	}
	for c := 0; c < n; c++ {
		p := c
		for i := c + 1; i < n; i++ {
			if math.Abs(m[i*(n+1)+c]) > math.Abs(m[p*(n+1)+c]) {
				p = i
			}
		}
		for j := 0; j <= n; j++ {
			m[c*(n+1)+j], m[p*(n+1)+j] = m[p*(n+1)+j], m[c*(n+1)+j]
		}
		for i := 0; i < n; i++ {
			if i == c {
				continue
			}
			f := m[i*(n+1)+c] / m[c*(n+1)+c]
			for j := c; j <= n; j++ {
				m[i*(n+1)+j] -= f * m[c*(n+1)+j]
			}
		}
	}
	z := make([]float64, n)
	for i := range z {
		z[i] = m[i*(n+1)+n] / m[i*(n+1)+i]
	}
	return z
}

// minL2 returns the minimum-norm interpolator X^T (X X^T)^{-1} y.
func minL2(x, y []float64, n, d int) []float64 {
	g := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for k := 0; k < n; k++ {
			g[i*n+k] = dot(x[i*d:(i+1)*d], x[k*d:(k+1)*d])
		}
	}
	z := solveGaussJordan(g, y, n)
	beta := make([]float64, d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			beta[j] += x[i*d+j] * z[i]
		}
	}
	return beta
}

// minL1 returns the minimum-ℓ1 interpolator by enumerating the basic solutions
// of the linear program min 1ᵀ(p+q) s.t. X(p−q) = y, p, q ≥ 0: an optimal
// vertex has at most n nonzeros, so it is the ℓ1-smallest solution of X_S β_S = y
// over all supports S of size n with X_S invertible.
func minL1(x, y []float64, n, d int) []float64 {
	var best []float64
	bestNorm := math.Inf(1)
	var rec func(start int, s []int)
	rec = func(start int, s []int) {
		if len(s) == n {
			a := make([]float64, n*n)
			for i := 0; i < n; i++ {
				for c, j := range s {
					a[i*n+c] = x[i*d+j]
				}
			}
			z := solveGaussJordan(a, y, n)
			var norm float64
			for _, v := range z {
				norm += math.Abs(v)
			}
			if !math.IsNaN(norm) && norm < bestNorm {
				bestNorm = norm
				best = make([]float64, d)
				for c, j := range s {
					best[j] = z[c]
				}
			}
			return
		}
		for j := start; j < d; j++ {
			rec(j+1, append(s, j))
		}
	}
	rec(0, nil)
	return best
}

func TestMinEntropyInterpolatorLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		seed    uint64
		n, d, k int
		alpha   float64
		ref     func(x, y []float64, n, d int) []float64
		tol     float64
	}{
		// β_α = 2α² sinh(X^T μ) → min-ℓ2 with relative error O(s²) = O(α^-4).
		{"large alpha is min-l2", 1, 5, 12, 2, 100, minL2, 1e-8},
		{"large alpha is min-l2 (square)", 2, 6, 6, 3, 30, minL2, 1e-8},
		// The error to the min-ℓ1 solution decays like 1/log(1/α²), so α is
		// tiny (cosh stays finite: |X^T μ| ≈ log(1/α²) ≈ 460).
		{"small alpha is min-l1", 3, 3, 7, 2, 1e-100, minL1, 1e-2},
		{"small alpha is min-l1 (dense)", 4, 4, 9, 4, 1e-100, minL1, 1e-2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y, _ := smallProblem(tc.seed, tc.n, tc.d, tc.k)
			got, err := MinEntropyInterpolator(x, y, tc.n, tc.d, tc.alpha)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.ref(x, y, tc.n, tc.d)
			var diff, norm float64
			for j := range got {
				diff = math.Max(diff, math.Abs(got[j]-want[j]))
				norm = math.Max(norm, math.Abs(want[j]))
			}
			if diff > tc.tol*norm {
				t.Errorf("max |β_α − β_ref| = %.3g, want ≤ %.3g·%.3g\ngot  %.6f\nwant %.6f", diff, tc.tol, norm, got, want)
			}
		})
	}
}

// TestMinEntropyInterpolatorRecoversSparse: with n = 20 Gaussian measurements of
// a 3-sparse β* in d = 30 (the paper's default draw), the min-ℓ1 interpolator is
// β* (checked by minL1-free reasoning: the small-α solution must interpolate and
// its ℓ1 norm must not exceed ‖β*‖₁, and it must be close to β*).
func TestMinEntropyInterpolatorRecoversSparse(t *testing.T) {
	data, err := Generate(DataConfig{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := MinEntropyInterpolator(data.X, data.Y, data.N, data.D, 1e-10)
	if err != nil {
		t.Fatal(err)
	}
	var diff float64
	for j := range got {
		diff = math.Max(diff, math.Abs(got[j]-data.BetaStar[j]))
	}
	if diff > 1e-2 {
		t.Errorf("max |β_α − β*| = %.3g, want ≤ 1e-2", diff)
	}
}

// TestMinEntropyInterpolatorOptimal checks the answer against its definition:
// it interpolates, and moving along any direction δ of the null space of X does
// not decrease φ_α.
func TestMinEntropyInterpolatorOptimal(t *testing.T) {
	const n, d = 4, 9
	x, y, _ := smallProblem(5, n, d, 3)
	for _, alpha := range []float64{0.01, 0.3, 2} {
		beta, err := MinEntropyInterpolator(x, y, n, d, alpha)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if r := dot(x[i*d:(i+1)*d], beta) - y[i]; math.Abs(r) > 1e-10 {
				t.Errorf("alpha %g: residual %d = %.3g", alpha, i, r)
			}
		}
		f0 := HyperbolicEntropy(alpha, beta)
		r := rand.New(rand.NewPCG(9, 9))
		for trial := 0; trial < 20; trial++ {
			// Project a random vector onto null(X): δ = z − X^T (X X^T)^{-1} X z.
			z := make([]float64, d)
			for j := range z {
				z[j] = r.NormFloat64()
			}
			p := minL2(x, matVec(x, z, n, d), n, d)
			step := 1e-3 * (alpha * alpha)
			b := make([]float64, d)
			for _, sgn := range []float64{1, -1} {
				for j := range b {
					b[j] = beta[j] + sgn*step*(z[j]-p[j])
				}
				if f := HyperbolicEntropy(alpha, b); f < f0-1e-12*math.Abs(f0) {
					t.Errorf("alpha %g: φ(β+δ) = %.15g < φ(β) = %.15g", alpha, f, f0)
				}
			}
		}
	}
}

func TestHyperbolicEntropyGradient(t *testing.T) {
	// ∂φ_α/∂β_i = asinh(β_i/(2α²))/α, checked by central differences.
	for _, alpha := range []float64{0.05, 1} {
		beta := []float64{-0.7, 0, 0.01, 2.5}
		for i := range beta {
			h := 1e-6
			bp := append([]float64(nil), beta...)
			bm := append([]float64(nil), beta...)
			bp[i] += h
			bm[i] -= h
			fd := (HyperbolicEntropy(alpha, bp) - HyperbolicEntropy(alpha, bm)) / (2 * h)
			want := math.Asinh(beta[i]/(2*alpha*alpha)) / alpha
			if math.Abs(fd-want) > 1e-5*(1+math.Abs(want)) {
				t.Errorf("alpha %g, i %d: finite difference %.9g, formula %.9g", alpha, i, fd, want)
			}
		}
	}
	if got := HyperbolicEntropy(0.3, []float64{0, 0}); got != 0 {
		t.Errorf("φ(0) = %v, want 0", got)
	}
}

// TestGradientFlowLimit checks the link between initialisation and α: gradient
// descent with a small step on f(x) = <x, u⊙v> from u = a·1, v = 0 keeps
// u+v = a·exp(−G), u−v = a·exp(G) with G = X^T∫r/n, so β = −(a²/2)·sinh(2G) =
// 2(a/2)² sinh(·): it ends at the φ_{a/2}-minimal interpolator (up to O(γ)).
func TestGradientFlowLimit(t *testing.T) {
	const n, d, a = 3, 6, 0.4
	x, y, _ := smallProblem(6, n, d, 2)
	m := &Model{X: x, Y: y, N: n, D: d, beta: make([]float64, d)}
	w := make([]float64, 2*d)
	for j := 0; j < d; j++ {
		w[j] = a
	}
	g := make([]float64, 2*d)
	const gamma = 2e-3
	for it := 0; it < 400000; it++ {
		if m.LossGrad(w, g, 0, n) < 1e-24 {
			break
		}
		for j := range w {
			w[j] -= gamma * g[j]
		}
	}
	got := Beta(nil, w)
	want, err := MinEntropyInterpolator(x, y, n, d, a/2)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "GD limit vs φ_{a/2} interpolator", got, want, 5e-3)
	other, _ := MinEntropyInterpolator(x, y, n, d, a)
	var far float64
	for j := range got {
		far = math.Max(far, math.Abs(got[j]-other[j]))
	}
	if far < 2e-2 {
		t.Errorf("test cannot tell α = a from α = a/2 (max difference %.3g)", far)
	}
}

func TestEffectiveAlpha(t *testing.T) {
	const n, d = 5, 11
	x, y, _ := smallProblem(7, n, d, 2)
	for _, alpha := range []float64{3e-4, 0.02, 0.5} {
		beta, err := MinEntropyInterpolator(x, y, n, d, alpha)
		if err != nil {
			t.Fatal(err)
		}
		got, dist, err := EffectiveAlpha(x, y, n, d, beta)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(math.Log(got/alpha)) > 1e-3 || dist > 1e-8 {
			t.Errorf("EffectiveAlpha = %.6g (distance %.3g), want %.6g", got, dist, alpha)
		}
	}
}

func TestMinEntropyInterpolatorRejects(t *testing.T) {
	x := []float64{1, 2, 2, 4} // two parallel rows
	if _, err := MinEntropyInterpolator(x, []float64{1, 3}, 2, 2, 1); err == nil {
		t.Error("dependent rows: no error")
	}
	for _, alpha := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := MinEntropyInterpolator([]float64{1}, []float64{1}, 1, 1, alpha); err == nil {
			t.Errorf("alpha %v: no error", alpha)
		}
	}
}

// TestGradientFlowLimitDiag: from u = a (a vector), v = 0, small-step GD ends at
// the φ-minimal interpolator with α_i = a_i/2, which WeightAlphas reads off the
// final weights (u_i² − v_i² is conserved by the flow).
func TestGradientFlowLimitDiag(t *testing.T) {
	const n, d = 3, 6
	x, y, _ := smallProblem(8, n, d, 2)
	m := &Model{X: x, Y: y, N: n, D: d, beta: make([]float64, d)}
	a := []float64{0.2, 0.6, 0.05, 0.4, 0.3, 0.1}
	w := make([]float64, 2*d)
	copy(w, a)
	g := make([]float64, 2*d)
	for it := 0; it < 1000000; it++ {
		if m.LossGrad(w, g, 0, n) < 1e-24 {
			break
		}
		for j := range w {
			w[j] -= 1e-3 * g[j]
		}
	}
	alphas := WeightAlphas(w)
	for j := range a {
		// Each GD step multiplies u_i² − v_i² by 1 − γ²g_i² ≤ 1, so the
		// discrete run loses a little (0.25% here); allow 1%.
		if math.Abs(alphas[j]-a[j]/2) > 1e-2*a[j]/2 {
			t.Errorf("WeightAlphas[%d] = %v, want about %v", j, alphas[j], a[j]/2)
		}
	}
	want, err := MinEntropyInterpolatorDiag(x, y, n, d, alphas)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "GD limit vs φ_{a/2} interpolator", Beta(nil, w), want, 5e-3)
}
