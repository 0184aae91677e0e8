package cpu

import (
	"fmt"
	"testing"
)

// convBenchShapes are the convolutions of CIFAR ResNet-18 at batch 32: the stem, one 3×3
// layer per stage, a strided 3×3 and a 1×1 stride-2 shortcut (benchmarks/conv_torch.py times
// the same list in PyTorch).
var convBenchShapes = []struct {
	name string
	p    ConvParams
}{
	{"stem_c3_k64_32x32", ConvParams{N: 32, C: 3, H: 32, W: 32, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}},
	{"c64_32x32", ConvParams{N: 32, C: 64, H: 32, W: 32, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}},
	{"c64_k128_s2", ConvParams{N: 32, C: 64, H: 32, W: 32, K: 128, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}},
	{"c128_16x16", ConvParams{N: 32, C: 128, H: 16, W: 16, K: 128, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}},
	{"c256_8x8", ConvParams{N: 32, C: 256, H: 8, W: 8, K: 256, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}},
	{"c512_4x4", ConvParams{N: 32, C: 512, H: 4, W: 4, K: 512, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}},
	{"sc_c256_k512_1x1_s2", ConvParams{N: 32, C: 256, H: 8, W: 8, K: 512, R: 1, S: 1, StrideH: 2, StrideW: 2}},
}

// BenchmarkConv reports float32 GFLOP/s (2*N*K*C*R*S*OH*OW flops per pass) of each pass of
// each layer with par 1 and 2.
func BenchmarkConv(b *testing.B) {
	for _, sh := range convBenchShapes {
		p := sh.p
		for _, par := range []int{1, 2} {
			for _, pass := range []string{"forward", "backward_data", "backward_filter"} {
				b.Run(fmt.Sprintf("%s/%s/par=%d", sh.name, pass, par), func(b *testing.B) {
					x := make([]float32, p.N*p.C*p.H*p.W)
					w := make([]float32, p.K*p.C*p.R*p.S)
					y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
					for i := range x {
						x[i] = float32(i%7) - 3
					}
					for i := range w {
						w[i] = float32(i%5) - 2
					}
					for i := range y {
						y[i] = float32(i%3) - 1
					}
					work := make([]float32, p.WorkspaceLen(par))
					f := map[string]func(){
						"forward":         func() { Conv2dForward(par, p, x, w, y, work) },
						"backward_data":   func() { Conv2dBackwardData(par, p, w, y, x, work) },
						"backward_filter": func() { Conv2dBackwardFilter(par, p, x, y, w, work) },
					}[pass]
					cpu0 := cpuTime(b)
					for b.Loop() {
						f()
					}
					reportFlops(b, 2*float64(p.N*p.K*p.C*p.R*p.S*p.OutH()*p.OutW()), cpu0)
				})
			}
		}
	}
}
