package graph_test

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
)

func TestGlobalAvgPoolGrad(t *testing.T) {
	for i, in := range layerShapes {
		t.Run(fmt.Sprint(in), func(t *testing.T) {
			checkGrad(t, uint64(30+i), in, graph.BNUpdate, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				return b.GlobalAvgPool(x)
			})
		})
	}
}
