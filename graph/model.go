package graph

import (
	"fmt"
	"reflect"

	"gorgonia.org/gorgonia"
)

// BuildFunc adds a network to b: from the input node x (N×C×H×W) to the
// logits (N×classes).
type BuildFunc[T Float] func(b *Builder[T], x *gorgonia.Node) *gorgonia.Node

// Model is a network with its parameters, ready to train: it builds and
// compiles one gorgonia graph per batch size and pass kind (gradient or
// evaluation) on first use and reuses it, with all intermediate Buffers
// planned once in an arena shared by those graphs.
//
// A Model is not safe for concurrent use.
type Model[T Float] struct {
	b       Backend[T]
	p       *Params[T]
	build   BuildFunc[T]
	in      [3]int // C, H, W
	classes int

	grad, eval map[int]*compiled[T]
	arena      Buffer
	labels     []int32
	last       *compiled[T] // of the last Grad call
}

type compiled[T Float] struct {
	bld             *Builder[T]
	prog            *program[T]
	x, logits, cost *gorgonia.Node
}

// NewModel builds the network once to declare its parameters, allocates
// them and initialises them from seed (PyTorch's default initialisation).
// input is the per-example shape C, H, W.
func NewModel[T Float](b Backend[T], input [3]int, build BuildFunc[T], seed uint64) (m *Model[T], err error) {
	if input[0] < 1 || input[1] < 1 || input[2] < 1 {
		return nil, fmt.Errorf("graph: bad input shape %v", input)
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("graph: build network: %v", r)
		}
	}()
	m = &Model[T]{b: b, p: NewParams(b), build: build, in: input,
		grad: map[int]*compiled[T]{}, eval: map[int]*compiled[T]{}}
	bld := NewBuilder(m.p)
	logits := build(bld, bld.Input("x", 1, input[0], input[1], input[2]))
	if s := logits.Shape(); len(s) != 2 {
		return nil, fmt.Errorf("graph: network output has shape %v, want N×classes", s)
	}
	m.classes = logits.Shape()[1]
	m.p.Alloc()
	m.p.Init(seed)
	return m, nil
}

// Params returns the model's parameter store.
func (m *Model[T]) Params() *Params[T] { return m.p }

// Classes is the number of logits per example.
func (m *Model[T]) Classes() int { return m.classes }

// Input is the per-example input shape C, H, W.
func (m *Model[T]) Input() [3]int { return m.in }

// Weights returns the flat weights in host memory, shared with the model:
// writing them changes the model. It needs a host backend (nil otherwise).
func (m *Model[T]) Weights() []T {
	if h, ok := m.b.(Host[T]); ok {
		return h.Data(m.p.w)
	}
	return nil
}

// Gradient returns the flat gradient in host memory, shared with the model
// (written by Grad). It needs a host backend (nil otherwise).
func (m *Model[T]) Gradient() []T {
	if h, ok := m.b.(Host[T]); ok {
		return h.Data(m.p.g)
	}
	return nil
}

func (m *Model[T]) compile(n int, withGrad bool) (cp *compiled[T], err error) {
	defer func() {
		if r := recover(); r != nil {
			cp, err = nil, fmt.Errorf("graph: build network for batch %d: %v", n, r)
		}
	}()
	bld := NewBuilder(m.p)
	bld.Momentum, bld.Eps = m.bnMomentum(), m.bnEps()
	x := bld.Input("x", n, m.in[0], m.in[1], m.in[2])
	logits := bld.build(m.build, x)
	cp = &compiled[T]{bld: bld, x: x, logits: logits}
	fixed := map[*gorgonia.Node]Buffer{x: m.b.Alloc(n * m.in[0] * m.in[1] * m.in[2])}
	for node, i := range bld.params {
		fixed[node] = m.p.view(m.p.entries[i])
	}
	roots := []*gorgonia.Node{logits}
	if withGrad {
		cp.cost = bld.SoftmaxCrossEntropy(logits)
		wrt := bld.ParamNodes()
		grads, err := gorgonia.Grad(cp.cost, wrt...)
		if err != nil {
			return nil, fmt.Errorf("graph: differentiate: %w", err)
		}
		for i, g := range grads {
			if _, dup := fixed[g]; dup {
				return nil, fmt.Errorf("graph: gradient node of %s is shared", wrt[i].Name())
			}
			fixed[g] = m.p.gradView(m.p.entries[bld.params[wrt[i]]])
		}
		roots = append(roots, cp.cost)
		roots = append(roots, grads...)
	}
	prog, err := compile(bld, roots, fixed)
	if err != nil {
		return nil, err
	}
	cp.prog = prog
	if m.arena == nil || m.arena.Len() < prog.arenaLen {
		m.arena = m.b.Alloc(max(1, prog.arenaLen))
		for _, c := range m.grad {
			c.prog.bind(m.arena)
		}
		for _, c := range m.eval {
			c.prog.bind(m.arena)
		}
	}
	prog.bind(m.arena)
	return cp, nil
}

