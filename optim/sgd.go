package optim

import (
	"fmt"
	"math"
)

// DecayMode says how SGD applies its weight decay λ.
type DecayMode int

const (
	// DecayL2 makes λ/2·‖w‖² part of the objective (the paper's convention): the gradient of
	// every pass gets λ·w at that pass's weights, so for SAM it enters the ascent gradient
	// (λ·w) and the descent gradient (λ·(w+ε)).
	DecayL2 DecayMode = iota
	// DecayCoupled is torch.optim.SGD's weight_decay: λ·w at the current weights is added to
	// the gradient handed to the update only; SAM's ascent does not see it (davda54/sam with
	// torch.optim.SGD). For plain SGD it is identical to DecayL2, bit for bit.
	DecayCoupled
	// DecayDecoupled shrinks the weights, w ← (1 − γλ)·w, before the gradient step
	// (SGDW, Loshchilov and Hutter 2019); no gradient sees λ.
	DecayDecoupled
)

var decayModeNames = [...]string{DecayL2: "l2", DecayCoupled: "coupled", DecayDecoupled: "decoupled"}

// String returns the mode's flag name: "l2", "coupled" or "decoupled".
func (m DecayMode) String() string {
	if m < DecayL2 || m > DecayDecoupled {
		return fmt.Sprintf("DecayMode(%d)", int(m))
	}
	return decayModeNames[m]
}

// ParseDecayMode returns the mode named by s ("l2", "coupled" or "decoupled", as String writes).
func ParseDecayMode(s string) (DecayMode, error) {
	for m, name := range decayModeNames {
		if s == name {
			return DecayMode(m), nil
		}
	}
	return 0, fmt.Errorf("optim: weight decay mode %q, want l2, coupled or decoupled: %w", s, ErrParam)
}

// SGD is stochastic gradient descent with momentum, with the semantics of torch.optim.SGD:
// with d = g (+ λ·w under DecayL2 or DecayCoupled),
//
//	b ← d on the first step, b ← μ·b + (1−τ)·d afterwards
//	d ← d + μ·b (Nesterov) or d ← b
//	w ← w − γ·d
//
// where γ is LR, μ Momentum and τ Dampening. Hyperparameters are converted to the element
// type before use, as PyTorch does for a float32 model. The zero value of every field is
// valid: LR 0 leaves the weights unchanged (except for the momentum buffer).
//
// V is the type of the weight vectors: SGD[[]float32] and SGD[[]float64] work on host
// slices; any other V needs Vec, the arithmetic of V (a device's, for weights that stay on
// the device).
//
// The learning rate is read at every step: a training loop sets LR from a schedule
// before each Step (see Schedule).
type SGD[V any] struct {
	LR          float64   // learning rate γ ≥ 0
	Momentum    float64   // μ ≥ 0; 0 disables the momentum buffer
	Dampening   float64   // τ in [0, 1]
	Nesterov    bool      // Nesterov momentum; needs Momentum > 0 and Dampening 0 (as PyTorch)
	WeightDecay float64   // λ ≥ 0
	Decay       DecayMode // how λ is applied; the zero value is DecayL2

	// Vec is the arithmetic on V; nil means Host for []float32 and []float64.
	Vec Vectors[V]

	buf   V     // momentum buffer; empty until the first step with momentum
	steps int64 // number of updates applied
	grad  V     // gradient buffer of Step
}

// SGDState is the part of an SGD that changes during training: what a checkpoint must save
// for a resumed run to be bit-for-bit identical.
type SGDState[V any] struct {
	Steps    int64 // updates applied so far
	Momentum V     // momentum buffer; empty (the zero V) before the first update with momentum
}

// vectorsOf returns v, or Host when v is nil and V is a float slice; owner names the
// struct whose Vec field v is.
func vectorsOf[V any](v Vectors[V], owner string) (Vectors[V], error) {
	if v != nil {
		return v, nil
	}
	if h := hostVectors[V](); h != nil {
		return h, nil
	}
	return nil, fmt.Errorf("optim: %s.Vec is nil and the weights are not []float32 or []float64: %w", owner, ErrParam)
}

