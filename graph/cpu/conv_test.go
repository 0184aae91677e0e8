package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refConv is the plain-loop reference of the convolution, computed in float64: it calls
// f(n, k, oh, ow, xi, wi) for every term x[xi]*w[wi] of y[n,k,oh,ow].
func refConv(p ConvParams, f func(yi, xi, wi int)) {
	oh, ow := p.OutH(), p.OutW()
	for n := range p.N {
		for k := range p.K {
			for y := range oh {
				for x := range ow {
					yi := ((n*p.K+k)*oh+y)*ow + x
					for c := range p.C {
						for r := range p.R {
							for s := range p.S {
								ih, iw := y*p.StrideH-p.PadH+r, x*p.StrideW-p.PadW+s
								if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
									continue
								}
								f(yi, ((n*p.C+c)*p.H+ih)*p.W+iw, ((k*p.C+c)*p.R+r)*p.S+s)
							}
						}
					}
				}
			}
		}
	}
}

// convCases returns the shapes of CIFAR ResNet layers at small widths and random shapes with
// odd sizes, stride 1 and 2, padding 0 and 1, 1×1 and 3×3 filters and batch 1.
func convCases(rng *rand.Rand) []ConvParams {
	cases := []ConvParams{
		{N: 2, C: 3, H: 8, W: 8, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 3, C: 4, H: 8, W: 8, K: 8, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 3, C: 4, H: 8, W: 8, K: 8, R: 1, S: 1, StrideH: 2, StrideW: 2},
		{N: 2, C: 5, H: 7, W: 5, K: 6, R: 1, S: 1, StrideH: 1, StrideW: 1},
		{N: 1, C: 2, H: 5, W: 6, K: 3, R: 3, S: 3, StrideH: 1, StrideW: 1},
		{N: 5, C: 8, H: 4, W: 4, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 4, C: 16, H: 2, W: 2, K: 8, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 2, C: 3, H: 9, W: 7, K: 5, R: 2, S: 3, StrideH: 2, StrideW: 1, PadH: 0, PadW: 2},
		// At least rowsMinPix output pixels, for the in-place backward-filter kernel.
		{N: 3, C: 5, H: 17, W: 16, K: 40, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 18, W: 20, K: 3, R: 3, S: 3, StrideH: 1, StrideW: 1},
		{N: 2, C: 4, H: 16, W: 16, K: 33, R: 1, S: 1, StrideH: 1, StrideW: 1},
	}
	for range 12 {
		r := []int{1, 3}[rng.IntN(2)]
		cases = append(cases, ConvParams{
			N: 1 + rng.IntN(4), C: 1 + rng.IntN(6), H: r + rng.IntN(9), W: r + rng.IntN(9),
			K: 1 + rng.IntN(9), R: r, S: r,
			StrideH: 1 + rng.IntN(2), StrideW: 1 + rng.IntN(2), PadH: rng.IntN(2), PadW: rng.IntN(2),
		})
	}
	return cases
}

// checkClose fails unless got agrees with want within tolerance[T]()*bound element-wise.
func checkClose[T Float](t *testing.T, what string, got []T, want, bound []float64) {
	t.Helper()
	tol := tolerance[T]()
	for i, w := range want {
		if g := float64(got[i]); !(math.Abs(g-w) <= tol*(bound[i]+1e-30)) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, g, w)
		}
	}
}

// nanSlice returns n NaNs: outputs must be overwritten, never read.
func nanSlice[T Float](n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(math.NaN())
	}
	return s
}

