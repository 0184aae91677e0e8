package graph

import (
	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// Linear: y = x·Wᵀ + b, PyTorch Linear, x N×In, W Out×In, b Out. Gradients:
//
//	∂L/∂x = dy·W,  ∂L/∂W = dyᵀ·x,  ∂L/∂b[j] = Σ_n dy[n,j].
//
// Linear adds name+".weight" and name+".bias" with PyTorch's default
// initialisation, U(−1/√In, 1/√In) for both.
func (b *Builder[T]) Linear(name string, x *gorgonia.Node, out int) *gorgonia.Node {
	s := checkDims("Linear "+name, x, 2)
	w := b.Param(name+".weight", []int{out, s[1]}, InitFanIn, s[1])
	bias := b.Param(name+".bias", []int{out}, InitFanIn, s[1])
	return b.c.apply(&linear[T]{opBase: newBase(b.c, "linear", 3, s[0], out), in: s[1]}, x, w, bias)
}

type linear[T Float] struct {
	opBase[T]
	in int
}

func (o *linear[T]) Type() hm.Type { return typeOf(2, 2, 2, 1) }
func (o *linear[T]) exec(in []Buffer, out Buffer) {
	n, k := o.out[0], o.out[1]
	o.c.b.Gemm(false, true, n, k, o.in, 1, in[0], in[1], 0, out)
	o.c.b.AddRowVector(n, k, out, in[2])
}
func (o *linear[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
func (o *linear[T]) DiffWRT(int) []bool                             { return []bool{true, true, true} }
func (o *linear[T]) SymDiff(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	n, k := o.out[0], o.out[1]
	dx := o.c.apply(&linearGrad[T]{opBase: newBase(o.c, "linearGradInput", 2, n, o.in), k: k}, dy, in[1])
	dw := o.c.apply(&linearGrad[T]{opBase: newBase(o.c, "linearGradWeight", 2, k, o.in), k: n, weight: true}, dy, in[0])
	db := o.c.apply(&sumRows[T]{opBase: newBase(o.c, "linearGradBias", 1, k), rows: n}, dy)
	return gorgonia.Nodes{dx, dw, db}, nil
}

// linearGrad computes dx = dy·W (inputs dy, W) or, with weight set,
// dW = dyᵀ·x (inputs dy, x); k is the inner dimension.
type linearGrad[T Float] struct {
	opBase[T]
	k      int
	weight bool
}

func (o *linearGrad[T]) Type() hm.Type { return typeOf(2, 2, 2) }
func (o *linearGrad[T]) exec(in []Buffer, out Buffer) {
	o.c.b.Gemm(o.weight, false, o.out[0], o.out[1], o.k, 1, in[0], in[1], 0, out)
}
func (o *linearGrad[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }

// sumRows computes s[j] = Σ_i y[i,j] of a rows×len(s) matrix.
type sumRows[T Float] struct {
	opBase[T]
	rows int
}

func (o *sumRows[T]) Type() hm.Type                                  { return typeOf(1, 2) }
func (o *sumRows[T]) exec(in []Buffer, out Buffer)                   { o.c.b.SumRows(o.rows, o.out[0], in[0], out) }
func (o *sumRows[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
