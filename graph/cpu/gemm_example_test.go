package cpu_test

import (
	"fmt"

	"github.com/samtrain/samtrain/graph/cpu"
)

func ExampleGemm() {
	// C = A·Bᵀ for A = [1 2; 3 4] and B = [5 6; 7 8] (so Bᵀ = [5 7; 6 8]).
	a := []float32{1, 2, 3, 4}
	b := []float32{5, 6, 7, 8}
	c := make([]float32, 4)
	cpu.Gemm(1, false, true, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [17 23 39 53]
}

func ExampleConv2dForward() {
	// A 3×3 box filter over a 3×3 image of ones with padding 1 counts each pixel's neighbours.
	p := cpu.ConvParams{N: 1, C: 1, H: 3, W: 3, K: 1, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	x := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}
	w := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}
	y := make([]float64, p.N*p.K*p.OutH()*p.OutW())
	work := make([]float64, p.WorkspaceLen(1))
	cpu.Conv2dForward(1, p, x, w, y, work)
	fmt.Println(y)
	// Output: [4 6 4 6 9 6 4 6 4]
}
