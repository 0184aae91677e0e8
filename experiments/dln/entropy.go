package dln

import (
	"errors"
	"fmt"
	"math"
)

// HyperbolicEntropy returns φ_α(β) = α Σ_i q(β_i/α²) with
// q(z) = 2 − √(4+z²) + z·asinh(z/2), the potential whose minimal interpolator
// describes where (stochastic) gradient flow on a diagonal linear network ends
// (Woodworth et al., 2020; Pesme et al., 2021; Andriushchenko & Flammarion,
// 2022, Section 4). Its gradient is ∂φ_α/∂β_i = asinh(β_i/(2α²))/α.
func HyperbolicEntropy(alpha float64, beta []float64) float64 {
	var s float64
	for _, b := range beta {
		z := b / (alpha * alpha)
		s += 2 - math.Sqrt(4+z*z) + z*math.Asinh(z/2)
	}
	return alpha * s
}

// ErrRankDeficient is returned when X X^T is not positive definite, so that the
// interpolation constraints are dependent or infeasible.
var ErrRankDeficient = errors.New("dln: X has linearly dependent rows")

// MinEntropyInterpolator returns argmin φ_α(β) subject to Xβ = y for a
// row-major n×d matrix X of full row rank (n ≤ d).
//
// The problem is convex and its Lagrangian dual is smooth, unconstrained and
// n-dimensional, so we solve the dual. Stationarity, ∇φ_α(β) = X^T λ, gives
// β = 2α² sinh(X^T μ) with μ = αλ, and μ minimises
//
//	G(μ) = 2α² Σ_i (cosh((X^T μ)_i) − 1) − <μ, y>,
//	∇G = Xβ(μ) − y,   ∇²G = X diag(2α² cosh(X^T μ)) X^T,
//
// which is strictly convex when X has full row rank. Newton's method with
// Armijo backtracking converges globally on such a function and quadratically
// near the solution (Boyd & Vandenberghe, Convex Optimization, §9.5); the
// iterate β(μ) is primal feasible up to the returned residual, and the KKT
// conditions hold exactly along the way. It stops when ‖Xβ − y‖_∞ ≤
// 1e-12·(1 + ‖y‖_∞).
func MinEntropyInterpolator(x, y []float64, n, d int, alpha float64) ([]float64, error) {
	if !(alpha > 0) || math.IsInf(alpha, 0) {
		return nil, fmt.Errorf("dln: alpha = %v, want > 0", alpha)
	}
	alphas := make([]float64, d)
	for j := range alphas {
		alphas[j] = alpha
	}
	return MinEntropyInterpolatorDiag(x, y, n, d, alphas)
}

