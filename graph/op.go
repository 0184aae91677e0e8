package graph

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ctx is the state shared by the Ops of one graph: the backend, the pass
// settings of the current run, conv scratch, and the ordered inputs of every
// node this package created (gorgonia does not export a node's children).
type ctx[T Float] struct {
	b      Backend[T]
	mode   BNMode
	labels []int32
	work   Buffer
	nextID int
	inputs map[*gorgonia.Node][]*gorgonia.Node
	// bnMin is the fewest values per channel of any BatchNorm layer (0:
	// none); batch statistics need at least 2, as in PyTorch.
	bnMin  int
	bnName string
}

// scratch returns conv scratch of at least n elements, growing it if needed.
func (c *ctx[T]) scratch(n int) Buffer {
	if c.work == nil || c.work.Len() < n {
		c.work = c.b.Alloc(max(n, 1))
	}
	return c.work
}

// kernel is implemented by every Op of this package.
type kernel interface {
	gorgonia.Op
	// exec computes the output into out from in (one Buffer per input).
	exec(in []Buffer, out Buffer)
	// workspace is the conv scratch exec needs.
	workspace() int
}

// opBase holds what every Op of this package shares: a name, a per-graph id
// (so gorgonia never merges two Ops as common subexpressions), the output
// shape fixed at construction, and the graph context.
type opBase[T Float] struct {
	c     *ctx[T]
	name  string
	id    int
	arity int
	out   tensor.Shape
}

func newBase[T Float](c *ctx[T], name string, arity int, out ...int) opBase[T] {
	c.nextID++
	return opBase[T]{c: c, name: name, id: c.nextID, arity: arity, out: tensor.Shape(out).Clone()}
}

func (o opBase[T]) Arity() int { return o.arity }

func (o opBase[T]) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) { return o.out.Clone(), nil }
func (o opBase[T]) ReturnsPtr() bool                                      { return false }
func (o opBase[T]) CallsExtern() bool                                     { return false }
func (o opBase[T]) OverwritesInput() int                                  { return -1 }
func (o opBase[T]) WriteHash(h hash.Hash)                                 { fmt.Fprintf(h, "samtrain/graph.%s#%d", o.name, o.id) }
func (o opBase[T]) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}
func (o opBase[T]) String() string { return o.name }
func (o opBase[T]) workspace() int { return 0 }

// typeOf builds the Op type from the input ranks: (Tensor_d1 a, …) → out.
func typeOf(out int, in ...int) hm.Type {
	ts := make([]hm.Type, 0, len(in)+1)
	for _, d := range in {
		ts = append(ts, tensorType(d))
	}
	ts = append(ts, tensorType(out))
	return hm.NewFnType(ts...)
}

func tensorType(d int) hm.Type {
	if d == 0 {
		return hm.TypeVariable('a')
	}
	return gorgonia.TensorType{Dims: d, Of: hm.TypeVariable('a')}
}

// apply adds a node of op with the given inputs and records their order.
func (c *ctx[T]) apply(op gorgonia.Op, in ...*gorgonia.Node) *gorgonia.Node {
	n, err := gorgonia.ApplyOp(op, in...)
	if err != nil {
		panic(fmt.Sprintf("graph: apply %v: %v", op, err))
	}
	c.inputs[n] = append([]*gorgonia.Node(nil), in...)
	return n
}

// do runs k on gorgonia Values (Op.Do, used by gorgonia's VMs); it needs a
// host backend.
func do[T Float](c *ctx[T], k kernel, out tensor.Shape, vals []gorgonia.Value) (gorgonia.Value, error) {
	h, ok := c.b.(Host[T])
	if !ok {
		return nil, fmt.Errorf("graph: %v: Do needs a host backend, have %T", k, c.b)
	}
	in := make([]Buffer, len(vals))
	for i, v := range vals {
		switch d := v.Data().(type) {
		case []T:
			in[i] = h.Wrap(d)
		case T:
			in[i] = h.Wrap([]T{d})
		default:
			return nil, fmt.Errorf("graph: %v: input %d has data %T", k, i, d)
		}
	}
	if w := k.workspace(); w > 0 {
		c.scratch(w)
	}
	if out.IsScalar() {
		r := make([]T, 1)
		k.exec(in, h.Wrap(r))
		switch v := any(r[0]).(type) {
		case float32:
			return gorgonia.NewF32(v), nil
		case float64:
			return gorgonia.NewF64(v), nil
		}
		return nil, fmt.Errorf("graph: %v: unsupported scalar type %T", k, r[0])
	}
	r := make([]T, out.TotalSize())
	k.exec(in, h.Wrap(r))
	return tensor.New(tensor.WithShape(out.Clone()...), tensor.WithBacking(r)), nil
}

func checkShape(what string, got tensor.Shape, want ...int) {
	if !got.Eq(tensor.Shape(want)) {
		panic(fmt.Sprintf("graph: %s: shape %v, want %v", what, got, want))
	}
}

func checkDims(what string, n *gorgonia.Node, dims int) tensor.Shape {
	s := n.Shape()
	if len(s) != dims {
		panic(fmt.Sprintf("graph: %s: input of shape %v, want %d dimensions", what, s, dims))
	}
	return s
}
