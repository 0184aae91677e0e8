package graph

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BNMode says what BatchNorm layers do during one pass. The values match
// optim.BNMode.
type BNMode int

const (
	// BNUpdate normalises with batch statistics and updates the running
	// statistics.
	BNUpdate BNMode = iota
	// BNFrozen normalises with batch statistics and leaves the running
	// statistics untouched.
	BNFrozen
	// BNEval normalises with the running statistics.
	BNEval
)

// Builder adds layers to one gorgonia graph whose parameters live in a
// Params store. Parameter nodes are gorgonia input nodes named after their
// store entry. Layer methods panic on inconsistent shapes: a network
// definition that does not fit together is a bug.
type Builder[T Float] struct {
	G *gorgonia.ExprGraph
	P *Params[T]
	// Momentum and Eps of BatchNorm layers (PyTorch defaults 0.1 and 1e-5
	// are set by NewBuilder).
	Momentum, Eps float64
	// GNEps is the epsilon of GroupNorm layers (PyTorch default 1e-5).
	GNEps float64

	c      *ctx[T]
	params map[*gorgonia.Node]int
}

// NewBuilder returns a Builder of a new graph on the backend of p.
func NewBuilder[T Float](p *Params[T]) *Builder[T] {
	return &Builder[T]{
		G: gorgonia.NewGraph(), P: p, Momentum: 0.1, Eps: 1e-5, GNEps: 1e-5,
		c:      &ctx[T]{b: p.b, inputs: map[*gorgonia.Node][]*gorgonia.Node{}},
		params: map[*gorgonia.Node]int{},
	}
}

// Dtype is gorgonia's dtype of T.
func Dtype[T Float]() tensor.Dtype {
	var z T
	if _, ok := any(z).(float32); ok {
		return tensor.Float32
	}
	return tensor.Float64
}

// Input adds an input node of the given shape.
func (b *Builder[T]) Input(name string, shape ...int) *gorgonia.Node {
	return gorgonia.NewTensor(b.G, Dtype[T](), len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name))
}

// Param declares (or reuses) the store entry name and returns its node.
func (b *Builder[T]) Param(name string, shape []int, init Init, fanIn int) *gorgonia.Node {
	i := b.P.Declare(name, shape, init, fanIn, false)
	n := gorgonia.NewTensor(b.G, Dtype[T](), len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name))
	b.params[n] = i
	return n
}

// ParamNodes returns the parameter nodes of the graph, in store order.
func (b *Builder[T]) ParamNodes() []*gorgonia.Node {
	ns := make([]*gorgonia.Node, len(b.P.entries))
	for n, i := range b.params {
		ns[i] = n
	}
	out := ns[:0]
	for _, n := range ns {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// BindHost binds every parameter node to a tensor sharing the store's
// memory, so that gorgonia's own VMs can run the graph. It needs a host
// backend and an allocated store.
func (b *Builder[T]) BindHost() error {
	h, ok := b.P.b.(Host[T])
	if !ok {
		return fmt.Errorf("graph: BindHost needs a host backend, have %T", b.P.b)
	}
	for n, i := range b.params {
		e := b.P.entries[i]
		t := tensor.New(tensor.WithShape(e.Shape...), tensor.WithBacking(h.Data(b.P.view(e))))
		if err := gorgonia.Let(n, t); err != nil {
			return fmt.Errorf("graph: bind %s: %w", e.Name, err)
		}
	}
	return nil
}

// SetMode sets the BatchNorm mode of the graph's next runs.
func (b *Builder[T]) SetMode(m BNMode) { b.c.mode = m }

// SetLabels sets the labels the graph's cross-entropy reads in its next runs.
func (b *Builder[T]) SetLabels(l []int32) { b.c.labels = l }
