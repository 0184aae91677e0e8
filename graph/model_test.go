package graph_test

import (
	"slices"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
)

// TestModelErrors checks that bad arguments are errors, not panics.
func TestModelErrors(t *testing.T) {
	build := func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
		return b.Linear("fc", b.GlobalAvgPool(x), 3)
	}
	m, err := graph.NewModel[float64](&cpu.Backend[float64]{}, [3]int{2, 2, 2}, build, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, 2*8)
	for _, tc := range []struct {
		name   string
		x      []float64
		labels []int
		mode   graph.BNMode
	}{
		{"no examples", nil, nil, graph.BNUpdate},
		{"short input", x[:15], []int{0, 1}, graph.BNUpdate},
		{"label too large", x, []int{0, 3}, graph.BNUpdate},
		{"negative label", x, []int{-1, 0}, graph.BNUpdate},
		{"bad mode", x, []int{0, 1}, graph.BNMode(7)},
	} {
		if _, err := m.Grad(tc.x, tc.labels, tc.mode); err == nil {
			t.Errorf("Grad with %s: no error", tc.name)
		}
	}
	if err := m.Eval(x, 2, make([]float64, 5)); err == nil {
		t.Error("Eval with short logits: no error")
	}
	if err := m.Eval(x, 3, make([]float64, 9)); err == nil {
		t.Error("Eval with wrong n: no error")
	}
	if err := m.Logits(make([]float64, 6)); err == nil {
		t.Error("Logits before Grad: no error")
	}

	bad := func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
		return b.Add(x, b.GlobalAvgPool(x)) // shapes do not fit
	}
	if _, err := graph.NewModel[float64](&cpu.Backend[float64]{}, [3]int{2, 2, 2}, bad, 1); err == nil {
		t.Error("NewModel with mismatched shapes: no error")
	}
	if _, err := graph.NewModel[float64](&cpu.Backend[float64]{}, [3]int{0, 2, 2}, build, 1); err == nil {
		t.Error("NewModel with an empty input: no error")
	}
}

