package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/gorgonia"
)

// program is a graph compiled for repeated runs: the nodes its outputs
// need, in execution order, each bound to Buffers planned once.
//
// Intermediate results live in slots of one arena. Slots are reused as soon
// as a value's last consumer has run (best fit, growing a free slot when no
// free one is large enough), so the arena holds the forward activations the
// backward pass needs plus a few live gradients, never every intermediate.
// Several programs of one Model share one arena, since they never run at
// the same time.
type program[T Float] struct {
	c        *ctx[T]
	steps    []step
	slotLen  []int // length of each arena slot
	arenaLen int
	nodes    map[*gorgonia.Node]ref
}

// ref locates a node's value: an arena slot, or a fixed Buffer.
type ref struct {
	slot  int // -1: fixed
	fixed Buffer
	n     int // length
}

type step struct {
	k   kernel // nil: element-wise add (gorgonia's ReduceAdd of gradients)
	in  []ref
	out ref
	// bound Buffers, refreshed by bind
	inb  []Buffer
	outb Buffer
}

// children returns the ordered inputs of n.
func (c *ctx[T]) children(g *gorgonia.ExprGraph, n *gorgonia.Node) []*gorgonia.Node {
	if in, ok := c.inputs[n]; ok {
		return in
	}
	var out []*gorgonia.Node
	it := g.From(n.ID())
	for it.Next() {
		out = append(out, it.Node().(*gorgonia.Node))
	}
	slices.SortFunc(out, func(a, b *gorgonia.Node) int { return int(a.ID() - b.ID()) })
	return out
}

// isAdd reports whether n is gorgonia's element-wise addition of two tensors
// of n's shape (what Backpropagate inserts to sum gradients).
func isAdd(n *gorgonia.Node, ch []*gorgonia.Node) bool {
	if n.Op() == nil || n.Op().String() != "+ false" || len(ch) < 1 || len(ch) > 2 {
		return false
	}
	for _, c := range ch {
		if !c.Shape().Eq(n.Shape()) {
			return false
		}
	}
	return true
}

