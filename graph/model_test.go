package graph_test

import (
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
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
