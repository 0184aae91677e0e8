package graph

import (
	"fmt"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// Conv2d: y = x ⋆ w, PyTorch Conv2d with stride s, zero padding p, no bias:
//
//	y[n,k,i,j] = Σ_{c,r,s'} w[k,c,r,s'] · x[n, c, i·s + r − p, j·s + s' − p]
//
// (x = 0 outside the image). Gradients, with dy = ∂L/∂y:
//
//	∂L/∂x = the transposed convolution of dy with w (Conv2dBackwardData)
//	∂L/∂w[k,c,r,s'] = Σ_{n,i,j} dy[n,k,i,j] · x[n, c, i·s + r − p, j·s + s' − p]
//
// Conv2d adds the weight name+".weight" (K×C×k×k, PyTorch's default
// initialisation) and returns y = conv(x).
func (b *Builder[T]) Conv2d(name string, x *gorgonia.Node, outC, k, stride, pad int) *gorgonia.Node {
	s := checkDims("Conv2d "+name, x, 4)
	p := ConvShape{N: s[0], C: s[1], H: s[2], W: s[3], K: outC, R: k, S: k,
		StrideH: stride, StrideW: stride, PadH: pad, PadW: pad}
	if stride < 1 || pad < 0 || k < 1 || p.OutH() < 1 || p.OutW() < 1 {
		panic(fmt.Sprintf("graph: Conv2d %s: bad geometry %+v", name, p))
	}
	w := b.Param(name+".weight", []int{outC, s[1], k, k}, InitFanIn, s[1]*k*k)
	return b.c.apply(&conv2d[T]{opBase: newBase(b.c, "conv2d", 2, p.N, p.K, p.OutH(), p.OutW()), p: p}, x, w)
}

type conv2d[T Float] struct {
	opBase[T]
	p ConvShape
}

func (o *conv2d[T]) Type() hm.Type      { return typeOf(4, 4, 4) }
func (o *conv2d[T]) workspace() int     { return o.c.b.ConvWorkspaceLen(o.p) }
func (o *conv2d[T]) DiffWRT(int) []bool { return []bool{true, true} }
func (o *conv2d[T]) exec(in []Buffer, out Buffer) {
	o.c.b.Conv2dForward(o.p, in[0], in[1], out, o.c.work)
}
func (o *conv2d[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }

func (o *conv2d[T]) SymDiff(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	x, w := in[0], in[1]
	dx := o.c.apply(&conv2dData[T]{opBase: newBase(o.c, "conv2dBackwardData", 2, x.Shape()...), p: o.p}, w, dy)
	dw := o.c.apply(&conv2dFilter[T]{opBase: newBase(o.c, "conv2dBackwardFilter", 2, w.Shape()...), p: o.p}, x, dy)
	return gorgonia.Nodes{dx, dw}, nil
}

// conv2dData computes ∂L/∂x from (w, dy).
type conv2dData[T Float] struct {
	opBase[T]
	p ConvShape
}

func (o *conv2dData[T]) Type() hm.Type  { return typeOf(4, 4, 4) }
func (o *conv2dData[T]) workspace() int { return o.c.b.ConvWorkspaceLen(o.p) }
func (o *conv2dData[T]) exec(in []Buffer, out Buffer) {
	o.c.b.Conv2dBackwardData(o.p, in[0], in[1], out, o.c.work)
}
func (o *conv2dData[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }

// conv2dFilter computes ∂L/∂w from (x, dy).
type conv2dFilter[T Float] struct {
	opBase[T]
	p ConvShape
}

func (o *conv2dFilter[T]) Type() hm.Type  { return typeOf(4, 4, 4) }
func (o *conv2dFilter[T]) workspace() int { return o.c.b.ConvWorkspaceLen(o.p) }
func (o *conv2dFilter[T]) exec(in []Buffer, out Buffer) {
	o.c.b.Conv2dBackwardFilter(o.p, in[0], in[1], out, o.c.work)
}
func (o *conv2dFilter[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) {
	return do(o.c, o, o.out, v)
}
