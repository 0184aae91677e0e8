package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/optim"
)

var _ optim.Vectors[graph.Buffer] = (*Vectors)(nil)

// Vectors is optim.Vectors[graph.Buffer] on the device buffers of a Backend (its *Buffer
// values): with it, optim.SAM[graph.Buffer] and optim.SGD[graph.Buffer] keep the weights,
// the gradients and their own state (saved weights, accumulated gradient, momentum) on the
// device. Get it from Backend.Vectors.
//
// Every method queues its work on the Backend's stream, after the graph kernels queued
// before it, as one kernel where optim.Host[float32] makes one pass (a copy when there is
// nothing to compute). Each kernel computes what Host computes, in float32, in the same
// order, with every product rounded before it is added (no FMA contraction), so vectors come
// out bit for bit as on the host.
//
// Norms: a norm kernel writes one float64 partial sum of squares per block (a tree sum over
// the block's share of the squares, each exact in float64), and a one-block kernel adds the
// partials in float64; the host waits for the stream and reads that one float64 back.
// Reading it is the only time a method waits for the device: Norm, AddScaledNorm,
// PerturbUnnormalized and AdaptiveNorm each synchronise the stream once (in a SAM step that
// is once per micro-batch, after the clean pass whose loss the host has just read anyway).
// The sum is deterministic but grouped differently from Host's, so norms agree with Host's
// to about 1e-14 relative, not bit for bit.
//
// Gaussian draws on the host, in index order, and uploads the float32 values (it is the
// rare path of SAM's random-direction control).
//
// Errors: the methods return none. A failed library call, a buffer that is not a *Buffer of
// the Backend or vectors of different lengths (a bug of the caller) is kept as the
// Backend's Err, as for its graph kernels: later work does nothing and norms return NaN, so
// that optim reports optim.ErrNonFinite. Length mismatches wrap optim.ErrSize.
//
// New allocates through Backend.Alloc: the memory is held until Backend.Close, or until
// Backend.Free (for a vector the caller made, such as optim.SGD.State's momentum copy).
type Vectors struct {
	b       *Backend
	partial *Buffer   // per-block float64 sums of squares and their total, two float32 elements each
	draw    []float32 // host draws of Gaussian
}

// Vectors returns the optimizers' arithmetic on b's buffers, for the Vec field of
// optim.SAM[graph.Buffer] and optim.SGD[graph.Buffer]. Every call returns the same value.
func (b *Backend) Vectors() optim.Vectors[graph.Buffer] {
	if b.vec == nil {
		b.vec = &Vectors{b: b}
	}
	return b.vec
}

// Len returns the number of elements of x, and 0 for nil (optim's "not allocated").
func (v *Vectors) Len(x graph.Buffer) int {
	if x == nil {
		return 0
	}
	if d, ok := x.(*Buffer); ok && d == nil {
		return 0
	}
	return x.Len()
}

// New returns a zeroed vector of n elements, allocated with Backend.Alloc.
func (v *Vectors) New(n int) graph.Buffer {
	if n < 0 || n > math.MaxInt32 {
		v.b.fail(fmt.Errorf("cuda: Vectors.New(%d): length out of range: %w", n, optim.ErrSize))
		return &Buffer{}
	}
	return v.b.Alloc(n)
}

// ptrs returns the device pointers of xs and their common length; ok is false (and nothing
// must be queued) after a failure, which a bad argument becomes.
func (v *Vectors) ptrs(what string, xs ...graph.Buffer) (p [4]DevicePtr, n int, ok bool) {
	b := v.b
	if b.err != nil {
		return p, 0, false
	}
	for i, x := range xs {
		d, isBuf := x.(*Buffer)
		if !isBuf || d == nil {
			b.fail(fmt.Errorf("cuda: Vectors.%s: vector %d is %T, not a *cuda.Buffer: %w", what, i, x, optim.ErrParam))
			return p, 0, false
		}
		if i == 0 {
			n = d.n
		} else if d.n != n {
			b.fail(fmt.Errorf("cuda: Vectors.%s: vector %d has %d elements, vector 0 has %d: %w", what, i, d.n, n, optim.ErrSize))
			return p, 0, false
		}
		p[i] = d.p
	}
	return p, n, true
}

