package graph

import (
	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// Flatten reshapes an N×… tensor to N×(product of the rest), copying:
// y[n, i] = x[n, …] in row-major order. Gradient: the same reshape of dy
// back to x's shape.
func (b *Builder[T]) Flatten(x *gorgonia.Node) *gorgonia.Node {
	s := x.Shape()
	if len(s) < 2 {
		panic("graph: Flatten of a tensor with fewer than 2 dimensions")
	}
	return b.c.apply(&reshape[T]{newBase(b.c, "flatten", 1, s[0], s.TotalSize()/s[0]), len(s)}, x)
}

// reshape copies its input into its output shape.
type reshape[T Float] struct {
	opBase[T]
	inDims int
}

func (o *reshape[T]) Type() hm.Type                                  { return typeOf(len(o.out), o.inDims) }
func (o *reshape[T]) exec(in []Buffer, out Buffer)                   { o.c.b.Copy(out, in[0]) }
func (o *reshape[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
func (o *reshape[T]) DiffWRT(int) []bool                             { return []bool{true} }
func (o *reshape[T]) SymDiff(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	return gorgonia.Nodes{o.c.apply(&reshape[T]{newBase(o.c, "unflatten", 1, in[0].Shape()...), len(o.out)}, dy)}, nil
}