// alloc returns *p after making it a vector of n elements (reusing it when it has n).
func alloc[V any](ops Vectors[V], p *V, n int) V {
	if ops.Len(*p) != n {
		*p = ops.New(n)
	}
	return *p
}

// State returns a copy of the optimizer's state.
func (o *SGD[V]) State() SGDState[V] {
	s := SGDState[V]{Steps: o.steps}
	ops, err := vectorsOf(o.Vec, "SGD")
	if err != nil {
		return s // no step was possible: there is no momentum buffer
	}
	if n := ops.Len(o.buf); n > 0 {
		s.Momentum = ops.New(n)
		ops.Copy(s.Momentum, o.buf)
	}
	return s
}

// StateView is State without the copy: Momentum is the optimizer's own buffer (the zero V
// before the first update with momentum), valid until the next update. It lets a checkpoint
// read a device buffer without allocating a copy of it.
func (o *SGD[V]) StateView() SGDState[V] { return SGDState[V]{Steps: o.steps, Momentum: o.buf} }

// SetState restores a state returned by State. The momentum buffer is copied.
func (o *SGD[V]) SetState(s SGDState[V]) error {
	if s.Steps < 0 {
		return fmt.Errorf("optim: SGDState.Steps is %d, want >= 0: %w", s.Steps, ErrParam)
	}
	ops, err := vectorsOf(o.Vec, "SGD")
	if err != nil {
		return err
	}
	o.steps = s.Steps
	n := ops.Len(s.Momentum)
	if n == 0 {
		var zero V
		o.buf = zero
		return nil
	}
	ops.Copy(alloc(ops, &o.buf, n), s.Momentum)
	return nil
}

// Validate reports an impossible hyperparameter, naming the field.
func (o *SGD[V]) Validate() error {
	if err := nonNegative("SGD.LR", o.LR); err != nil {
		return err
	}
	if err := nonNegative("SGD.Momentum", o.Momentum); err != nil {
		return err
	}
	if !(o.Dampening >= 0 && o.Dampening <= 1) {
		return fmt.Errorf("optim: SGD.Dampening is %v, want in [0, 1]: %w", o.Dampening, ErrParam)
	}
	if err := nonNegative("SGD.WeightDecay", o.WeightDecay); err != nil {
		return err
	}
	if o.Decay < DecayL2 || o.Decay > DecayDecoupled {
		return fmt.Errorf("optim: SGD.Decay is %d, not a DecayMode: %w", o.Decay, ErrParam)
	}
	if o.Nesterov && (o.Momentum == 0 || o.Dampening != 0) {
		return fmt.Errorf("optim: SGD.Nesterov needs Momentum > 0 and Dampening 0 (have %v, %v): %w",
			o.Momentum, o.Dampening, ErrParam)
	}
	_, err := vectorsOf(o.Vec, "SGD")
	return err
}

// L2 returns WeightDecay under DecayL2 and 0 otherwise.
func (o *SGD[V]) L2() float64 {
	if o.Decay == DecayL2 {
		return o.WeightDecay
	}
	return 0
}

// LearningRate returns LR.
func (o *SGD[V]) LearningRate() float64 { return o.LR }

// Step makes one ERM step: one Clean pass over the whole batch with BNUpdate, then Update.
// On error the weights are unchanged.
func (o *SGD[V]) Step(w V, batch int, f GradFunc[V]) (Stats, error) {
	if err := o.Validate(); err != nil {
		return Stats{}, err
	}
	if batch <= 0 {
		return Stats{}, fmt.Errorf("optim: batch is %d, want > 0: %w", batch, ErrBatch)
	}
	ops, _ := vectorsOf(o.Vec, "SGD")
	n := ops.Len(w)
	if err := o.checkLen(ops, n); err != nil {
		return Stats{}, err
	}
	g := alloc(ops, &o.grad, n)
	loss, err := f(Pass{Kind: Clean, Lo: 0, Hi: batch, BN: BNUpdate}, w, g)
	if err != nil {
		return Stats{}, fmt.Errorf("optim: sgd clean pass: %w", err)
	}
	norm := ops.AddScaledNorm(g, w, o.L2())
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return Stats{}, fmt.Errorf("optim: sgd gradient norm %v: %w", norm, ErrNonFinite)
	}
	if err := o.Update(w, g); err != nil {
		return Stats{}, err
	}
	return Stats{Loss: loss, PerturbedLoss: loss, GradNorm: norm}, nil
}

