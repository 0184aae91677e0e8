package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Init says how a parameter is initialised (PyTorch's defaults).
type Init int

const (
	// InitZeros sets every element to 0.
	InitZeros Init = iota
	// InitOnes sets every element to 1.
	InitOnes
	// InitFanIn draws from U(−1/√fanIn, 1/√fanIn): PyTorch's
	// kaiming_uniform_(a=√5) for Conv2d and Linear weights
	// (gain √(2/(1+5)) times √(3/fanIn)) and its uniform bias bound.
	InitFanIn
)

// Entry describes one named tensor of a Params: a parameter (a view into
// the flat weights and gradients) or a buffer (a view into the flat state).
type Entry struct {
	Name   string
	Shape  []int
	Off    int // offset into the flat slice
	Len    int
	Init   Init
	FanIn  int  // for InitFanIn
	Buffer bool // a buffer (BN running statistics), not a trained parameter
}

// Params is a store of named parameters and buffers. Parameters are views
// into one flat weight Buffer and gradients into one flat gradient Buffer,
// in declaration order; buffers (BatchNorm running statistics and batch
// counters) are views into a separate flat state Buffer.
//
// A Params is filled in two phases: Declare during the first graph build,
// then Alloc. Names follow PyTorch's state_dict.
type Params[T Float] struct {
	b       Backend[T]
	entries []Entry
	index   map[string]int
	nw, ns  int
	w, g, s Buffer
}

// NewParams returns an empty store on backend b.
func NewParams[T Float](b Backend[T]) *Params[T] {
	return &Params[T]{b: b, index: map[string]int{}}
}

// Declare adds a parameter or buffer, or returns the existing one of the
// same name (the shape must match). It panics after Alloc for a new name.
func (p *Params[T]) Declare(name string, shape []int, init Init, fanIn int, buffer bool) int {
	if i, ok := p.index[name]; ok {
		if !slices.Equal(p.entries[i].Shape, shape) || p.entries[i].Buffer != buffer {
			panic(fmt.Sprintf("graph: parameter %s redeclared with shape %v, had %v", name, shape, p.entries[i].Shape))
		}
		return i
	}
	if p.w != nil {
		panic(fmt.Sprintf("graph: parameter %s declared after Alloc", name))
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	e := Entry{Name: name, Shape: slices.Clone(shape), Len: n, Init: init, FanIn: fanIn, Buffer: buffer}
	if buffer {
		e.Off, p.ns = p.ns, p.ns+n
	} else {
		e.Off, p.nw = p.nw, p.nw+n
	}
	p.index[name] = len(p.entries)
	p.entries = append(p.entries, e)
	return len(p.entries) - 1
}

// Alloc allocates the flat weights, gradients and state, and sets every
// entry to its deterministic constant initial value (InitFanIn entries are
// left at 0 until Init).
func (p *Params[T]) Alloc() {
	if p.w != nil {
		return
	}
	p.w, p.g, p.s = p.b.Alloc(max(p.nw, 1)), p.b.Alloc(max(p.nw, 1)), p.b.Alloc(max(p.ns, 1))
	for _, e := range p.entries {
		if e.Init == InitOnes {
			p.b.Fill(p.view(e), 1)
		}
	}
}

func (p *Params[T]) view(e Entry) Buffer {
	if e.Buffer {
		return p.b.Slice(p.s, e.Off, e.Off+e.Len)
	}
	return p.b.Slice(p.w, e.Off, e.Off+e.Len)
}

func (p *Params[T]) gradView(e Entry) Buffer { return p.b.Slice(p.g, e.Off, e.Off+e.Len) }

// Init sets every parameter to PyTorch's default initialisation drawn from
// a PCG stream seeded with seed, buffers to their initial values (running
// mean 0, running variance 1, counters 0), and gradients to 0.
func (p *Params[T]) Init(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x5a417261696e)) // second word: fixed stream id
	for _, e := range p.entries {
		v := make([]T, e.Len)
		switch e.Init {
		case InitOnes:
			for i := range v {
				v[i] = 1
			}
		case InitFanIn:
			bound := 1 / math.Sqrt(float64(e.FanIn))
			for i := range v {
				v[i] = T((2*rng.Float64() - 1) * bound)
			}
		}
		p.b.Upload(p.view(e), v)
	}
	p.b.Fill(p.g, 0)
}

// Entries returns the parameters and buffers in declaration order.
func (p *Params[T]) Entries() []Entry { return slices.Clone(p.entries) }

// Lookup returns the entry called name.
func (p *Params[T]) Lookup(name string) (Entry, bool) {
	i, ok := p.index[name]
	if !ok {
		return Entry{}, false
	}
	return p.entries[i], true
}

// NumWeights is the length of the flat weights and gradients.
func (p *Params[T]) NumWeights() int { return p.nw }

// NumState is the length of the flat state (buffers).
func (p *Params[T]) NumState() int { return p.ns }

// Weights, Grads and State return the flat Buffers.
func (p *Params[T]) Weights() Buffer { return p.w }

// Grads returns the flat gradient Buffer.
func (p *Params[T]) Grads() Buffer { return p.g }

// State returns the flat buffer state (running statistics).
func (p *Params[T]) State() Buffer { return p.s }

// Backend returns the store's backend.
func (p *Params[T]) Backend() Backend[T] { return p.b }

// Get copies the values of entry name into a new slice.
func (p *Params[T]) Get(name string) ([]T, error) {
	e, ok := p.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("graph: no parameter %q", name)
	}
	v := make([]T, e.Len)
	p.b.Download(v, p.view(e))
	return v, nil
}

// Set copies v into entry name.
func (p *Params[T]) Set(name string, v []T) error {
	e, ok := p.Lookup(name)
	if !ok {
		return fmt.Errorf("graph: no parameter %q", name)
	}
	if len(v) != e.Len {
		return fmt.Errorf("graph: parameter %s has %d elements, got %d", name, e.Len, len(v))
	}
	p.b.Upload(p.view(e), v)
	return nil
}

// Grad copies the gradient of parameter name into a new slice.
func (p *Params[T]) Grad(name string) ([]T, error) {
	e, ok := p.Lookup(name)
	if !ok || e.Buffer {
		return nil, fmt.Errorf("graph: no parameter %q", name)
	}
	v := make([]T, e.Len)
	p.b.Download(v, p.gradView(e))
	return v, nil
}

// SaveState returns a copy of the flat state (all BatchNorm running
// statistics and counters), for RestoreState.
func (p *Params[T]) SaveState() []T {
	v := make([]T, p.s.Len())
	p.b.Download(v, p.s)
	return v
}

// RestoreState sets the flat state from a SaveState copy.
func (p *Params[T]) RestoreState(v []T) error {
	if len(v) != p.s.Len() {
		return fmt.Errorf("graph: state has %d elements, got %d", p.s.Len(), len(v))
	}
	p.b.Upload(p.s, v)
	return nil
}
