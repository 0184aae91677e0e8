package cpu

import (
	"math/rand/v2"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/optim"
)

// Vectors returns the optimizers' arithmetic on this backend's Buffers: optim.Host
// run on the Buffers' memory, so optim.SAM[graph.Buffer] and optim.SGD[graph.Buffer]
// step a model's own flat weights (Params().Weights()) in place, with the same
// kernels, bit for bit, and no more copies than optim.SAM[[]T] on Model.Weights().
// New allocates with Alloc; Len of the nil Buffer (optim's "not allocated") is 0.
// The Buffers passed must be this backend's (Slice[T]); another kind panics.
func (b *Backend[T]) Vectors() optim.Vectors[graph.Buffer] { return vectors[T]{b} }

// vectors is optim.Vectors on Slice[T] Buffers, delegating to optim.Host[T].
type vectors[T Float] struct{ b *Backend[T] }

var _ optim.Vectors[graph.Buffer] = vectors[float32]{}

func (v vectors[T]) Len(x graph.Buffer) int {
	if x == nil {
		return 0
	}
	return x.Len()
}

func (v vectors[T]) New(n int) graph.Buffer { return v.b.Alloc(n) }

func (v vectors[T]) Copy(dst, src graph.Buffer) { optim.Host[T]{}.Copy(s[T](dst), s[T](src)) }

func (v vectors[T]) Scale(x graph.Buffer, c float64) { optim.Host[T]{}.Scale(s[T](x), c) }

func (v vectors[T]) ScaleInto(dst, x graph.Buffer, c float64) {
	optim.Host[T]{}.ScaleInto(s[T](dst), s[T](x), c)
}

func (v vectors[T]) AxpyInto(dst, y, x graph.Buffer, c float64) {
	optim.Host[T]{}.AxpyInto(s[T](dst), s[T](y), s[T](x), c)
}

func (v vectors[T]) AddInto(dst, x, y graph.Buffer) {
	optim.Host[T]{}.AddInto(s[T](dst), s[T](x), s[T](y))
}

func (v vectors[T]) Norm(x graph.Buffer) float64 { return optim.Host[T]{}.Norm(s[T](x)) }

func (v vectors[T]) AddScaledNorm(g, w graph.Buffer, a float64) float64 {
	return optim.Host[T]{}.AddScaledNorm(s[T](g), s[T](w), a)
}

func (v vectors[T]) AddScaledRestore(g, w, saved graph.Buffer, a float64) {
	optim.Host[T]{}.AddScaledRestore(s[T](g), s[T](w), s[T](saved), a)
}

func (v vectors[T]) AccumulateRestore(acc, g, w, saved graph.Buffer, a float64) {
	optim.Host[T]{}.AccumulateRestore(s[T](acc), s[T](g), s[T](w), s[T](saved), a)
}

func (v vectors[T]) PerturbUnnormalized(w, saved, g graph.Buffer, a, c float64) float64 {
	return optim.Host[T]{}.PerturbUnnormalized(s[T](w), s[T](saved), s[T](g), a, c)
}

func (v vectors[T]) AdaptiveNorm(g, w graph.Buffer, eta float64) float64 {
	return optim.Host[T]{}.AdaptiveNorm(s[T](g), s[T](w), eta)
}

func (v vectors[T]) AdaptiveInto(dst, g, w graph.Buffer, eta, c float64) {
	optim.Host[T]{}.AdaptiveInto(s[T](dst), s[T](g), s[T](w), eta, c)
}

func (v vectors[T]) Gaussian(dst graph.Buffer, r *rand.Rand) { optim.Host[T]{}.Gaussian(s[T](dst), r) }

// SGD applies one SGD update; buf is nil without momentum.
func (v vectors[T]) SGD(w, g, buf graph.Buffer, u optim.SGDUpdate) {
	var b []T
	if buf != nil {
		b = s[T](buf)
	}
	optim.Host[T]{}.SGD(s[T](w), s[T](g), b, u)
}
