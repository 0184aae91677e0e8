package graph_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
)

// tapeNet is a network built for gorgonia's TapeMachine: the same ops, run
// through their Op.Do on gorgonia Values.
type tapeNet[T graph.Float] struct {
	b     *graph.Builder[T]
	x     *gorgonia.Node
	cost  *gorgonia.Node
	grads gorgonia.Nodes
	vm    gorgonia.VM
}

func newTapeNet[T graph.Float](t testing.TB, m *graph.Model[T], f graph.BuildFunc[T], n int, labels []int32) *tapeNet[T] {
	p := graph.NewParams(m.Params().Backend())
	b := graph.NewBuilder(p)
	in := m.Input()
	x := b.Input("x", n, in[0], in[1], in[2])
	cost := b.SoftmaxCrossEntropy(f(b, x))
	p.Alloc()
	if err := p.SetTensors(m.Params().Tensors()); err != nil {
		t.Fatal(err)
	}
	if err := b.BindHost(); err != nil {
		t.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, b.ParamNodes()...)
	if err != nil {
		t.Fatal(err)
	}
	b.SetLabels(labels)
	return &tapeNet[T]{b: b, x: x, cost: cost, grads: grads, vm: gorgonia.NewTapeMachine(b.G)}
}

func (tn *tapeNet[T]) run(t testing.TB, x []T) {
	s := tn.x.Shape()
	if err := gorgonia.Let(tn.x, tensor.New(tensor.WithShape(s...), tensor.WithBacking(x))); err != nil {
		t.Fatal(err)
	}
	if err := tn.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	tn.vm.Reset()
}

func randomBatch(n int, in [3]int, classes int) ([]float64, []int, []int32) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float64, n*in[0]*in[1]*in[2])
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	labels := make([]int, n)
	l32 := make([]int32, n)
	for i := range labels {
		labels[i] = rng.IntN(classes)
		l32[i] = int32(labels[i])
	}
	return x, labels, l32
}

// TestTapeMachineAgrees runs a small PreAct ResNet through gorgonia's
// TapeMachine (the Ops' Do methods and gorgonia's own add for summed
// gradients) and through the package's executor: loss and gradients must
// agree to float64 rounding.
func TestTapeMachineAgrees(t *testing.T) {
	f, cfg, err := resnet.Build[float64](resnet.Config{Width: 2, Input: [3]int{3, 8, 8}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := graph.NewModel[float64](&cpu.Backend[float64]{}, cfg.Input, f, 3)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3
	x, labels, l32 := randomBatch(n, cfg.Input, cfg.Classes)
	tn := newTapeNet(t, m, f, n, l32)
	tn.b.SetMode(graph.BNFrozen)
	tn.run(t, x)
	loss, err := m.Grad(x, labels, graph.BNFrozen)
	if err != nil {
		t.Fatal(err)
	}
	if got := float64(tn.cost.Value().Data().(float64)); math.Abs(got-loss) > 1e-12 {
		t.Errorf("tape loss %v, executor %v", got, loss)
	}
	for i, node := range tn.b.ParamNodes() {
		want, err := m.Params().Grad(node.Name())
		if err != nil {
			t.Fatal(err)
		}
		got := tn.grads[i].Value().Data().([]float64)
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-12*(1+math.Abs(want[j])) {
				t.Errorf("%s[%d]: tape %v, executor %v", node.Name(), j, got[j], want[j])
				break
			}
		}
	}
}

// BenchmarkExecutor compares one forward+backward pass of a narrow PreAct
// ResNet-18 (width 16, batch 16, float32) run by gorgonia's TapeMachine and
// by the package's executor.
func BenchmarkExecutor(b *testing.B) {
	f, cfg, err := resnet.Build[float32](resnet.Config{Width: 16})
	if err != nil {
		b.Fatal(err)
	}
	m, err := graph.NewModel[float32](&cpu.Backend[float32]{Par: 2}, cfg.Input, f, 3)
	if err != nil {
		b.Fatal(err)
	}
	const n = 16
	x64, labels, l32 := randomBatch(n, cfg.Input, cfg.Classes)
	x := make([]float32, len(x64))
	for i, v := range x64 {
		x[i] = float32(v)
	}
	b.Run("tape", func(b *testing.B) {
		tn := newTapeNet(b, m, f, n, l32)
		tn.run(b, x)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			tn.run(b, x)
		}
	})
	b.Run("executor", func(b *testing.B) {
		if _, err := m.Grad(x, labels, graph.BNUpdate); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := m.Grad(x, labels, graph.BNUpdate); err != nil {
				b.Fatal(err)
			}
		}
	})
}