func (o *SGD[V]) checkLen(ops Vectors[V], n int) error {
	if b := ops.Len(o.buf); b != 0 && b != n {
		return fmt.Errorf("optim: len(w) is %d, momentum buffer has %d: %w", n, b, ErrSize)
	}
	return nil
}

// Update applies one step to w from grad, the mean gradient of the objective (including
// λ·w under DecayL2). It adds λ·w itself under DecayCoupled and shrinks w under
// DecayDecoupled. grad is not modified.
func (o *SGD[V]) Update(w, grad V) error {
	if err := o.Validate(); err != nil {
		return err
	}
	ops, _ := vectorsOf(o.Vec, "SGD")
	n := ops.Len(w)
	if g := ops.Len(grad); g != n {
		return fmt.Errorf("optim: len(grad) is %d, len(w) is %d: %w", g, n, ErrSize)
	}
	if err := o.checkLen(ops, n); err != nil {
		return err
	}
	u := SGDUpdate{LR: o.LR, Shrink: 1}
	switch o.Decay {
	case DecayCoupled:
		u.WD = o.WeightDecay
	case DecayDecoupled:
		u.Shrink = 1 - o.LR*o.WeightDecay
	}
	var buf V
	if o.Momentum != 0 {
		u.Momentum, u.Mu, u.Damp, u.Nesterov = true, o.Momentum, 1-o.Dampening, o.Nesterov
		u.First = ops.Len(o.buf) == 0
		buf = alloc(ops, &o.buf, n)
	}
	ops.SGD(w, grad, buf, u)
	o.steps++
	return nil
}

// sgdPlain: d = g + wd·w; w = shrink·w − lr·d.
func sgdPlain[T Float](w, g []T, lr, wd, shrink T) {
	g = g[:len(w)]
	switch {
	case wd == 0 && shrink == 1:
		for i := range w {
			w[i] -= lr * g[i]
		}
	case shrink == 1:
		for i := range w {
			d := g[i] + wd*w[i]
			w[i] -= lr * d
		}
	default:
		for i := range w {
			w[i] = shrink*w[i] - lr*g[i]
		}
	}
}

// sgdMomentumFirst: b = d (PyTorch clones d on the first step).
func sgdMomentumFirst[T Float](w, g, b []T, lr, wd, shrink, mu T, nesterov bool) {
	g = g[:len(w)]
	b = b[:len(w)]
	for i := range w {
		d := g[i] + wd*w[i]
		b[i] = d
		if nesterov {
			d += mu * b[i]
		}
		if shrink != 1 {
			w[i] = shrink*w[i] - lr*d
		} else {
			w[i] -= lr * d
		}
	}
}

// sgdMomentum: b = mu·b + damp·d; d = d + mu·b (Nesterov) or b; w = shrink·w − lr·d.
func sgdMomentum[T Float](w, g, b []T, lr, wd, shrink, mu, damp T, nesterov bool) {
	g = g[:len(w)]
	b = b[:len(w)]
	if wd == 0 && shrink == 1 && damp == 1 && !nesterov {
		// The common case (momentum, no coupled decay): tight loop.
		for i := range w {
			bi := mu*b[i] + g[i]
			b[i] = bi
			w[i] -= lr * bi
		}
		return
	}
	for i := range w {
		d := g[i] + wd*w[i]
		var bi T
		if damp == 1 {
			bi = mu*b[i] + d
		} else {
			bi = mu*b[i] + damp*d
		}
		b[i] = bi
		if nesterov {
			d += mu * bi
		} else {
			d = bi
		}
		if shrink != 1 {
			w[i] = shrink*w[i] - lr*d
		} else {
			w[i] -= lr * d
		}
	}
}

// nonNegative reports a negative, NaN or infinite value of the named field.
func nonNegative(name string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 1) {
		return fmt.Errorf("optim: %s is %v, want a finite value >= 0: %w", name, v, ErrParam)
	}
	return nil
}