// MinEntropyInterpolatorDiag is MinEntropyInterpolator with one α_i per
// coordinate, φ_α(β) = Σ_i α_i q(β_i/α_i²), the form Theorem 1 of the paper
// gives for SAM. A zero α_i pins β_i to 0.
func MinEntropyInterpolatorDiag(x, y []float64, n, d int, alpha []float64) ([]float64, error) {
	if n < 1 || d < 1 || len(x) != n*d || len(y) != n || len(alpha) != d {
		return nil, fmt.Errorf("dln: X has %d values, y %d and alpha %d, want %d×%d, %d and %d",
			len(x), len(y), len(alpha), n, d, n, d)
	}
	a2 := make([]float64, d)
	for j, a := range alpha {
		if !(a >= 0) || math.IsInf(a, 0) {
			return nil, fmt.Errorf("dln: alpha[%d] = %v, want ≥ 0", j, a)
		}
		a2[j] = 2 * a * a
	}
	mu := make([]float64, n)
	trial := make([]float64, n)
	s := make([]float64, d)
	beta := make([]float64, d)
	g := make([]float64, n)
	h := make([]float64, n*n)
	hf := make([]float64, n*n)
	step := make([]float64, n)
	var ymax float64
	for _, v := range y {
		ymax = math.Max(ymax, math.Abs(v))
	}
	tol := 1e-12 * (1 + ymax)

	// objective returns G(μ) and fills s = X^T μ; +Inf when cosh overflows.
	objective := func(mu []float64) float64 {
		for j := range s {
			s[j] = 0
		}
		for i := 0; i < n; i++ {
			row := x[i*d : (i+1)*d]
			for j, xij := range row {
				s[j] += xij * mu[i]
			}
		}
		// cosh(s)−1 = 2 sinh²(s/2) drops the constant 2α²·d, which would
		// otherwise swamp the changes of G near the solution when α is large.
		var f float64
		for j, sj := range s {
			sh := math.Sinh(sj / 2)
			f += 2 * a2[j] * sh * sh
		}
		return f - dot(mu, y)
	}
	f := objective(mu)
	for it := 0; it < 5000; it++ {
		for j, sj := range s {
			beta[j] = a2[j] * math.Sinh(sj)
		}
		var res float64
		for i := 0; i < n; i++ {
			g[i] = dot(x[i*d:(i+1)*d], beta) - y[i]
			res = math.Max(res, math.Abs(g[i]))
		}
		if res <= tol {
			return beta, nil
		}
		for i := 0; i < n; i++ {
			for k := 0; k <= i; k++ {
				var v float64
				ri, rk := x[i*d:(i+1)*d], x[k*d:(k+1)*d]
				for j := range ri {
					v += ri[j] * rk[j] * a2[j] * math.Cosh(s[j])
				}
				h[i*n+k], h[k*n+i] = v, v
			}
		}
		// When α is tiny most weights 2α²cosh(s_j) underflow next to the
		// others and ∇²G is numerically singular; then add a ridge, growing it
		// until the factorisation succeeds (a Levenberg–Marquardt damping: the
		// step stays a descent direction).
		var diag float64
		for i := 0; i < n; i++ {
			diag = math.Max(diag, h[i*n+i])
		}
		ridge := 0.0
		for try := 0; ; try++ {
			copy(hf, h)
			for i := 0; i < n; i++ {
				hf[i*n+i] += ridge
			}
			for i := range step {
				step[i] = -g[i]
			}
			err := choleskySolve(hf, step, n)
			if err == nil {
				break
			}
			if try == 12 || !(diag > 0) {
				return nil, err
			}
			ridge = math.Max(ridge*100, 1e-14*diag)
		}
		slope := dot(g, step)
		gnorm := math.Sqrt(dot(g, g))
		if slope >= 0 {
			// Round-off has made the Newton direction useless: we are at the
			// floating-point limit of the dual.
			break
		}
		t := 1.0
		var fNew float64
		for ls := 0; ; ls++ {
			for i := range trial {
				trial[i] = mu[i] + t*step[i]
			}
			fNew = objective(trial)
			if fNew <= f+0.25*t*slope {
				break
			}
			// Near the solution G may change by less than its rounding error
			// (large α makes G ≈ −½yᵀ(2α²XXᵀ)⁻¹y flat); accept the step
			// when it shrinks the gradient ∇G = Xβ − y instead.
			if fNew-f <= 1e-13*(math.Abs(f)+1) && residualNorm(x, y, s, a2, n, d) < (1-0.25*t)*gnorm {
				break
			}
			if ls == 1100 { // t has reached 2^-1100: no float64 step left
				return nil, fmt.Errorf("dln: entropy dual line search failed at residual %.3g", res)
			}
			t /= 2
		}
		copy(mu, trial)
		f = fNew
	}
	// Final check after the loop (or an exhausted Newton direction).
	objective(mu)
	for j, sj := range s {
		beta[j] = a2[j] * math.Sinh(sj)
	}
	var res float64
	for i := 0; i < n; i++ {
		res = math.Max(res, math.Abs(dot(x[i*d:(i+1)*d], beta)-y[i]))
	}
	if res <= 1e-8*(1+ymax) {
		return beta, nil
	}
	return nil, fmt.Errorf("dln: entropy dual did not converge (residual %.3g)", res)
}