// TestSeveralBatchSizes checks that one model serves several batch sizes
// (m-SAM's micro-batches next to full batches) and eval passes, sharing its
// arena: each result equals that of a fresh model with the same weights.
func TestSeveralBatchSizes(t *testing.T) {
	cfgBuild := func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
		h := b.ReLU(b.BatchNorm2d("bn", b.Conv2d("conv", x, 3, 3, 1, 1)))
		h = b.Add(h, b.Conv2d("conv2", h, 3, 3, 1, 1))
		return b.Linear("fc", b.GlobalAvgPool(h), 4)
	}
	in := [3]int{2, 5, 5}
	newModel := func() *graph.Model[float64] {
		m, err := graph.NewModel[float64](&cpu.Backend[float64]{}, in, cfgBuild, 9)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	x, labels, _ := randomBatch(6, in, 4)
	per := in[0] * in[1] * in[2]
	type result struct {
		loss float64
		grad []float64
	}
	run := func(m *graph.Model[float64], n int) result {
		l, err := m.Grad(x[:n*per], labels[:n], graph.BNFrozen)
		if err != nil {
			t.Fatal(err)
		}
		return result{l, append([]float64(nil), m.Gradient()...)}
	}
	shared := newModel()
	got := map[int]result{}
	for _, n := range []int{2, 6, 2, 3, 6, 1} { // the arena grows at 6; 2 runs again after
		got[n] = run(shared, n)
		logits := make([]float64, n*4)
		if err := shared.Eval(x[:n*per], n, logits); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{6, 2, 3, 1} {
		want := run(newModel(), n)
		if got[n].loss != want.loss {
			t.Errorf("batch %d: loss %v, fresh model %v", n, got[n].loss, want.loss)
		}
		for i := range want.grad {
			if got[n].grad[i] != want.grad[i] {
				t.Errorf("batch %d: gradient differs from a fresh model's at %d", n, i)
				break
			}
		}
	}
}

// TestBatchNormOneValue checks that batch statistics over a single value
// per channel are refused, as PyTorch refuses them, while eval mode works.
func TestBatchNormOneValue(t *testing.T) {
	build := func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
		return b.Linear("fc", b.GlobalAvgPool(b.BatchNorm2d("bn", x)), 2)
	}
	m, err := graph.NewModel[float64](&cpu.Backend[float64]{}, [3]int{2, 1, 1}, build, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{1, 2}
	for _, mode := range []graph.BNMode{graph.BNUpdate, graph.BNFrozen} {
		if _, err := m.Grad(x, []int{0}, mode); err == nil {
			t.Errorf("mode %d with one value per channel: no error", mode)
		}
	}
	if _, err := m.Grad(x, []int{0}, graph.BNEval); err != nil {
		t.Errorf("eval mode: %v", err)
	}
	if _, err := m.Grad([]float64{1, 2, 3, 4}, []int{0, 1}, graph.BNUpdate); err != nil {
		t.Errorf("two examples: %v", err)
	}
}

// copyCounter is graph/cpu counting Copy calls.
type copyCounter struct {
	*cpu.Backend[float64]
	copies int
}

func (c *copyCounter) Copy(dst, src graph.Buffer) { c.copies++; c.Backend.Copy(dst, src) }

// TestGradBuffers checks GradBuffers against Grad on a model holding the same
// weights, with the model's own weight and gradient Buffers (no copy) and
// with Buffers of their own (one Copy each), and that the model keeps the
// weights of the pass.
func TestGradBuffers(t *testing.T) {
	newModel := func(b graph.Backend[float64]) *graph.Model[float64] {
		m, err := resnet.New[float64](b, resnet.Config{Width: 2, Input: [3]int{3, 8, 8}}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct {
		name            string
		ownW, ownG      bool
		wantCopiesAdded int
	}{
		{"own weights and gradient", true, true, 0},
		{"own weights", true, false, 1},
		{"own gradient", false, true, 1},
		{"separate", false, false, 2},
	} {
		be := &copyCounter{Backend: &cpu.Backend[float64]{}}
		m, ref := newModel(be), newModel(&cpu.Backend[float64]{})
		x, labels, _ := randomBatch(2, m.Input(), m.Classes())
		p := m.Params()
		w, grad := p.Weights(), p.Grads()
		if !tc.ownW {
			w = be.Alloc(p.NumWeights())
		}
		if !tc.ownG {
			grad = be.Alloc(p.NumWeights())
		}
		wv := slices.Clone(m.Weights())
		for i := range wv {
			wv[i] *= 1.5 // other weights than the model's, as after an optimizer step
		}
		be.Upload(w, wv)
		copy(ref.Weights(), wv)
		want, err := ref.Grad(x, labels, graph.BNFrozen)
		if err != nil {
			t.Fatal(err)
		}
		// Grad on its own may copy (inside the program): count only what GradBuffers adds.
		be.copies = 0
		if _, err := m.Grad(x, labels, graph.BNFrozen); err != nil {
			t.Fatal(err)
		}
		base := be.copies
		be.copies = 0
		got, err := m.GradBuffers(w, grad, x, labels, graph.BNFrozen)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: loss %v, want %v", tc.name, got, want)
		}
		if !slices.Equal(be.Data(grad), ref.Gradient()) {
			t.Errorf("%s: gradient differs from Grad's at the same weights", tc.name)
		}
		if !slices.Equal(m.Weights(), wv) {
			t.Errorf("%s: the model does not hold the weights of the pass", tc.name)
		}
		if added := be.copies - base; added != tc.wantCopiesAdded {
			t.Errorf("%s: %d copies added, want %d", tc.name, added, tc.wantCopiesAdded)
		}
	}

	m := newModel(&cpu.Backend[float64]{})
	x, labels, _ := randomBatch(2, m.Input(), m.Classes())
	p := m.Params()
	for _, tc := range []struct {
		name    string
		w, grad graph.Buffer
	}{
		{"nil weights", nil, p.Grads()},
		{"nil gradient", p.Weights(), nil},
		{"short weights", (&cpu.Backend[float64]{}).Alloc(3), p.Grads()},
		{"short gradient", p.Weights(), (&cpu.Backend[float64]{}).Alloc(p.NumWeights() - 1)},
	} {
		if _, err := m.GradBuffers(tc.w, tc.grad, x, labels, graph.BNFrozen); err == nil {
			t.Errorf("GradBuffers with %s: no error", tc.name)
		}
	}
}
