package train

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
)

func tinyModel(t *testing.T, seed uint64) *graph.Model[float64] {
	t.Helper()
	m, err := resnet.New[float64](&cpu.Backend[float64]{Par: 1}, resnet.Config{Width: 4, Input: [3]int{3, 8, 8}}, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomBatch(n int, seed uint64) ([]float64, []int) {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n*3*8*8)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	y := make([]int, n)
	for i := range y {
		y[i] = r.IntN(10)
	}
	return x, y
}

// gradVia is a GradFunc of an Objective with host weights and gradient.
type gradVia = func(o *Objective[float64], p optim.Pass, w, grad []float64) (float64, error)

// gradVias are the two GradFuncs of an Objective, called with weights and
// gradient in host memory: GradBuffers gets graph/cpu Buffers sharing that
// memory (the model's own Buffers when w is Model.Weights()).
var gradVias = []struct {
	name string
	grad gradVia
}{
	{"Grad", (*Objective[float64]).Grad},
	{"GradBuffers", func(o *Objective[float64], p optim.Pass, w, grad []float64) (float64, error) {
		h := o.Model.Params().Backend().(graph.Host[float64])
		return o.GradBuffers(p, h.Wrap(w), h.Wrap(grad))
	}},
}

// TestObjectiveSlicesBatch checks that a pass over [Lo, Hi) is exactly
// Model.Grad on that slice of the batch, with the pass's BatchNorm mode, and
// that the clean-pass callback sees that slice's logits, through Grad and
// GradBuffers.
func TestObjectiveSlicesBatch(t *testing.T) {
	for _, via := range gradVias {
		t.Run(via.name, func(t *testing.T) { testObjectiveSlicesBatch(t, via.grad) })
	}
}

func testObjectiveSlicesBatch(t *testing.T, gradVia gradVia) {
	const n, lo, hi = 6, 2, 5
	x, y := randomBatch(n, 7)
	for _, bn := range []optim.BNMode{optim.BNUpdate, optim.BNFrozen, optim.BNEval} {
		ref, got := tinyModel(t, 3), tinyModel(t, 3)
		wantLoss, err := ref.Grad(x[lo*192:hi*192], y[lo:hi], graph.BNMode(bn))
		if err != nil {
			t.Fatal(err)
		}
		wantLogits := make([]float64, (hi-lo)*10)
		if err := ref.Logits(wantLogits); err != nil {
			t.Fatal(err)
		}

		var seen []float64
		o := &Objective[float64]{Model: got, X: x, Labels: y, Clean: func(l, h int, logits []float64) {
			if l != lo || h != hi {
				t.Errorf("callback range [%d, %d), want [%d, %d)", l, h, lo, hi)
			}
			seen = slices.Clone(logits)
		}}
		grad := make([]float64, len(got.Weights()))
		loss, err := gradVia(o, optim.Pass{Kind: optim.Clean, Lo: lo, Hi: hi, BN: bn}, got.Weights(), grad)
		if err != nil {
			t.Fatal(err)
		}
		if loss != wantLoss {
			t.Errorf("BN %d: loss %v, want %v", bn, loss, wantLoss)
		}
		if !slices.Equal(grad, ref.Gradient()) {
			t.Errorf("BN %d: gradient differs from Model.Grad on the slice", bn)
		}
		if !slices.Equal(seen, wantLogits) {
			t.Errorf("BN %d: callback logits differ from the slice's logits", bn)
		}
		gotT, refT := got.Params().Tensors(), ref.Params().Tensors()
		for name, rt := range refT {
			if !slices.Equal(gotT[name].Data, rt.Data) {
				t.Errorf("BN %d: %s differs", bn, name)
			}
		}
	}
}

func TestObjectiveErrors(t *testing.T) {
	m := tinyModel(t, 1)
	x, y := randomBatch(4, 1)
	o := &Objective[float64]{Model: m, X: x, Labels: y}
	grad := make([]float64, len(m.Weights()))
	short := make([]float64, len(m.Weights())-1)
	for _, tc := range []struct {
		name string
		p    optim.Pass
		w    []float64
	}{
		{"short weights", optim.Pass{Lo: 0, Hi: 4}, short},
		{"empty range", optim.Pass{Lo: 2, Hi: 2}, m.Weights()},
		{"past the batch", optim.Pass{Lo: 2, Hi: 5}, m.Weights()},
		{"negative start", optim.Pass{Lo: -1, Hi: 2}, m.Weights()},
	} {
		for _, via := range gradVias {
			if _, err := via.grad(o, tc.p, tc.w, grad); err == nil {
				t.Errorf("%s: %s: no error", via.name, tc.name)
			}
		}
	}
}

// TestObjectiveOtherWeights checks that an optimizer stepping other weights
// than the model's own (a copy) gets exactly the loss and gradient at those
// weights, which a pass copies into the model, through Grad and GradBuffers.
func TestObjectiveOtherWeights(t *testing.T) {
	for _, via := range gradVias {
		t.Run(via.name, func(t *testing.T) { testObjectiveOtherWeights(t, via.grad) })
	}
}

func testObjectiveOtherWeights(t *testing.T, gradVia gradVia) {
	const n = 4
	x, y := randomBatch(n, 5)
	ref, got := tinyModel(t, 3), tinyModel(t, 3)
	w := slices.Clone(got.Weights())
	for i := range w {
		w[i] *= 1.5 // other weights than the model's, as after an optimizer step
	}
	copy(ref.Weights(), w)
	wantLoss, err := ref.Grad(x, y, graph.BNFrozen)
	if err != nil {
		t.Fatal(err)
	}
	o := &Objective[float64]{Model: got, X: x, Labels: y}
	grad := make([]float64, len(w))
	loss, err := gradVia(o, optim.Pass{Kind: optim.Clean, Lo: 0, Hi: n, BN: optim.BNFrozen}, w, grad)
	if err != nil {
		t.Fatal(err)
	}
	if loss != wantLoss || !slices.Equal(grad, ref.Gradient()) {
		t.Errorf("loss %v, want %v; gradient equal: %v", loss, wantLoss, slices.Equal(grad, ref.Gradient()))
	}
	if !slices.Equal(got.Weights(), w) {
		t.Errorf("the pass did not copy the weights into the model")
	}
}
