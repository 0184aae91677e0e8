package graph

import (
	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// GlobalAvgPool: y[n,c] = (1/HW)·Σ_{i,j} x[n,c,i,j], an N×C×H×W input to
// N×C. Gradient: ∂L/∂x[n,c,i,j] = dy[n,c]/HW.
func (b *Builder[T]) GlobalAvgPool(x *gorgonia.Node) *gorgonia.Node {
	s := checkDims("GlobalAvgPool", x, 4)
	return b.c.apply(&avgPool[T]{opBase: newBase(b.c, "globalAvgPool", 1, s[0], s[1]), hw: s[2] * s[3]}, x)
}

type avgPool[T Float] struct {
	opBase[T]
	hw int
}

func (o *avgPool[T]) Type() hm.Type { return typeOf(2, 4) }
func (o *avgPool[T]) exec(in []Buffer, out Buffer) {
	o.c.b.AvgPool(o.out[0]*o.out[1], o.hw, in[0], out)
}
func (o *avgPool[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
func (o *avgPool[T]) DiffWRT(int) []bool                             { return []bool{true} }
func (o *avgPool[T]) SymDiff(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	op := &avgPoolGrad[T]{opBase: newBase(o.c, "globalAvgPoolGrad", 1, in[0].Shape()...), hw: o.hw}
	return gorgonia.Nodes{o.c.apply(op, dy)}, nil
}

// avgPoolGrad computes dx from dy.
type avgPoolGrad[T Float] struct {
	opBase[T]
	hw int
}

func (o *avgPoolGrad[T]) Type() hm.Type { return typeOf(4, 2) }
func (o *avgPoolGrad[T]) exec(in []Buffer, out Buffer) {
	o.c.b.AvgPoolBackward(o.out[0]*o.out[1], o.hw, in[0], out)
}
func (o *avgPoolGrad[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