// Copy sets dst ← src.
func (v *Vectors) Copy(dst, src graph.Buffer) {
	p, n, ok := v.ptrs("Copy", dst, src)
	if ok && n > 0 && p[0] != p[1] {
		v.b.fail(v.b.s.Copy(p[0], p[1], uint64(n)*4))
	}
}

// Scale sets x ← c·x.
func (v *Vectors) Scale(x graph.Buffer, c float64) { v.ScaleInto(x, x, c) }

// ScaleInto sets dst ← c·x.
func (v *Vectors) ScaleInto(dst, x graph.Buffer, c float64) {
	if p, n, ok := v.ptrs("ScaleInto", dst, x); ok && n > 0 {
		v.b.each("vec_scale_into", n, p[0], p[1], float32(c), n)
	}
}

// AxpyInto sets dst ← y + c·x, c·x rounded to float32 before the addition.
func (v *Vectors) AxpyInto(dst, y, x graph.Buffer, c float64) {
	if p, n, ok := v.ptrs("AxpyInto", dst, y, x); ok && n > 0 {
		v.b.each("vec_axpy_into", n, p[0], p[1], p[2], float32(c), n)
	}
}

// AddInto sets dst ← x + y.
func (v *Vectors) AddInto(dst, x, y graph.Buffer) {
	if p, n, ok := v.ptrs("AddInto", dst, x, y); ok && n > 0 {
		v.b.each("add_fwd", n, p[1], p[2], p[0], n)
	}
}

// Norm returns ‖x‖₂; it waits for the stream (see Vectors).
func (v *Vectors) Norm(x graph.Buffer) float64 {
	p, n, ok := v.ptrs("Norm", x)
	if !ok {
		return math.NaN()
	}
	return v.norm("vec_sumsq", n, p[0])
}

// AddScaledNorm sets g ← g + a·w (g unchanged when float32(a) is 0) and returns the new
// ‖g‖₂; it waits for the stream.
func (v *Vectors) AddScaledNorm(g, w graph.Buffer, a float64) float64 {
	p, n, ok := v.ptrs("AddScaledNorm", g, w)
	if !ok {
		return math.NaN()
	}
	if a32 := float32(a); a32 != 0 {
		return v.norm("vec_add_scaled_sumsq", n, p[0], p[1], a32)
	}
	return v.norm("vec_sumsq", n, p[0])
}

// AddScaledRestore sets g ← g + a·w (g unchanged when float32(a) is 0), then w ← saved.
func (v *Vectors) AddScaledRestore(g, w, saved graph.Buffer, a float64) {
	p, n, ok := v.ptrs("AddScaledRestore", g, w, saved)
	switch a32 := float32(a); {
	case !ok || n == 0:
	case a32 == 0:
		if p[1] != p[2] {
			v.b.fail(v.b.s.Copy(p[1], p[2], uint64(n)*4))
		}
	default:
		v.b.each("vec_add_scaled_restore", n, p[0], p[1], p[2], a32, n)
	}
}

// AccumulateRestore sets acc ← acc + (g + a·w), then w ← saved.
func (v *Vectors) AccumulateRestore(acc, g, w, saved graph.Buffer, a float64) {
	if p, n, ok := v.ptrs("AccumulateRestore", acc, g, w, saved); ok && n > 0 {
		v.b.each("vec_accumulate_restore", n, p[0], p[1], p[2], p[3], float32(a), n)
	}
}