func (b *Builder[T]) build(f BuildFunc[T], x *gorgonia.Node) *gorgonia.Node { return f(b, x) }

func (m *Model[T]) bnMomentum() float64 { return 0.1 }
func (m *Model[T]) bnEps() float64      { return 1e-5 }

func (m *Model[T]) checkBatch(x []T, n int) error {
	if n < 1 {
		return fmt.Errorf("graph: batch of %d examples", n)
	}
	if want := n * m.in[0] * m.in[1] * m.in[2]; len(x) != want {
		return fmt.Errorf("graph: input has %d elements, want %d for %d examples of %v", len(x), want, n, m.in)
	}
	return nil
}

// Prepare compiles the gradient program for batches of n examples ahead of
// the first Grad call with that size (Grad does it on demand otherwise).
func (m *Model[T]) Prepare(n int) error {
	if n < 1 {
		return fmt.Errorf("graph: batch of %d examples", n)
	}
	if _, ok := m.grad[n]; ok {
		return nil
	}
	cp, err := m.compile(n, true)
	if err != nil {
		return err
	}
	m.grad[n] = cp
	return nil
}

// ArenaLen is the number of elements of the arena holding every
// intermediate value of the programs compiled so far (the largest one's
// need).
func (m *Model[T]) ArenaLen() int {
	if m.arena == nil {
		return 0
	}
	return m.arena.Len()
}

// Grad runs a forward and backward pass on the batch x (n×C×H×W, n =
// len(labels)) with BatchNorm in the given mode, writes the gradient of the
// mean cross-entropy loss into the flat gradient (Gradient, or
// Params().Grads()) and returns that loss. It reads the current weights.
func (m *Model[T]) Grad(x []T, labels []int, mode BNMode) (float64, error) {
	n := len(labels)
	if err := m.checkBatch(x, n); err != nil {
		return 0, err
	}
	if mode < BNUpdate || mode > BNEval {
		return 0, fmt.Errorf("graph: bad BatchNorm mode %d", mode)
	}
	if cap(m.labels) < n {
		m.labels = make([]int32, n)
	}
	m.labels = m.labels[:n]
	for i, l := range labels {
		if l < 0 || l >= m.classes {
			return 0, fmt.Errorf("graph: label %d of example %d is outside [0, %d)", l, i, m.classes)
		}
		m.labels[i] = int32(l)
	}
	cp, ok := m.grad[n]
	if !ok {
		var err error
		if cp, err = m.compile(n, true); err != nil {
			return 0, err
		}
		m.grad[n] = cp
	}
	if r := cp.logits.Shape()[0]; r != n {
		return 0, fmt.Errorf("graph: network gives %d rows of logits for %d labels", r, n)
	}
	if c := cp.bld.c; mode != BNEval && c.bnMin == 1 {
		return 0, fmt.Errorf("graph: BatchNorm2d %s has 1 value per channel with %d examples: batch statistics need more (use BNEval or a larger batch)", c.bnName, n)
	}
	cp.bld.c.mode, cp.bld.c.labels = mode, m.labels
	m.b.Upload(cp.prog.buffer(cp.x), x)
	cp.prog.run()
	var loss [1]T
	m.b.Download(loss[:], cp.prog.buffer(cp.cost))
	m.last = cp
	return float64(loss[0]), nil
}

