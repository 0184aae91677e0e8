package graph_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
)

// layerFunc applies the layer under test to t, a parameter standing in for
// the layer's input so that its gradient is checked as well.
type layerFunc func(b *graph.Builder[float64], t *gorgonia.Node) *gorgonia.Node

// checkGrad checks every gradient of the scalar
//
//	L = cross-entropy(Linear(Flatten(layer(t))), labels)
//
// (the head gives each output element its own random weight) against
// central finite differences, in float64, with BatchNorm in mode: the
// relative error ‖g − fd‖/max(‖g‖, ‖fd‖) of each tensor must be < 1e-6.
// The head's own gradients are checked too.
func checkGrad(t *testing.T, seed uint64, in []int, mode graph.BNMode, layer layerFunc) {
	t.Helper()
	const classes = 3
	n := in[0]
	build := func(b *graph.Builder[float64], _ *gorgonia.Node) *gorgonia.Node {
		x := b.Param("input", in, graph.InitFanIn, 1)
		y := layer(b, x)
		return b.Linear("head", b.Flatten(y), classes)
	}
	m, err := graph.NewModel[float64](&cpu.Backend[float64]{Par: 2}, [3]int{1, 1, 1}, build, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(classes)
	}
	x := make([]float64, n)
	w := m.Weights()
	// One update pass first, so that BatchNorm's running statistics are not
	// their trivial initial values when mode is BNEval.
	if _, err := m.Grad(x, labels, graph.BNUpdate); err != nil {
		t.Fatal(err)
	}
	// BatchNorm's running statistics must not move between evaluations in
	// the update mode; the loss does not depend on them there, but restore
	// them anyway so each evaluation sees the same state.
	state := m.Params().SaveState()
	loss := func() float64 {
		if err := m.Params().RestoreState(state); err != nil {
			t.Fatal(err)
		}
		l, err := m.Grad(x, labels, mode)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	loss()
	g := append([]float64(nil), m.Gradient()...)
	const h = 1e-5 // central differences: truncation O(h²), rounding O(1e-16/h)
	for _, e := range m.Params().Entries() {
		if e.Buffer {
			continue
		}
		var num, den1, den2 float64
		for i := e.Off; i < e.Off+e.Len; i++ {
			old := w[i]
			w[i] = old + h
			lp := loss()
			w[i] = old - h
			lm := loss()
			w[i] = old
			fd := (lp - lm) / (2 * h)
			num += (g[i] - fd) * (g[i] - fd)
			den1 += g[i] * g[i]
			den2 += fd * fd
		}
		den := math.Sqrt(max(den1, den2))
		if den == 0 {
			t.Errorf("%s: gradient is identically zero", e.Name)
			continue
		}
		if rel := math.Sqrt(num) / den; rel > 1e-6 {
			t.Errorf("%s: relative error %.3g against finite differences", e.Name, rel)
		}
	}
}

// Shapes every element-wise and normalisation layer is checked on: batch 1,
// odd sizes, a single pixel.
var layerShapes = [][]int{{1, 2, 3, 3}, {2, 3, 5, 4}, {3, 4, 1, 1}, {2, 6, 3, 5}}
