package graph_test

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
)

// Shapes every element-wise and normalisation layer is checked on: batch 1,
// odd sizes, a single pixel.
var layerShapes = [][]int{{1, 2, 3, 3}, {2, 3, 5, 4}, {3, 4, 1, 1}, {2, 6, 3, 5}}

func TestReLUGrad(t *testing.T) {
	for i, in := range layerShapes {
		t.Run(fmt.Sprint(in), func(t *testing.T) {
			checkGrad(t, uint64(10+i), in, graph.BNUpdate, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				return b.ReLU(x)
			})
		})
	}
}

func TestAddGrad(t *testing.T) {
	for i, in := range layerShapes {
		t.Run(fmt.Sprint(in), func(t *testing.T) {
			checkGrad(t, uint64(20+i), in, graph.BNUpdate, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				// x feeds both terms (a residual: gorgonia sums the two
				// gradients with its own add, which the executor runs).
				return b.Add(b.ReLU(x), b.Conv2d("conv", x, in[1], 3, 1, 1))
			})
		})
	}
}

func TestGlobalAvgPoolGrad(t *testing.T) {
	for i, in := range layerShapes {
		t.Run(fmt.Sprint(in), func(t *testing.T) {
			checkGrad(t, uint64(30+i), in, graph.BNUpdate, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				return b.GlobalAvgPool(x)
			})
		})
	}
}

func TestLinearGrad(t *testing.T) {
	for i, in := range [][]int{{1, 4}, {3, 5}, {5, 1}} {
		t.Run(fmt.Sprint(in), func(t *testing.T) {
			checkGrad(t, uint64(40+i), in, graph.BNUpdate, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				return b.Linear("fc", x, 4)
			})
		})
	}
}

func TestBatchNorm2dGrad(t *testing.T) {
	modes := []graph.BNMode{graph.BNUpdate, graph.BNFrozen, graph.BNEval}
	for i, in := range layerShapes {
		for _, mode := range modes {
			if in[0]*in[2]*in[3] == 1 && mode != graph.BNEval {
				continue // one element per channel: batch variance 0, x̂ = 0
			}
			t.Run(fmt.Sprint(in, mode), func(t *testing.T) {
				checkGrad(t, uint64(50+i), in, mode, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
					return b.BatchNorm2d("bn", x)
				})
			})
		}
	}
}

func TestGroupNormGrad(t *testing.T) {
	for i, tc := range []struct {
		in     []int
		groups int
	}{
		{[]int{1, 2, 3, 3}, 1}, {[]int{2, 4, 3, 5}, 2}, {[]int{2, 6, 2, 3}, 3}, {[]int{3, 4, 1, 1}, 2}, {[]int{1, 3, 3, 3}, 3},
	} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			checkGrad(t, uint64(60+i), tc.in, graph.BNUpdate, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				return b.GroupNorm("gn", x, tc.groups)
			})
		})
	}
}
