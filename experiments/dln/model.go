package dln

// Model is the diagonal linear network f(x) = <x, u⊙v> on a training set. Its
// weights are one slice w = concat(u, v) of length 2·D, the layout the
// optimizer updates in place.
type Model struct {
	X    []float64 // row-major N×D
	Y    []float64
	N, D int
	// Rows, when not nil, maps the examples of the current batch to rows of X:
	// example k of the batch is row Rows[k]. Nil means the batch is all N rows
	// in order.
	Rows []int

	beta []float64 // scratch u⊙v
}

// NewModel returns the network on the training split of d.
func NewModel(d *Data) *Model {
	return &Model{X: d.X, Y: d.Y, N: d.N, D: d.D, beta: make([]float64, d.D)}
}

// LossGrad writes into grad (len 2·D) the gradient at w = concat(u, v) of the
// mean over batch examples [lo, hi) of ℓ_k = r_k²/2, r_k = <x_k, u⊙v> − y_k, and
// returns that mean:
//
//	∂ℓ_k/∂u = r_k x_k ⊙ v,  ∂ℓ_k/∂v = r_k x_k ⊙ u.
//
// Over all N examples the mean is ‖Xβ − y‖²/(2N).
func (m *Model) LossGrad(w, grad []float64, lo, hi int) float64 {
	d := m.D
	u, v := w[:d], w[d:2*d]
	gu, gv := grad[:d], grad[d:2*d]
	if hi-lo == 1 {
		// One example (SGD, 1-SAM): two passes, no scratch, no zeroing.
		row := lo
		if m.Rows != nil {
			row = m.Rows[lo]
		}
		x := m.X[row*d : (row+1)*d]
		u, v, gu, gv = u[:len(x)], v[:len(x)], gu[:len(x)], gv[:len(x)]
		var r float64
		for j, xj := range x {
			r += xj * u[j] * v[j]
		}
		r -= m.Y[row]
		for j, xj := range x {
			cx := r * xj
			gu[j] = cx * v[j]
			gv[j] = cx * u[j]
		}
		return r * r / 2
	}
	beta := m.beta[:d]
	for j := range beta {
		beta[j] = u[j] * v[j]
	}
	for j := range grad[:2*d] {
		grad[j] = 0
	}
	scale := 1 / float64(hi-lo)
	var loss float64
	for k := lo; k < hi; k++ {
		row := k
		if m.Rows != nil {
			row = m.Rows[k]
		}
		x := m.X[row*d : (row+1)*d]
		r := dot(x, beta) - m.Y[row]
		loss += r * r / 2
		c := r * scale
		for j, xj := range x {
			cx := c * xj
			gu[j] += cx * v[j]
			gv[j] += cx * u[j]
		}
	}
	return loss * scale
}

// Beta writes u⊙v for w = concat(u, v) into dst (len D) and returns it; dst nil
// allocates.
func Beta(dst, w []float64) []float64 {
	d := len(w) / 2
	if dst == nil {
		dst = make([]float64, d)
	}
	for j := range dst {
		dst[j] = w[j] * w[d+j]
	}
	return dst
}

// SquareLoss returns ‖Xβ − y‖²/(2m) for a row-major m×len(β) matrix X.
func SquareLoss(x, y, beta []float64) float64 {
	d, m := len(beta), len(y)
	var s float64
	for i := 0; i < m; i++ {
		r := dot(x[i*d:(i+1)*d], beta) - y[i]
		s += r * r
	}
	return s / (2 * float64(m))
}
