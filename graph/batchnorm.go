package graph

import (
	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// BatchNorm2d: PyTorch BatchNorm2d over an N×C×H×W input, per channel c,
// with M = N·H·W elements per channel:
//
//	μ_c = (1/M)·Σ x,  σ²_c = (1/M)·Σ (x − μ_c)²,  x̂ = (x − μ_c)/√(σ²_c + ε)
//	y = γ_c·x̂ + β_c
//
// In BNEval mode μ and σ² are the running statistics instead. In BNUpdate
// mode the running statistics move with momentum m (PyTorch semantics,
// unbiased variance):
//
//	running_mean ← (1−m)·running_mean + m·μ
//	running_var  ← (1−m)·running_var  + m·σ²·M/(M−1)
//	num_batches_tracked ← num_batches_tracked + 1
//
// BNFrozen uses the batch statistics and leaves the running ones alone.
// Gradients with dy = ∂L/∂y:
//
//	∂L/∂γ_c = Σ dy·x̂,  ∂L/∂β_c = Σ dy
//	batch statistics: ∂L/∂x = γ_c/(M·√(σ²_c+ε))·(M·dy − ∂L/∂β_c − x̂·∂L/∂γ_c)
//	running statistics: ∂L/∂x = γ_c/√(σ²_c+ε)·dy
//
// The layer is two nodes: stats (2×C: μ, then 1/√(σ²+ε); not
// differentiated, the apply node's gradient accounts for it) and apply.
// BatchNorm2d adds the parameters name+".weight" (γ, ones) and name+".bias"
// (β, zeros) and the buffers running_mean (zeros), running_var (ones) and
// num_batches_tracked.
func (b *Builder[T]) BatchNorm2d(name string, x *gorgonia.Node) *gorgonia.Node {
	s := checkDims("BatchNorm2d "+name, x, 4)
	n, c, hw := s[0], s[1], s[2]*s[3]
	gamma := b.Param(name+".weight", []int{c}, InitOnes, 0)
	beta := b.Param(name+".bias", []int{c}, InitZeros, 0)
	st := &bnStats[T]{
		opBase: newBase(b.c, "batchNormStats", 1, 2, c), p: b.P, n: n, ch: c, hw: hw,
		mean:     b.P.Declare(name+".running_mean", []int{c}, InitZeros, 0, true),
		variance: b.P.Declare(name+".running_var", []int{c}, InitOnes, 0, true),
		count:    b.P.Declare(name+".num_batches_tracked", []int{}, InitZeros, 0, true),
		momentum: b.Momentum, eps: b.Eps,
	}
	if m := n * hw; b.c.bnMin == 0 || m < b.c.bnMin {
		b.c.bnMin, b.c.bnName = m, name
	}
	stats := b.c.apply(st, x)
	return b.c.apply(&bnApply[T]{opBase: newBase(b.c, "batchNorm", 4, s...), n: n, ch: c, hw: hw}, x, stats, gamma, beta)
}

// bnStats computes (μ, 1/√(σ²+ε)) per channel and, in BNUpdate mode,
// updates the running statistics.
type bnStats[T Float] struct {
	opBase[T]
	p                     *Params[T]
	n, ch, hw             int
	mean, variance, count int // entries of the store
	momentum, eps         float64
	tmp, one              Buffer // batch variance (C) and the constant 1
}

func (o *bnStats[T]) Type() hm.Type      { return typeOf(2, 4) }
func (o *bnStats[T]) DiffWRT(int) []bool { return []bool{false} }
func (o *bnStats[T]) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return gorgonia.Nodes{nil}, nil
}
func (o *bnStats[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
func (o *bnStats[T]) exec(in []Buffer, out Buffer) {
	b := o.c.b
	mean, invStd := b.Slice(out, 0, o.ch), b.Slice(out, o.ch, 2*o.ch)
	rm, rv := o.p.view(o.p.entries[o.mean]), o.p.view(o.p.entries[o.variance])
	if o.c.mode == BNEval {
		b.Copy(mean, rm)
		b.InvStd(rv, o.eps, invStd)
		return
	}
	if o.tmp == nil {
		o.tmp, o.one = b.Alloc(o.ch), b.Alloc(1)
		b.Fill(o.one, 1)
	}
	b.Moments(o.n, o.ch, o.hw, in[0], o.eps, mean, o.tmp, invStd)
	if o.c.mode != BNUpdate {
		return
	}
	m := T(o.momentum)
	cnt := float64(o.n * o.hw)
	b.Axpby(rm, m, mean, 1-m)
	unbias := 1.0
	if cnt > 1 {
		unbias = cnt / (cnt - 1)
	}
	b.Axpby(rv, T(o.momentum*unbias), o.tmp, 1-m)
	b.Axpby(o.p.view(o.p.entries[o.count]), 1, o.one, 1)
}

// bnApply computes y = γ·x̂ + β from (x, stats, γ, β).
type bnApply[T Float] struct {
	opBase[T]
	n, ch, hw int
}

func (o *bnApply[T]) Type() hm.Type { return typeOf(4, 4, 2, 1, 1) }
func (o *bnApply[T]) exec(in []Buffer, out Buffer) {
	b := o.c.b
	b.Normalize(o.n, o.ch, o.hw, 0, in[0], b.Slice(in[1], 0, o.ch), b.Slice(in[1], o.ch, 2*o.ch), in[2], in[3], out)
}
func (o *bnApply[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
func (o *bnApply[T]) DiffWRT(int) []bool                             { return []bool{true, false, true, true} }
func (o *bnApply[T]) SymDiff(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	x, stats, gamma := in[0], in[1], in[2]
	dgamma := o.c.apply(&normScaleGrad[T]{opBase: newBase(o.c, "batchNormGradScale", 3, o.ch), n: o.n, ch: o.ch, hw: o.hw}, x, stats, dy)
	dbeta := o.c.apply(&channelSum[T]{opBase: newBase(o.c, "batchNormGradBias", 1, o.ch), n: o.n, ch: o.ch, hw: o.hw}, dy)
	dx := o.c.apply(&bnGradInput[T]{opBase: newBase(o.c, "batchNormGradInput", 6, o.out...), n: o.n, ch: o.ch, hw: o.hw},
		x, stats, gamma, dy, dgamma, dbeta)
	return gorgonia.Nodes{dx, nil, dgamma, dbeta}, nil
}

// bnGradInput computes ∂L/∂x from (x, stats, γ, dy, ∂L/∂γ, ∂L/∂β).
type bnGradInput[T Float] struct {
	opBase[T]
	n, ch, hw int
}

func (o *bnGradInput[T]) Type() hm.Type { return typeOf(4, 4, 2, 1, 4, 1, 1) }
func (o *bnGradInput[T]) exec(in []Buffer, out Buffer) {
	b := o.c.b
	b.BatchNormBackward(o.n, o.ch, o.hw, o.c.mode != BNEval, in[0], b.Slice(in[1], 0, o.ch), b.Slice(in[1], o.ch, 2*o.ch),
		in[2], in[3], in[4], in[5], out)
}
func (o *bnGradInput[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }

// normScaleGrad computes ∂L/∂γ_c = Σ dy·x̂ from (x, stats, dy); stats
// hold (μ, 1/√(σ²+ε)) per channel (groups 0) or per (sample, group).
type normScaleGrad[T Float] struct {
	opBase[T]
	n, ch, hw, groups int
}

func (o *normScaleGrad[T]) Type() hm.Type { return typeOf(1, 4, 2, 4) }
func (o *normScaleGrad[T]) exec(in []Buffer, out Buffer) {
	b := o.c.b
	k := in[1].Len() / 2
	b.NormScaleGrad(o.n, o.ch, o.hw, o.groups, in[0], b.Slice(in[1], 0, k), b.Slice(in[1], k, 2*k), in[2], out)
}
func (o *normScaleGrad[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) {
	return do(o.c, o, o.out, v)
}

// channelSum computes ∂L/∂β_c = Σ_{n,h,w} dy.
type channelSum[T Float] struct {
	opBase[T]
	n, ch, hw int
}

func (o *channelSum[T]) Type() hm.Type                                  { return typeOf(1, 4) }
func (o *channelSum[T]) exec(in []Buffer, out Buffer)                   { o.c.b.ChannelSum(o.n, o.ch, o.hw, in[0], out) }
func (o *channelSum[T]) Do(v ...gorgonia.Value) (gorgonia.Value, error) { return do(o.c, o, o.out, v) }