// choleskySolve solves A z = b in place (b becomes z) for a symmetric positive
// definite n×n A, which it overwrites with its Cholesky factor.
func choleskySolve(a, b []float64, n int) error {
	for j := 0; j < n; j++ {
		v := a[j*n+j]
		for k := 0; k < j; k++ {
			v -= a[j*n+k] * a[j*n+k]
		}
		if !(v > 0) {
			return ErrRankDeficient
		}
		v = math.Sqrt(v)
		a[j*n+j] = v
		for i := j + 1; i < n; i++ {
			w := a[i*n+j]
			for k := 0; k < j; k++ {
				w -= a[i*n+k] * a[j*n+k]
			}
			a[i*n+j] = w / v
		}
	}
	for i := 0; i < n; i++ { // L z = b
		v := b[i]
		for k := 0; k < i; k++ {
			v -= a[i*n+k] * b[k]
		}
		b[i] = v / a[i*n+i]
	}
	for i := n - 1; i >= 0; i-- { // L^T x = z
		v := b[i]
		for k := i + 1; k < n; k++ {
			v -= a[k*n+i] * b[k]
		}
		b[i] = v / a[i*n+i]
	}
	return nil
}

// EffectiveAlpha returns the α in [1e-6, 1e2] whose φ_α-minimal interpolator of
// (X, y) is closest in ℓ2 to beta, with that distance. It evaluates a grid of 33
// points evenly spaced in log10 α and refines the best bracket by golden-section
// search on log α (40 steps), so it finds a global minimum of the distance when
// that is unimodal between grid points.
func EffectiveAlpha(x, y []float64, n, d int, beta []float64) (alpha, dist float64, err error) {
	if len(beta) != d {
		return 0, 0, fmt.Errorf("dln: beta has %d values, want %d", len(beta), d)
	}
	const lo, hi, grid = -6.0, 2.0, 33
	distAt := func(logA float64) (float64, error) {
		b, err := MinEntropyInterpolator(x, y, n, d, math.Pow(10, logA))
		if err != nil {
			return 0, err
		}
		var s float64
		for j := range b {
			s += (b[j] - beta[j]) * (b[j] - beta[j])
		}
		return math.Sqrt(s), nil
	}
	best, bestD := 0, math.Inf(1)
	pts := make([]float64, grid)
	for i := range pts {
		pts[i] = lo + (hi-lo)*float64(i)/(grid-1)
		v, err := distAt(pts[i])
		if err != nil {
			return 0, 0, err
		}
		if v < bestD {
			best, bestD = i, v
		}
	}
	a, b := pts[max(best-1, 0)], pts[min(best+1, grid-1)]
	phi := (math.Sqrt(5) - 1) / 2
	c, e := b-phi*(b-a), a+phi*(b-a)
	fc, err := distAt(c)
	if err != nil {
		return 0, 0, err
	}
	fe, err := distAt(e)
	if err != nil {
		return 0, 0, err
	}
	for i := 0; i < 40; i++ {
		if fc < fe {
			b, e, fe = e, c, fc
			c = b - phi*(b-a)
			if fc, err = distAt(c); err != nil {
				return 0, 0, err
			}
		} else {
			a, c, fc = c, e, fe
			e = a + phi*(b-a)
			if fe, err = distAt(e); err != nil {
				return 0, 0, err
			}
		}
	}
	logA, dd := c, fc
	if fe < fc {
		logA, dd = e, fe
	}
	if bestD < dd {
		logA, dd = pts[best], bestD
	}
	return math.Pow(10, logA), dd, nil
}

// residualNorm returns ‖Xβ − y‖₂ for β = a2⊙sinh(s).
func residualNorm(x, y, s, a2 []float64, n, d int) float64 {
	var sum float64
	for i := 0; i < n; i++ {
		row := x[i*d : (i+1)*d]
		var v float64
		for j, xij := range row {
			v += xij * a2[j] * math.Sinh(s[j])
		}
		v -= y[i]
		sum += v * v
	}
	return math.Sqrt(sum)
}

// WeightAlphas returns the per-coordinate α_i = √|u_i² − v_i²|/2 of weights
// w = concat(u, v). Gradient flow conserves u_i² − v_i² and ends at the
// φ_α-minimal interpolator with these α_i (α = a/2 from u = a·1, v = 0); under
// the SAM flows of Theorem 1 they shrink over training and the limit is the
// φ_α∞-minimal interpolator with their final values.
func WeightAlphas(w []float64) []float64 {
	d := len(w) / 2
	out := make([]float64, d)
	for j := range out {
		u, v := w[j], w[d+j]
		out[j] = math.Sqrt(math.Abs(u*u-v*v)) / 2
	}
	return out
}
