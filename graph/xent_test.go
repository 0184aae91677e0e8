package graph_test

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
)

// TestSoftmaxCrossEntropyGrad checks the loss through a head on the input
// itself: layer is the identity, so Linear and the cross-entropy are the
// only ops (batch 1 and several class counts via the input width).
func TestSoftmaxCrossEntropyGrad(t *testing.T) {
	for i, in := range [][]int{{1, 1}, {1, 6}, {4, 3}, {7, 2}} {
		t.Run(fmt.Sprint(in), func(t *testing.T) {
			checkGrad(t, uint64(70+i), in, graph.BNUpdate, func(_ *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				return x
			})
		})
	}
}
