package graph

import (
	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// Add is the residual sum y = a + b of two tensors of one shape. Gradient:
// ∂L/∂a = ∂L/∂b = dy (the same node is returned for both).
func (b *Builder[T]) Add(x, y *gorgonia.Node) *gorgonia.Node {
	checkShape("Add", y.Shape(), x.Shape()...)
	return b.c.apply(&add[T]{newBase(b.c, "add", 2, x.Shape()...)}, x, y)
}

type add[T Float] struct{ opBase[T] }

func (o *add[T]) Type() hm.Type                                  { return typeOf(len(o.out), len(o.out), len(o.out)) }
func (o *add[T]) exec(in []Buffer, out Buffer)                   { o.c.b.Add(out, in[0], in[1]) }
func (o *add[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
func (o *add[T]) DiffWRT(int) []bool                             { return []bool{true, true} }
func (o *add[T]) SymDiff(_ gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	return gorgonia.Nodes{dy, dy}, nil
}