// GradBuffers is Grad at the weights w, writing the gradient into grad: the
// shape of optim.GradFunc[graph.Buffer]. w and grad are Buffers of the
// model's backend with NumWeights elements. When they are the model's own
// (Params().Weights() and Params().Grads()) nothing is copied, as when an
// optimizer steps the model's weights in place; otherwise w is copied into
// the model's weights before the pass and the gradient into grad after it
// (Backend.Copy), and the model keeps w.
func (m *Model[T]) GradBuffers(w, grad Buffer, x []T, labels []int, mode BNMode) (float64, error) {
	nw := m.p.NumWeights()
	if w == nil || grad == nil {
		return 0, fmt.Errorf("graph: nil weights or gradient Buffer")
	}
	if w.Len() != nw || grad.Len() != nw {
		return 0, fmt.Errorf("graph: weights and gradient have %d and %d elements, want %d", w.Len(), grad.Len(), nw)
	}
	if !m.same(w, m.p.w) {
		m.b.Copy(m.p.w, w)
	}
	loss, err := m.Grad(x, labels, mode)
	if err != nil {
		return 0, err
	}
	if !m.same(grad, m.p.g) {
		m.b.Copy(grad, m.p.g)
	}
	return loss, nil
}

// GradAt is GradBuffers for weights and gradient in host memory: w is
// uploaded and the gradient downloaded unless they are the model's own flat
// slices (Weights and Gradient), which is free.
func (m *Model[T]) GradAt(w, grad, x []T, labels []int, mode BNMode) (float64, error) {
	nw := m.p.NumWeights()
	if len(w) != nw || len(grad) != nw {
		return 0, fmt.Errorf("graph: weights and gradient have %d and %d elements, want %d", len(w), len(grad), nw)
	}
	if !sameSlice(w, m.Weights()) {
		m.b.Upload(m.p.w, w)
	}
	loss, err := m.GradBuffers(m.p.w, m.p.g, x, labels, mode)
	if err != nil {
		return 0, err
	}
	if !sameSlice(grad, m.Gradient()) {
		m.b.Download(grad, m.p.g)
	}
	return loss, nil
}

// same reports whether a and b are the same Buffer: the same memory on a
// host backend (whose Buffers may be slices, which == cannot compare), else
// equal comparable values (device Buffers are pointers).
func (m *Model[T]) same(a, b Buffer) bool {
	if h, ok := m.b.(Host[T]); ok {
		return sameSlice(h.Data(a), h.Data(b))
	}
	return reflect.TypeOf(a).Comparable() && a == b
}

func sameSlice[T Float](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// Logits copies into dst the logits of the last Grad call (computed with
// that call's BatchNorm mode); len(dst) must be that batch's n·classes.
func (m *Model[T]) Logits(dst []T) error {
	if m.last == nil {
		return fmt.Errorf("graph: Logits before Grad")
	}
	buf := m.last.prog.buffer(m.last.logits)
	if len(dst) != buf.Len() {
		return fmt.Errorf("graph: logits have %d elements, dst %d", buf.Len(), len(dst))
	}
	m.b.Download(dst, buf)
	return nil
}

// Eval computes the logits (n×classes, row-major) of the batch x with
// BatchNorm in eval mode (running statistics), writing them into logits
// (len n·classes).
func (m *Model[T]) Eval(x []T, n int, logits []T) error {
	if err := m.checkBatch(x, n); err != nil {
		return err
	}
	if len(logits) != n*m.classes {
		return fmt.Errorf("graph: logits have %d elements, want %d", len(logits), n*m.classes)
	}
	cp, ok := m.eval[n]
	if !ok {
		var err error
		if cp, err = m.compile(n, false); err != nil {
			return err
		}
		m.eval[n] = cp
	}
	cp.bld.c.mode = BNEval
	m.b.Upload(cp.prog.buffer(cp.x), x)
	cp.prog.run()
	m.b.Download(logits, cp.prog.buffer(cp.logits))
	return nil
}
