package cuda

import (
	"os"
	"testing"
)

// Benchmarks of the binding on a real GPU (skipped without one), at ResNet-18 CIFAR sizes,
// batch 128. Run on the card with: cuda.test -test.run '^$' -test.bench .

func benchDevice(b *testing.B) *Device {
	b.Helper()
	d, err := Open(Config{Dirs: SearchDirs("/", os.Getenv), CacheDir: b.TempDir()})
	if err != nil {
		b.Skip("no CUDA device: ", err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

func benchAlloc(b *testing.B, d *Device, n int) DevicePtr {
	b.Helper()
	p, err := d.Alloc(uint64(n) * 4)
	if err != nil {
		b.Fatal(err)
	}
	if err := d.DefaultStream().Fill32(p, 0x3c23d70a, uint64(n)); err != nil { // 0.01
		b.Fatal(err)
	}
	return p
}

// timed runs f b.N times on s and waits for the device.
func timed(b *testing.B, s *Stream, f func() error) {
	b.Helper()
	if err := f(); err != nil { // warm-up: algorithm search, kernel compilation
		b.Fatal(err)
	}
	if err := s.Synchronize(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Synchronize(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkSgemm1024(b *testing.B) {
	d := benchDevice(b)
	s := d.DefaultStream()
	const n = 1024
	a, bb, c := benchAlloc(b, d, n*n), benchAlloc(b, d, n*n), benchAlloc(b, d, n*n)
	timed(b, s, func() error { return s.Sgemm(false, false, n, n, n, 1, a, bb, 0, c) })
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkConv(b *testing.B) {
	for _, tc := range []struct {
		name string
		c    ConvShape
	}{
		{"64x32x32", ConvShape{N: 128, C: 64, H: 32, W: 32, K: 64, R: 3, S: 3, PadH: 1, PadW: 1}},
		{"256x8x8", ConvShape{N: 128, C: 256, H: 8, W: 8, K: 256, R: 3, S: 3, PadH: 1, PadW: 1}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d := benchDevice(b)
			benchConv(b, d, d.DefaultStream(), tc.c)
		})
	}
}

// benchConv times the forward, backward-data and backward-filter passes of c on s and
// reports GFLOP/s.
func benchConv(b *testing.B, d *Device, s *Stream, c ConvShape) {
	p, q := c.Out()
	x, w, y := benchAlloc(b, d, c.N*c.C*c.H*c.W), benchAlloc(b, d, c.K*c.C*c.R*c.S), benchAlloc(b, d, c.N*c.K*p*q)
	dx, dw := benchAlloc(b, d, c.N*c.C*c.H*c.W), benchAlloc(b, d, c.K*c.C*c.R*c.S)
	timed(b, s, func() error {
		if err := s.ConvForward(c, x, w, 0, y); err != nil {
			return err
		}
		if err := s.ConvBackwardData(c, w, y, 0, dx); err != nil {
			return err
		}
		return s.ConvBackwardFilter(c, x, y, 0, dw)
	})
	flops := 3 * 2 * float64(c.N*c.K*p*q*c.C*c.R*c.S)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkBatchNorm(b *testing.B) {
	d := benchDevice(b)
	k, err := d.Kernels()
	if err != nil {
		b.Fatal(err)
	}
	s := d.DefaultStream()
	bn := BatchNorm{N: 128, C: 64, HW: 32 * 32, Eps: 1e-5, Momentum: 0.1}
	n := bn.N * bn.C * bn.HW
	x, y, dx := benchAlloc(b, d, n), benchAlloc(b, d, n), benchAlloc(b, d, n)
	g, be, rm, rv, sm, si, dg, db := benchAlloc(b, d, bn.C), benchAlloc(b, d, bn.C), benchAlloc(b, d, bn.C),
		benchAlloc(b, d, bn.C), benchAlloc(b, d, bn.C), benchAlloc(b, d, bn.C), benchAlloc(b, d, bn.C), benchAlloc(b, d, bn.C)
	timed(b, s, func() error {
		if err := k.BatchNormTrain(s, bn, x, y, g, be, rm, rv, sm, si, true); err != nil {
			return err
		}
		return k.BatchNormBackward(s, bn, x, y, dx, g, sm, si, dg, db)
	})
	// Passes over the tensor: the forward reads x three times and writes y, the backward reads
	// x and dy twice each and writes dx.
	b.SetBytes(int64(9 * 4 * n))
}
