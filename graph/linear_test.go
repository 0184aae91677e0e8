package graph_test

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
)

func TestLinearGrad(t *testing.T) {
	for i, in := range [][]int{{1, 4}, {3, 5}, {5, 1}} {
		t.Run(fmt.Sprint(in), func(t *testing.T) {
			checkGrad(t, uint64(40+i), in, graph.BNUpdate, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				return b.Linear("fc", x, 4)
			})
		})
	}
}
