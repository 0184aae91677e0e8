package optim

import "math/rand/v2"

// Vectors is the arithmetic the optimizers do on their weight-sized vectors of type V.
// Host implements it for slices in host memory; a GPU backend implements it for device
// buffers (cuda.Vectors), so that weights, gradients and optimizer state stay on the
// device while SAM and SGD run the same code for both.
//
// Scalars are passed as float64; an implementation converts each to the element type once
// per call (T(c)) and computes in the element type, accumulating norms in float64. The
// vectors of one call have the same length. Element-wise operations allow their output to
// be one of their inputs. A method returning a norm hands a scalar back to the host: on a
// device that waits for the work queued before it.
type Vectors[V any] interface {
	// Len returns the number of elements of x.
	Len(x V) int
	// New returns a zeroed vector of n elements.
	New(n int) V
	// Copy sets dst ← src.
	Copy(dst, src V)
	// Scale sets x ← c·x.
	Scale(x V, c float64)
	// ScaleInto sets dst ← c·x.
	ScaleInto(dst, x V, c float64)
	// AxpyInto sets dst ← y + c·x, rounding c·x to the element type before adding.
	AxpyInto(dst, y, x V, c float64)
	// AddInto sets dst ← x + y.
	AddInto(dst, x, y V)
	// Norm returns ‖x‖₂.
	Norm(x V) float64
	// AddScaledNorm sets g ← g + a·w (g unchanged when a is 0) and returns the new ‖g‖₂.
	AddScaledNorm(g, w V, a float64) float64
	// AddScaledRestore sets g ← g + a·w (g unchanged when a is 0), then w ← saved.
	AddScaledRestore(g, w, saved V, a float64)
	// AccumulateRestore sets acc ← acc + (g + a·w), then w ← saved.
	AccumulateRestore(acc, g, w, saved V, a float64)
	// PerturbUnnormalized sets g ← g + a·saved (g unchanged when a is 0) and
	// w ← saved + c·g, and returns the new ‖g‖₂. w holds saved on entry.
	PerturbUnnormalized(w, saved, g V, a, c float64) float64
	// AdaptiveNorm returns ‖(|w|+eta)⊙g‖₂, ASAM's ‖T g‖.
	AdaptiveNorm(g, w V, eta float64) float64
	// AdaptiveInto sets dst ← t⊙t⊙g·c with t = |w|+eta, ASAM's T²g scaled by c,
	// computed as ((t·t)·g)·c.
	AdaptiveInto(dst, g, w V, eta, c float64)
	// Gaussian sets dst[i] to the element type of r.NormFloat64(), drawn in index order.
	Gaussian(dst V, r *rand.Rand)
	// SGD applies one update of SGD (see SGDUpdate) to w from the gradient g, with the
	// momentum buffer buf (unused without momentum).
	SGD(w, g, buf V, u SGDUpdate)
}

// SGDUpdate holds the scalars of one SGD update, with d = g + WD·w:
//
//	without Momentum:  w ← Shrink·w − LR·d
//	with Momentum:     b ← d on the First update, else b ← Mu·b + Damp·d;
//	                   d ← d + Mu·b (Nesterov) or b;  w ← Shrink·w − LR·d
//
// where WD is the coupled weight decay (0 otherwise), Shrink = 1 − LR·λ for decoupled
// decay (1 otherwise) and Damp = 1 − dampening.
type SGDUpdate struct {
	LR, WD, Shrink  float64
	Momentum        bool
	Mu, Damp        float64
	First, Nesterov bool
}

// Host is Vectors on slices of T in host memory. Its zero value is ready to use.
type Host[T Float] struct{}

// Len returns len(x).
func (Host[T]) Len(x []T) int { return len(x) }

// New returns make([]T, n).
func (Host[T]) New(n int) []T { return make([]T, n) }

// Copy copies src into dst.
func (Host[T]) Copy(dst, src []T) { copy(dst, src) }

// Scale sets x ← c·x.
func (Host[T]) Scale(x []T, c float64) { scale(x, T(c)) }

// ScaleInto sets dst ← c·x.
func (Host[T]) ScaleInto(dst, x []T, c float64) { scaleInto(dst, x, T(c)) }

// AxpyInto sets dst ← y + c·x.
func (Host[T]) AxpyInto(dst, y, x []T, c float64) { axpyInto(dst, y, x, T(c)) }

// AddInto sets dst ← x + y.
func (Host[T]) AddInto(dst, x, y []T) { addInto(dst, x, y) }

// Norm returns ‖x‖₂.
func (Host[T]) Norm(x []T) float64 { return norm2(x) }

// AddScaledNorm sets g ← g + a·w and returns ‖g‖₂.
func (Host[T]) AddScaledNorm(g, w []T, a float64) float64 { return addScaledNorm(g, w, T(a)) }

// AddScaledRestore sets g ← g + a·w, then w ← saved.
func (Host[T]) AddScaledRestore(g, w, saved []T, a float64) { addScaledRestore(g, w, saved, T(a)) }

// AccumulateRestore sets acc ← acc + (g + a·w), then w ← saved.
func (Host[T]) AccumulateRestore(acc, g, w, saved []T, a float64) {
	accumulateRestore(acc, g, w, saved, T(a))
}

// PerturbUnnormalized sets g ← g + a·saved and w ← saved + c·g and returns ‖g‖₂.
func (Host[T]) PerturbUnnormalized(w, saved, g []T, a, c float64) float64 {
	return unnormalizedPerturb(w, saved, g, T(a), T(c))
}

// AdaptiveNorm returns ‖(|w|+eta)⊙g‖₂.
func (Host[T]) AdaptiveNorm(g, w []T, eta float64) float64 { return adaptiveNorm(g, w, T(eta)) }

// AdaptiveInto sets dst ← (|w|+eta)²⊙g·c.
func (Host[T]) AdaptiveInto(dst, g, w []T, eta, c float64) { adaptiveInto(dst, g, w, T(eta), T(c)) }

// Gaussian fills dst with standard normal draws of r.
func (Host[T]) Gaussian(dst []T, r *rand.Rand) {
	for i := range dst {
		dst[i] = T(r.NormFloat64())
	}
}

// SGD applies one SGD update.
func (Host[T]) SGD(w, g, buf []T, u SGDUpdate) {
	lr, wd, shrink := T(u.LR), T(u.WD), T(u.Shrink)
	switch {
	case !u.Momentum:
		sgdPlain(w, g, lr, wd, shrink)
	case u.First:
		sgdMomentumFirst(w, g, buf, lr, wd, shrink, T(u.Mu), u.Nesterov)
	default:
		sgdMomentum(w, g, buf, lr, wd, shrink, T(u.Mu), T(u.Damp), u.Nesterov)
	}
}

// hostVectors returns Host for V = []float32 or []float64, and nil for any other V.
func hostVectors[V any]() Vectors[V] {
	var v any
	switch any(*new(V)).(type) {
	case []float32:
		v = Host[float32]{}
	case []float64:
		v = Host[float64]{}
	default:
		return nil
	}
	return v.(Vectors[V])
}
