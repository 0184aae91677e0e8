package graph

import (
	"fmt"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// GroupNorm: PyTorch GroupNorm(G, C) over an N×C×H×W input. Each sample's
// channels form G groups of C/G; per (n, g), over its M = (C/G)·H·W
// elements:
//
//	μ = (1/M)·Σ x,  σ² = (1/M)·Σ (x − μ)²,  x̂ = (x − μ)/√(σ² + ε)
//	y = γ_c·x̂ + β_c
//
// Gradients, with a = γ_c·dy and sums over the group:
//
//	∂L/∂x = 1/√(σ²+ε)·(a − (1/M)·Σa − x̂·(1/M)·Σ(a·x̂))
//	∂L/∂γ_c = Σ_{n,h,w} dy·x̂,  ∂L/∂β_c = Σ_{n,h,w} dy
//
// GroupNorm adds name+".weight" (ones) and name+".bias" (zeros); it has no
// running statistics and behaves the same in every BNMode.
func (b *Builder[T]) GroupNorm(name string, x *gorgonia.Node, groups int) *gorgonia.Node {
	s := checkDims("GroupNorm "+name, x, 4)
	n, c, hw := s[0], s[1], s[2]*s[3]
	if groups < 1 || c%groups != 0 {
		panic(fmt.Sprintf("graph: GroupNorm %s: %d groups do not divide %d channels", name, groups, c))
	}
	gamma := b.Param(name+".weight", []int{c}, InitOnes, 0)
	beta := b.Param(name+".bias", []int{c}, InitZeros, 0)
	st := &gnStats[T]{opBase: newBase(b.c, "groupNormStats", 1, 2, n*groups), rows: n * groups, inner: c / groups * hw, eps: b.GNEps}
	stats := b.c.apply(st, x)
	return b.c.apply(&gnApply[T]{opBase: newBase(b.c, "groupNorm", 4, s...), n: n, ch: c, hw: hw, groups: groups}, x, stats, gamma, beta)
}

// gnStats computes (μ, 1/√(σ²+ε)) per (sample, group).
type gnStats[T Float] struct {
	opBase[T]
	rows, inner int
	eps         float64
	tmp         Buffer
}

func (o *gnStats[T]) Type() hm.Type      { return typeOf(2, 4) }
func (o *gnStats[T]) DiffWRT(int) []bool { return []bool{false} }
func (o *gnStats[T]) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return gorgonia.Nodes{nil}, nil
}
func (o *gnStats[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
func (o *gnStats[T]) exec(in []Buffer, out Buffer) {
	b := o.c.b
	if o.tmp == nil {
		o.tmp = b.Alloc(o.rows)
	}
	b.Moments(1, o.rows, o.inner, in[0], o.eps, b.Slice(out, 0, o.rows), o.tmp, b.Slice(out, o.rows, 2*o.rows))
}

// gnApply computes y = γ·x̂ + β from (x, stats, γ, β).
type gnApply[T Float] struct {
	opBase[T]
	n, ch, hw, groups int
}

func (o *gnApply[T]) Type() hm.Type { return typeOf(4, 4, 2, 1, 1) }
func (o *gnApply[T]) exec(in []Buffer, out Buffer) {
	b := o.c.b
	k := o.n * o.groups
	b.Normalize(o.n, o.ch, o.hw, o.groups, in[0], b.Slice(in[1], 0, k), b.Slice(in[1], k, 2*k), in[2], in[3], out)
}
func (o *gnApply[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
func (o *gnApply[T]) DiffWRT(int) []bool                             { return []bool{true, false, true, true} }
func (o *gnApply[T]) SymDiff(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	x, stats, gamma := in[0], in[1], in[2]
	dgamma := o.c.apply(&normScaleGrad[T]{opBase: newBase(o.c, "groupNormGradScale", 3, o.ch), n: o.n, ch: o.ch, hw: o.hw, groups: o.groups}, x, stats, dy)
	dbeta := o.c.apply(&channelSum[T]{opBase: newBase(o.c, "groupNormGradBias", 1, o.ch), n: o.n, ch: o.ch, hw: o.hw}, dy)
	dx := o.c.apply(&gnGradInput[T]{opBase: newBase(o.c, "groupNormGradInput", 4, o.out...), n: o.n, ch: o.ch, hw: o.hw, groups: o.groups},
		x, stats, gamma, dy)
	return gorgonia.Nodes{dx, nil, dgamma, dbeta}, nil
}

// gnGradInput computes ∂L/∂x from (x, stats, γ, dy).
type gnGradInput[T Float] struct {
	opBase[T]
	n, ch, hw, groups int
}

func (o *gnGradInput[T]) Type() hm.Type { return typeOf(4, 4, 2, 1, 4) }
func (o *gnGradInput[T]) exec(in []Buffer, out Buffer) {
	b := o.c.b
	k := o.n * o.groups
	b.GroupNormBackward(o.n, o.ch, o.hw, o.groups, in[0], b.Slice(in[1], 0, k), b.Slice(in[1], k, 2*k), in[2], in[3], out)
}
func (o *gnGradInput[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
