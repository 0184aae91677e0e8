package graph_test

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
)

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