// compile plans the runs of b's graph computing roots. fixed binds nodes to
// Buffers (inputs, parameters, and parameter gradients, which are then
// written in place); every other needed node gets an arena slot; roots keep
// theirs for the caller to read.
func compile[T Float](b *Builder[T], roots []*gorgonia.Node, fixed map[*gorgonia.Node]Buffer) (*program[T], error) {
	c := b.c
	sorted, err := gorgonia.Sort(b.G)
	if err != nil {
		return nil, fmt.Errorf("graph: sort: %w", err)
	}
	slices.Reverse(sorted)

	needed := map[*gorgonia.Node]bool{}
	var mark func(n *gorgonia.Node)
	mark = func(n *gorgonia.Node) {
		if needed[n] {
			return
		}
		needed[n] = true
		if _, ok := fixed[n]; ok && n.Op() == nil {
			return
		}
		for _, ch := range c.children(b.G, n) {
			mark(ch)
		}
	}
	for _, r := range roots {
		mark(r)
	}

	p := &program[T]{c: c, nodes: map[*gorgonia.Node]ref{}}
	for n, buf := range fixed {
		p.nodes[n] = ref{slot: -1, fixed: buf, n: buf.Len()}
	}
	type plan struct {
		n  *gorgonia.Node
		k  kernel
		ch []*gorgonia.Node
	}
	var order []plan
	lastUse := map[*gorgonia.Node]int{}
	work := 0
	for _, n := range sorted {
		if !needed[n] {
			continue
		}
		if buf, ok := fixed[n]; ok {
			if buf.Len() != n.Shape().TotalSize() {
				return nil, fmt.Errorf("graph: node %s: bound buffer has %d elements, want %d", n.Name(), buf.Len(), n.Shape().TotalSize())
			}
			p.nodes[n] = ref{slot: -1, fixed: buf, n: buf.Len()}
			if n.Op() == nil {
				continue
			}
		}
		ch := c.children(b.G, n)
		switch k, ok := n.Op().(kernel); {
		case n.Op() == nil:
			return nil, fmt.Errorf("graph: input node %s is not bound", n.Name())
		case ok:
			work = max(work, k.workspace())
			order = append(order, plan{n, k, ch})
		case isAdd(n, ch):
			order = append(order, plan{n, nil, ch})
		case len(ch) == 0 && n.Value() != nil:
			// a constant, such as the gradient 1 that Grad seeds
			buf := c.b.Alloc(max(1, n.Shape().TotalSize()))
			switch v := n.Value().Data().(type) {
			case T:
				c.b.Upload(buf, []T{v})
			case []T:
				c.b.Upload(buf, v)
			default:
				return nil, fmt.Errorf("graph: constant %v of type %T", n, v)
			}
			p.nodes[n] = ref{slot: -1, fixed: buf, n: buf.Len()}
			continue
		default:
			return nil, fmt.Errorf("graph: node %v: op %v (%T) is not supported by the executor", n, n.Op(), n.Op())
		}
		for _, x := range ch {
			lastUse[x] = len(order) - 1
		}
	}
	pinned := map[*gorgonia.Node]bool{}
	for _, r := range roots {
		pinned[r] = true
	}

	var free []int // free slot indices
	for i, pl := range order {
		out, ok := p.nodes[pl.n]
		if !ok {
			size := max(1, pl.n.Shape().TotalSize())
			slot := -1
			best := -1
			for j, s := range free {
				if p.slotLen[s] >= size && (best < 0 || p.slotLen[s] < p.slotLen[free[best]]) {
					best = j
				}
			}
			if best < 0 && len(free) > 0 {
				for j, s := range free {
					if best < 0 || p.slotLen[s] > p.slotLen[free[best]] {
						best = j
					}
				}
				p.slotLen[free[best]] = size
			}
			if best >= 0 {
				slot = free[best]
				free = slices.Delete(free, best, best+1)
			} else {
				slot = len(p.slotLen)
				p.slotLen = append(p.slotLen, size)
			}
			out = ref{slot: slot, n: size}
			p.nodes[pl.n] = out
		}
		st := step{k: pl.k, out: out}
		for _, x := range pl.ch {
			r, ok := p.nodes[x]
			if !ok {
				return nil, fmt.Errorf("graph: node %v needed before it is computed", x)
			}
			st.in = append(st.in, r)
		}
		if len(st.in) == 1 && st.k == nil {
			st.in = append(st.in, st.in[0]) // x + x
		}
		p.steps = append(p.steps, st)
		for _, x := range pl.ch {
			if r := p.nodes[x]; r.slot >= 0 && lastUse[x] == i && !pinned[x] && !slices.Contains(free, r.slot) {
				free = append(free, r.slot)
			}
		}
	}
	for _, l := range p.slotLen {
		p.arenaLen += l
	}
	if work > 0 {
		c.scratch(work)
	}
	return p, nil
}

// bind points every step at its Buffers in arena.
func (p *program[T]) bind(arena Buffer) {
	b := p.c.b
	offs := make([]int, len(p.slotLen))
	off := 0
	for i, l := range p.slotLen {
		offs[i] = off
		off += l
	}
	view := func(r ref) Buffer {
		if r.slot < 0 {
			return r.fixed
		}
		return b.Slice(arena, offs[r.slot], offs[r.slot]+r.n)
	}
	for i := range p.steps {
		st := &p.steps[i]
		st.inb = st.inb[:0]
		for _, r := range st.in {
			st.inb = append(st.inb, view(r))
		}
		st.outb = view(st.out)
	}
	for n, r := range p.nodes {
		if r.slot >= 0 {
			p.nodes[n] = ref{slot: r.slot, fixed: view(r), n: r.n}
		}
	}
}

// buffer returns the Buffer of node n after bind.
func (p *program[T]) buffer(n *gorgonia.Node) Buffer { return p.nodes[n].fixed }

// run executes every step.
func (p *program[T]) run() {
	for i := range p.steps {
		st := &p.steps[i]
		if st.k == nil {
			p.c.b.Add(st.outb, st.inb[0], st.inb[1])
			continue
		}
		st.k.exec(st.inb, st.outb)
	}
}
