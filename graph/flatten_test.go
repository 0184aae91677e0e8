package graph_test

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
)

// TestFlattenGrad checks Flatten of 3-, 4- and 5-dimensional inputs (the
// head flattens again, a no-op reshape).
func TestFlattenGrad(t *testing.T) {
	for i, in := range [][]int{{2, 3, 4}, {1, 2, 3, 3}, {2, 1, 2, 2, 3}} {
		t.Run(fmt.Sprint(in), func(t *testing.T) {
			checkGrad(t, uint64(80+i), in, graph.BNUpdate, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				return b.Flatten(x)
			})
		})
	}
}
