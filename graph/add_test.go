package graph_test

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
)

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