// PerturbUnnormalized sets g ← g + a·saved (g unchanged when float32(a) is 0) and
// w ← saved + c·g, and returns the new ‖g‖₂, in one kernel; it waits for the stream.
func (v *Vectors) PerturbUnnormalized(w, saved, g graph.Buffer, a, c float64) float64 {
	p, n, ok := v.ptrs("PerturbUnnormalized", w, saved, g)
	if !ok {
		return math.NaN()
	}
	return v.norm("vec_perturb_unnormalized", n, p[0], p[1], p[2], float32(a), float32(c))
}

// AdaptiveNorm returns ‖(|w|+eta)⊙g‖₂; it waits for the stream.
func (v *Vectors) AdaptiveNorm(g, w graph.Buffer, eta float64) float64 {
	p, n, ok := v.ptrs("AdaptiveNorm", g, w)
	if !ok {
		return math.NaN()
	}
	return v.norm("vec_adaptive_sumsq", n, p[0], p[1], float32(eta))
}

// AdaptiveInto sets dst ← ((t·t)·g)·c with t = |w|+eta.
func (v *Vectors) AdaptiveInto(dst, g, w graph.Buffer, eta, c float64) {
	if p, n, ok := v.ptrs("AdaptiveInto", dst, g, w); ok && n > 0 {
		v.b.each("vec_adaptive_into", n, p[0], p[1], p[2], float32(eta), float32(c), n)
	}
}

// Gaussian sets dst[i] to float32(r.NormFloat64()), drawn in index order on the host, and
// uploads them.
func (v *Vectors) Gaussian(dst graph.Buffer, r *rand.Rand) {
	_, n, ok := v.ptrs("Gaussian", dst)
	if !ok {
		return
	}
	if cap(v.draw) < n {
		v.draw = make([]float32, n)
	}
	draw := v.draw[:n]
	for i := range draw {
		draw[i] = float32(r.NormFloat64())
	}
	v.b.Upload(dst, draw)
}

// SGD applies one update of SGD (optim.SGDUpdate) to w from g, with the momentum buffer buf
// (unused, and may be nil, without momentum), in one kernel.
func (v *Vectors) SGD(w, g, buf graph.Buffer, u optim.SGDUpdate) {
	var p [4]DevicePtr
	var n int
	var ok bool
	if u.Momentum {
		p, n, ok = v.ptrs("SGD", w, g, buf)
	} else {
		p, n, ok = v.ptrs("SGD", w, g)
	}
	if !ok || n == 0 {
		return
	}
	mode := int32(0)
	switch {
	case u.Momentum && u.First:
		mode = 1
	case u.Momentum:
		mode = 2
	}
	nesterov := int32(0)
	if u.Nesterov {
		nesterov = 1
	}
	v.b.each("vec_sgd", n, p[0], p[1], p[2], float32(u.LR), float32(u.WD), float32(u.Shrink),
		float32(u.Mu), float32(u.Damp), mode, nesterov, n)
}

// norm queues the norm kernel name over n elements with args, followed by the partial sums'
// buffer and n, and their sum by vec_sum_f64; waits for the stream and returns the square
// root of the sum: NaN after a failure.
func (v *Vectors) norm(name string, n int, args ...any) float64 {
	b := v.b
	if n == 0 {
		if b.err != nil {
			return math.NaN()
		}
		return 0
	}
	g := min(max((n+b.block-1)/b.block, 1), b.k.maxGrid)
	if v.partial == nil || v.partial.n < 2*(g+1) {
		// maxGrid partial sums, then their total: float64s in pairs of float32 elements.
		v.partial = b.Alloc(2 * (b.k.maxGrid + 1)).(*Buffer)
	}
	total := v.partial.p + DevicePtr(8*g)
	b.launch(name, g, append(args, v.partial.p, n)...)
	b.launch("vec_sum_f64", 1, v.partial.p, total, g)
	if b.err == nil {
		b.fail(b.s.Synchronize())
	}
	var sum [1]float64
	if b.err == nil {
		b.fail(CopyFromDevice(b.d, sum[:], total))
	}
	if b.err != nil {
		return math.NaN()
	}
	return math.Sqrt(sum[0])
}
