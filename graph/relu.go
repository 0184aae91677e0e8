package graph

import (
	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// ReLU: y = max(x, 0). Gradient: ∂L/∂x = dy · [y > 0] (the subgradient 0 is
// taken at x = 0, as PyTorch does).
func (b *Builder[T]) ReLU(x *gorgonia.Node) *gorgonia.Node {
	return b.c.apply(&relu[T]{newBase(b.c, "relu", 1, x.Shape()...)}, x)
}

type relu[T Float] struct{ opBase[T] }

func (o *relu[T]) Type() hm.Type                                  { return typeOf(len(o.out), len(o.out)) }
func (o *relu[T]) exec(in []Buffer, out Buffer)                   { o.c.b.ReLU(in[0], out) }
func (o *relu[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
func (o *relu[T]) DiffWRT(int) []bool                             { return []bool{true} }
func (o *relu[T]) SymDiff(_ gorgonia.Nodes, y, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	return gorgonia.Nodes{o.c.apply(&reluGrad[T]{newBase(o.c, "reluGrad", 2, o.out...)}, y, dy)}, nil
}

// reluGrad computes dx from (y, dy).
type reluGrad[T Float] struct{ opBase[T] }

func (o *reluGrad[T]) Type() hm.Type                                  { return typeOf(len(o.out), len(o.out), len(o.out)) }
func (o *reluGrad[T]) exec(in []Buffer, out Buffer)                   { o.c.b.ReLUBackward(in[0], in[1], out) }
func (o *reluGrad[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