func testConv[T Float](t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, p := range convCases(rng) {
		if err := p.Validate(); err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		xl, wl, yl := p.N*p.C*p.H*p.W, p.K*p.C*p.R*p.S, p.N*p.K*p.OutH()*p.OutW()
		x, w, dy := randSlice[T](rng, xl), randSlice[T](rng, wl), randSlice[T](rng, yl)
		y, yb := make([]float64, yl), make([]float64, yl)
		dx, dxb := make([]float64, xl), make([]float64, xl)
		dw, dwb := make([]float64, wl), make([]float64, wl)
		refConv(p, func(yi, xi, wi int) {
			y[yi] += float64(x[xi]) * float64(w[wi])
			yb[yi] += math.Abs(float64(x[xi]) * float64(w[wi]))
			dx[xi] += float64(dy[yi]) * float64(w[wi])
			dxb[xi] += math.Abs(float64(dy[yi]) * float64(w[wi]))
			dw[wi] += float64(dy[yi]) * float64(x[xi])
			dwb[wi] += math.Abs(float64(dy[yi]) * float64(x[xi]))
		})
		for _, par := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%+v/par=%d", p, par), func(t *testing.T) {
				work := nanSlice[T](p.WorkspaceLen(par))
				gy := nanSlice[T](yl)
				Conv2dForward(par, p, x, w, gy, work)
				checkClose(t, "y", gy, y, yb)
				gdx := nanSlice[T](xl)
				Conv2dBackwardData(par, p, w, dy, gdx, work)
				checkClose(t, "dx", gdx, dx, dxb)
				gdw := nanSlice[T](wl)
				Conv2dBackwardFilter(par, p, x, dy, gdw, work)
				checkClose(t, "dw", gdw, dw, dwb)
			})
		}
	}
}

func TestConv(t *testing.T) {
	t.Run("float32", func(t *testing.T) { testConv[float32](t, 1) })
	t.Run("float64", func(t *testing.T) { testConv[float64](t, 2) })
}

// TestConvGrouped covers layers whose small outputs make workers group several images per
// GEMM, as the 4×4 and 8×8 stages of a CIFAR ResNet do.
func TestConvGrouped(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	p := ConvParams{N: 37, C: 6, H: 4, W: 4, K: 10, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	if pl := p.plan(2); pl.g < 2 || p.N%pl.g == 0 {
		t.Fatalf("plan %+v: want groups of several images and a short last group", pl)
	}
	xl, wl, yl := p.N*p.C*p.H*p.W, p.K*p.C*p.R*p.S, p.N*p.K*p.OutH()*p.OutW()
	x, w, dy := randSlice[float64](rng, xl), randSlice[float64](rng, wl), randSlice[float64](rng, yl)
	y, yb := make([]float64, yl), make([]float64, yl)
	dx, dxb := make([]float64, xl), make([]float64, xl)
	dw, dwb := make([]float64, wl), make([]float64, wl)
	refConv(p, func(yi, xi, wi int) {
		y[yi] += x[xi] * w[wi]
		yb[yi] += math.Abs(x[xi] * w[wi])
		dx[xi] += dy[yi] * w[wi]
		dxb[xi] += math.Abs(dy[yi] * w[wi])
		dw[wi] += dy[yi] * x[xi]
		dwb[wi] += math.Abs(dy[yi] * x[xi])
	})
	for _, par := range []int{1, 2} {
		work := nanSlice[float64](p.WorkspaceLen(par))
		gy, gdx, gdw := nanSlice[float64](yl), nanSlice[float64](xl), nanSlice[float64](wl)
		Conv2dForward(par, p, x, w, gy, work)
		checkClose(t, "y", gy, y, yb)
		Conv2dBackwardData(par, p, w, dy, gdx, work)
		checkClose(t, "dx", gdx, dx, dxb)
		Conv2dBackwardFilter(par, p, x, dy, gdw, work)
		checkClose(t, "dw", gdw, dw, dwb)
	}
}

func TestConvParams(t *testing.T) {
	ok := ConvParams{N: 1, C: 1, H: 5, W: 4, K: 1, R: 3, S: 3, StrideH: 2, StrideW: 1, PadH: 1}
	if got, want := ok.OutH(), 3; got != want { // (5+2-3)/2+1
		t.Errorf("OutH = %d, want %d", got, want)
	}
	if got, want := ok.OutW(), 2; got != want { // (4+0-3)/1+1
		t.Errorf("OutW = %d, want %d", got, want)
	}
	bad := []ConvParams{
		{},
		{N: 1, C: 1, H: 2, W: 2, K: 1, R: 3, S: 3, StrideH: 1, StrideW: 1},
		{N: 1, C: 1, H: 4, W: 4, K: 1, R: 3, S: 3, StrideH: 0, StrideW: 1},
		{N: 1, C: 1, H: 4, W: 4, K: 1, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: -1},
		{N: 1, C: 1, H: 4, W: 4, K: 0, R: 3, S: 3, StrideH: 1, StrideW: 1},
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v, want nil", ok, err)
	}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
		if n := p.WorkspaceLen(2); n != 0 {
			t.Errorf("WorkspaceLen(%+v) = %d, want 0", p, n)
		}
	}
}

