package relu1d

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Points returns the paper's 12 training points (from Maennel et al., 2018):
// x = (−5.5, −4.5, …, 5.5)/4 + 0.07 and
// y = 0.345 + (−2, 1.5, 0, 0, 2, 1, 0, −1, 0, 1, 2, −1).
func Points() (x, y []float64) {
	dy := []float64{-2, 1.5, 0, 0, 2, 1, 0, -1, 0, 1, 2, -1}
	x = make([]float64, len(dy))
	y = make([]float64, len(dy))
	for i := range dy {
		x[i] = (-5.5+float64(i))/4 + 0.07
		y[i] = 0.345 + dy[i]
	}
	return x, y
}

// Net is a 1 → H → 1 ReLU network f(x) = Σ_j a_j·relu(w_j·x + b_j) (hidden
// biases, no output bias) on a training set. Its parameters are one slice
// p = concat(w, b, a) of length 3·H.
type Net struct {
	H    int
	X, Y []float64
}

// Init returns parameters drawn as in the authors' notebook, from PCG(seed, 0):
// hidden weights ±2.5 with a fair random sign, hidden biases N(0, 2.5²), output
// weights N(0, 4²) (signs first, then biases, then output weights).
func (n *Net) Init(seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0))
	p := make([]float64, 3*n.H)
	w, b, a := n.split(p)
	for j := range w {
		w[j] = 2.5
		if r.IntN(2) == 0 {
			w[j] = -2.5
		}
	}
	for j := range b {
		b[j] = 2.5 * r.NormFloat64()
	}
	for j := range a {
		a[j] = 4 * r.NormFloat64()
	}
	return p
}

func (n *Net) split(p []float64) (w, b, a []float64) {
	h := n.H
	return p[:h], p[h : 2*h], p[2*h : 3*h]
}

// Predict returns f(x) for parameters p.
func (n *Net) Predict(p []float64, x float64) float64 {
	w, b, a := n.split(p)
	var f float64
	for j, wj := range w {
		if z := wj*x + b[j]; z > 0 {
			f += a[j] * z
		}
	}
	return f
}

// LossGrad writes into grad the gradient at p of the mean over examples
// [lo, hi) of ℓ_k = (f(x_k) − y_k)²/2 and returns that mean. With z_kj =
// w_j x_k + b_j and r_k = f(x_k) − y_k:
//
//	∂ℓ_k/∂a_j = r_k relu(z_kj),  ∂ℓ_k/∂w_j = r_k a_j 1[z_kj > 0] x_k,
//	∂ℓ_k/∂b_j = r_k a_j 1[z_kj > 0].
//
// The paper's loss ½Σ_k r_k² over all 12 points is 12 times the mean.
func (n *Net) LossGrad(p, grad []float64, lo, hi int) float64 {
	w, b, a := n.split(p)
	gw, gb, ga := n.split(grad)
	for j := range grad[:3*n.H] {
		grad[j] = 0
	}
	inv := 1 / float64(hi-lo)
	var loss float64
	for k := lo; k < hi; k++ {
		x := n.X[k]
		var f float64
		for j, wj := range w {
			if z := wj*x + b[j]; z > 0 {
				f += a[j] * z
			}
		}
		r := f - n.Y[k]
		loss += r * r / 2
		c := r * inv
		for j, wj := range w {
			if z := wj*x + b[j]; z > 0 {
				ga[j] += c * z
				ca := c * a[j]
				gw[j] += ca * x
				gb[j] += ca
			}
		}
	}
	return loss * inv
}

// Kinks returns the positions of the effective kinks of the function of p in
// [lo, hi]: the kinks −b_j/w_j of the neurons with |a_j·w_j| > thr (the jump of
// f' there), sorted; runs of kinks each closer than merge to the previous one
// count once (single linkage), and the first of each run is returned.
func (n *Net) Kinks(p []float64, lo, hi, thr, merge float64) []float64 {
	w, b, a := n.split(p)
	var ks []float64
	for j, wj := range w {
		if wj == 0 || !(math.Abs(a[j]*wj) > thr) {
			continue
		}
		if k := -b[j] / wj; k >= lo && k <= hi {
			ks = append(ks, k)
		}
	}
	sortFloats(ks)
	var out []float64
	for i, k := range ks {
		if i == 0 || k-ks[i-1] >= merge {
			out = append(out, k)
		}
	}
	return out
}

func sortFloats(v []float64) {
	for i := 1; i < len(v); i++ {
		for k := i; k > 0 && v[k] < v[k-1]; k-- {
			v[k], v[k-1] = v[k-1], v[k]
		}
	}
}

// validate checks the network's sizes.
func (n *Net) validate() error {
	if n.H < 1 {
		return fmt.Errorf("relu1d: H = %d hidden units, want > 0", n.H)
	}
	if len(n.X) == 0 || len(n.X) != len(n.Y) {
		return fmt.Errorf("relu1d: %d inputs and %d labels, want the same positive number", len(n.X), len(n.Y))
	}
	return nil
}
