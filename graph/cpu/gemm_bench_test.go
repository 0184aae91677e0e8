package cpu

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user and system) the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportFlops reports flops per call as GFLOP/s of wall time and as GFLOP per CPU-second
// consumed since cpu0: on a shared machine the second shows the kernel's efficiency per
// core even when other processes take turns on the cores.
func reportFlops(b *testing.B, flops float64, cpu0 time.Duration) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(flops*float64(b.N)/(cpuTime(b)-cpu0).Seconds()/1e9, "GFLOP/cpu-s")
}

// gemmBenchShapes are the per-worker GEMMs of Conv2dForward for the 3×3 layers of CIFAR
// ResNet-18 at batch 32: m = K filters, k = 9*C, n = output pixels of the images grouped per
// GEMM (one 32×32 or 16×16 image, four 8×8 or sixteen 4×4 images).
var gemmBenchShapes = []struct {
	name    string
	m, n, k int
}{
	{"c64_32x32", 64, 1024, 576},
	{"c128_16x16", 128, 256, 1152},
	{"c256_8x8", 256, 256, 2304},
	{"c512_4x4", 512, 256, 4608},
	{"square512", 512, 512, 512},
}

// BenchmarkGemm reports float32 GFLOP/s (2*m*n*k flops per call) of every micro-kernel the
// machine runs, with par 1 and 2.
func BenchmarkGemm(b *testing.B) {
	for _, kn := range float32Kernels() {
		for _, sh := range gemmBenchShapes {
			for _, par := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/par=%d", kn.name, sh.name, par), func(b *testing.B) {
					a := make([]float32, sh.m*sh.k)
					bb := make([]float32, sh.k*sh.n)
					c := make([]float32, sh.m*sh.n)
					for i := range a {
						a[i] = float32(i%7) - 3
					}
					for i := range bb {
						bb[i] = float32(i%5) - 2
					}
					pack := make([]float32, par*packLen(sh.m, sh.n, sh.k))
					pb := matrixB(false, bb, sh.n)
					cpu0 := cpuTime(b)
					for b.Loop() {
						gemmWith(kn, par, false, sh.m, sh.n, sh.k, 1, a, sh.k, nil, pb, 0, c, sh.n, pack)
					}
					reportFlops(b, 2*float64(sh.m)*float64(sh.n)*float64(sh.k), cpu0)
				})
			}
		}
	}
}

// BenchmarkKernel reports the float32 GFLOP/s of each micro-kernel alone on L1-resident
// panels (kc = 256): the ceiling for the blocked GEMM.
func BenchmarkKernel(b *testing.B) {
	const kc = gemmKC
	for _, kn := range float32Kernels() {
		b.Run(kn.name, func(b *testing.B) {
			ap := make([]float32, kn.mr*kc)
			bp := make([]float32, kn.nr*kc)
			c := make([]float32, kn.mr*kn.nr)
			cpu0 := cpuTime(b)
			for b.Loop() {
				kn.tile(kc, ap, bp, c, kn.nr, true)
			}
			reportFlops(b, 2*float64(kn.mr*kn.nr*kc), cpu0)
		})
	}
}
