package graph_test

import (
	"fmt"
	"math/rand/v2"
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

// TestConv2dGradRandom checks convolutions of shapes drawn at random (fixed
// seed): batch 1–3, 1–4 channels in and out, 3–7 pixels, kernel 1–3,
// stride 1–2, padding 0–kernel/2.
func TestConv2dGradRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 0))
	for i := 0; i < 6; i++ {
		r := 1 + rng.IntN(3)
		in := []int{1 + rng.IntN(3), 1 + rng.IntN(4), r + 2 + rng.IntN(5), r + 2 + rng.IntN(5)}
		k, stride, pad := 1+rng.IntN(4), 1+rng.IntN(2), rng.IntN(r/2+1)
		t.Run(fmt.Sprint(in, k, r, stride, pad), func(t *testing.T) {
			checkGrad(t, uint64(100+i), in, graph.BNUpdate, func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
				return b.Conv2d("conv", x, k, r, stride, pad)
			})
		})
	}
}
