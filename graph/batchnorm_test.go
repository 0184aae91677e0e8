package graph_test

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
)

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
