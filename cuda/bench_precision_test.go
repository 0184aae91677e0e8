package cuda

import "testing"

// BenchmarkPrecision times a 1024³ GEMM and one convolution's forward and backward passes
// (ResNet-18's first stage, batch 128) in each Precision, bf16's casts included. Run on the
// card with: cuda.test -test.run '^$' -test.bench Precision
func BenchmarkPrecision(b *testing.B) {
	for _, p := range []Precision{FP32, TF32, BF16} {
		b.Run("gemm1024/"+p.String(), func(b *testing.B) {
			d := benchDevice(b)
			s := d.DefaultStream()
			if err := s.SetPrecision(p); err != nil {
				b.Skip(err)
			}
			const n = 1024
			a, bb, c := benchAlloc(b, d, n*n), benchAlloc(b, d, n*n), benchAlloc(b, d, n*n)
			timed(b, s, func() error { return s.Sgemm(false, false, n, n, n, 1, a, bb, 0, c) })
			b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("conv64x32x32/"+p.String(), func(b *testing.B) {
			d := benchDevice(b)
			s := d.DefaultStream()
			if err := s.SetPrecision(p); err != nil {
				b.Skip(err)
			}
			benchConv(b, d, s, ConvShape{N: 128, C: 64, H: 32, W: 32, K: 64, R: 3, S: 3, PadH: 1, PadW: 1})
		})
	}
}