func TestConvPanics(t *testing.T) {
	p := ConvParams{N: 2, C: 3, H: 5, W: 5, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	x, w, y := make([]float32, 150), make([]float32, 108), make([]float32, 200)
	work := make([]float32, p.WorkspaceLen(2))
	tests := []struct {
		name string
		f    func()
	}{
		{"invalid params", func() { Conv2dForward(2, ConvParams{}, x, w, y, work) }},
		{"short x", func() { Conv2dForward(2, p, x[:149], w, y, work) }},
		{"short dy", func() { Conv2dBackwardData(2, p, w, y[:199], x, work) }},
		{"short dw", func() { Conv2dBackwardFilter(2, p, x, y, w[:100], work) }},
		{"short work", func() { Conv2dForward(2, p, x, w, y, work[:len(work)-1]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			tt.f()
		})
	}
}

// TestConvKernels runs the float32 convolutions with each micro-kernel this machine runs,
// as on machines without AVX-512 (no in-place or gather kernels) or without AVX2 (pure Go).
// It swaps the package's kernel variables, so it must not run in parallel with other tests.
func TestConvKernels(t *testing.T) {
	saved := []any{float32Kernel, rowsKernel32, gatherCols32x, gatherRows32}
	defer func() {
		float32Kernel = saved[0].(*kernel[float32])
		rowsKernel32 = saved[1].(func(int, []float32, *[8]int, []float32, []float32, int))
		gatherCols32x = saved[2].(func([]float32, []float32, *[32]int32, []int32))
		gatherRows32 = saved[3].(func([]float32, []float32, []int, int, int))
	}()
	for i, kn := range float32Kernels() {
		t.Run(kn.name, func(t *testing.T) {
			float32Kernel = kn
			if i > 0 { // not the fastest: run as on a machine without AVX-512
				rowsKernel32, gatherCols32x = nil, nil
			}
			if kn == goKernel32 {
				gatherRows32 = nil
			}
			testConv[float32](t, 11)
		})
	}
}

// TestConvBackwardFilterDeterministic checks that the weight gradient, a sum over images
// split among workers, comes out bit for bit the same on every call: training runs resumed
// from a checkpoint must end with the same weights as uninterrupted ones. Work stealing
// among workers would make the order of the float32 additions depend on scheduling; with
// 4 workers over 16 images, 50 calls expose that with high probability.
func TestConvBackwardFilterDeterministic(t *testing.T) {
	for _, p := range []ConvParams{
		{N: 16, C: 8, H: 8, W: 8, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 16, C: 4, H: 16, W: 16, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	} {
		const par = 4
		rng := rand.New(rand.NewPCG(1, 2))
		x := make([]float32, p.N*p.C*p.H*p.W)
		dy := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range dy {
			dy[i] = float32(rng.NormFloat64())
		}
		work := make([]float32, p.WorkspaceLen(par))
		first := make([]float32, p.K*p.C*p.R*p.S)
		Conv2dBackwardFilter(par, p, x, dy, first, work)
		dw := make([]float32, len(first))
		for call := range 50 {
			Conv2dBackwardFilter(par, p, x, dy, dw, work)
			for i := range dw {
				if math.Float32bits(dw[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%+v: call %d: dw[%d] = %v, first call gave %v", p, call, i, dw[i], first[i])
				}
			}
		}
	}
}
