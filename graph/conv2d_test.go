package graph_test

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
)

func TestConv2dGrad(t *testing.T) {
	for i, tc := range []struct {
		in                []int
		k, r, stride, pad int
	}{
		{[]int{2, 3, 5, 5}, 4, 3, 1, 1},
		{[]int{1, 2, 7, 6}, 3, 3, 2, 1}, // batch 1, stride 2, odd sizes
		{[]int{2, 3, 6, 6}, 2, 1, 2, 0}, // 1×1 projection shortcut
		{[]int{3, 2, 4, 5}, 3, 2, 1, 0}, // even kernel, no padding
		{[]int{1, 1, 5, 5}, 2, 3, 3, 2}, // stride 3, padding 2
	} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			checkGrad(t, uint64(i+1), tc.in, graph.BNUpdate, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				return b.Conv2d("conv", x, tc.k, tc.r, tc.stride, tc.pad)
			})
		})
	}
}
