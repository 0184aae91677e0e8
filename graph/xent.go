package graph

import (
	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// SoftmaxCrossEntropy: the mean over the batch of the cross-entropy of
// softmax(z) against integer labels (PyTorch's F.cross_entropy), z N×K:
//
//	L = (1/N)·Σ_n (log Σ_k exp z[n,k] − z[n,label_n])
//
// Gradient: ∂L/∂z[n,k] = g/N · (softmax(z_n)[k] − [k = label_n]) for the
// incoming scalar gradient g. The labels are set per run (SetLabels).
func (b *Builder[T]) SoftmaxCrossEntropy(z *gorgonia.Node) *gorgonia.Node {
	s := checkDims("SoftmaxCrossEntropy", z, 2)
	return b.c.apply(&xent[T]{opBase: newBase(b.c, "softmaxCrossEntropy", 1), n: s[0], k: s[1]}, z)
}

type xent[T Float] struct {
	opBase[T]
	n, k int
}

func (o *xent[T]) Type() hm.Type { return typeOf(0, 2) }
func (o *xent[T]) exec(in []Buffer, out Buffer) {
	o.c.b.SoftmaxCrossEntropy(o.n, o.k, in[0], o.c.labels[:o.n], out)
}
func (o *xent[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
func (o *xent[T]) DiffWRT(int) []bool                             { return []bool{true} }
func (o *xent[T]) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	op := &xentGrad[T]{opBase: newBase(o.c, "softmaxCrossEntropyGrad", 2, o.n, o.k), n: o.n, k: o.k}
	return gorgonia.Nodes{o.c.apply(op, in[0], g)}, nil
}

// xentGrad computes dz from (z, g).
type xentGrad[T Float] struct {
	opBase[T]
	n, k int
}

func (o *xentGrad[T]) Type() hm.Type { return typeOf(2, 2, 0) }
func (o *xentGrad[T]) exec(in []Buffer, out Buffer) {
	o.c.b.SoftmaxCrossEntropyBackward(o.n, o.k, in[0], o.c.labels[:o.n], in[1], out)
}
func (o *xentGrad[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
