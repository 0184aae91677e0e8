package cuda

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// gemmRef is C = alpha*op(A)*op(B) + beta*C for row-major matrices.
func gemmRef(transA, transB bool, m, n, k int, alpha float64, a, b []float32, beta float64, c []float32) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				av := a[i*k+l]
				if transA {
					av = a[l*m+i]
				}
				bv := b[l*n+j]
				if transB {
					bv = b[j*k+l]
				}
				s += float64(av) * float64(bv)
			}
			out[i*n+j] = alpha*s + beta*float64(c[i*n+j])
		}
	}
	return out
}

func TestSgemm(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		s := d.DefaultStream()
		r := rand.New(rand.NewPCG(21, 22))
		const m, n, k = 5, 3, 4 // all different, so a swapped dimension shows
		for _, tc := range []struct{ ta, tb bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
			a, b, c := randn(r, m*k), randn(r, k*n), randn(r, m*n)
			pc := upload(t, d, c)
			if err := s.Sgemm(tc.ta, tc.tb, m, n, k, 1.5, upload(t, d, a), upload(t, d, b), 0.5, pc); err != nil {
				t.Fatal(err)
			}
			near(t, "C", download[float32](t, d, pc, m*n), gemmRef(tc.ta, tc.tb, m, n, k, 1.5, a, b, 0.5, c), 1e-5)
		}
		if err := s.Sgemm(false, false, 0, 1, 1, 1, 0, 0, 0, 0); err == nil {
			t.Error("m = 0 accepted")
		}
	})
}

func TestSgemmStatus(t *testing.T) {
	d := fakeDevice(t)
	fake.set("cublasSgemm_v2.result", 7)
	err := d.DefaultStream().Sgemm(false, false, 1, 1, 1, 1, 0, 0, 0, 0)
	var e *Error
	if !errors.As(err, &e) || e.API != CUBLAS || e.Name != "CUBLAS_STATUS_INVALID_VALUE" {
		t.Errorf("error %v, want CUBLAS_STATUS_INVALID_VALUE", err)
	}
}

// convRef is the NCHW cross-correlation of ConvShape c.
func convRef(c ConvShape, x, w []float32) []float64 {
	sh, sw := c.strides()
	p, q := c.Out()
	y := make([]float64, c.N*c.K*p*q)
	for n := 0; n < c.N; n++ {
		for k := 0; k < c.K; k++ {
			for i := 0; i < p; i++ {
				for j := 0; j < q; j++ {
					var s float64
					for ch := 0; ch < c.C; ch++ {
						for r := 0; r < c.R; r++ {
							for u := 0; u < c.S; u++ {
								h, ww := i*sh-c.PadH+r, j*sw-c.PadW+u
								if h < 0 || h >= c.H || ww < 0 || ww >= c.W {
									continue
								}
								s += float64(x[((n*c.C+ch)*c.H+h)*c.W+ww]) * float64(w[((k*c.C+ch)*c.R+r)*c.S+u])
							}
						}
					}
					y[((n*c.K+k)*p+i)*q+j] = s
				}
			}
		}
	}
	return y
}

// TestConv checks the forward convolution against convRef and both backward convolutions
// against the adjoint identity <conv(x, w), dy> = <x, dx> = <w, dw>, which holds for the
// gradients of a linear map.
func TestConv(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		s := d.DefaultStream()
		r := rand.New(rand.NewPCG(23, 24))
		for _, c := range []ConvShape{
			{N: 2, C: 3, H: 5, W: 6, K: 4, R: 3, S: 3, PadH: 1, PadW: 1},
			{N: 1, C: 2, H: 7, W: 7, K: 3, R: 3, S: 3, PadH: 1, PadW: 1, StrideH: 2, StrideW: 2},
			{N: 3, C: 4, H: 4, W: 4, K: 2, R: 1, S: 1, StrideH: 2, StrideW: 2},
		} {
			p, q := c.Out()
			x, w, dy := randn(r, c.N*c.C*c.H*c.W), randn(r, c.K*c.C*c.R*c.S), randn(r, c.N*c.K*p*q)
			_, _, py, pdx, pdw := convAll(t, d, s, c, x, w, dy)
			y := convRef(c, x, w)
			near(t, "y", download[float32](t, d, py, len(y)), y, 1e-5)
			var ydy, xdx, wdw float64
			for i := range y {
				ydy += y[i] * float64(dy[i])
			}
			for i, v := range download[float32](t, d, pdx, len(x)) {
				xdx += float64(x[i]) * float64(v)
			}
			for i, v := range download[float32](t, d, pdw, len(w)) {
				wdw += float64(w[i]) * float64(v)
			}
			near(t, "<x,dx>", []float32{float32(xdx)}, []float64{ydy}, 1e-4)
			near(t, "<w,dw>", []float32{float32(wdw)}, []float64{ydy}, 1e-4)
		}
		if err := s.ConvForward(ConvShape{N: 1, C: 1, H: 2, W: 2, K: 1, R: 3, S: 3}, 0, 0, 0, 0); err == nil {
			t.Error("filter larger than input accepted")
		}
	})
}

func TestConvAlgoCache(t *testing.T) {
	d := fakeDevice(t)
	s := d.DefaultStream()
	c := ConvShape{N: 1, C: 1, H: 4, W: 4, K: 1, R: 3, S: 3, PadH: 1, PadW: 1}
	x := upload(t, d, make([]float32, 16))
	w := upload(t, d, make([]float32, 9))
	for i := 0; i < 3; i++ {
		if err := s.ConvForward(c, x, w, 0, x); err != nil {
			t.Fatal(err)
		}
	}
	if got := fake.get("fwd.finds"); got != 1 {
		t.Errorf("cudnnFindConvolutionForwardAlgorithm called %d times for one shape, want 1", got)
	}
	// The fake lists a failed algorithm 7 first, then algorithm 1 needing 4096 bytes.
	if a, ws := fake.get("fwd.algo"), fake.get("fwd.ws"); a != 1 || ws != 4096 {
		t.Errorf("ran algorithm %d with %d bytes of workspace, want 1 and 4096", a, ws)
	}
	if got := fake.get("dnn.math"); got != cudnnFMAMath {
		t.Errorf("convolution math type %d, want CUDNN_FMA_MATH (no TF32)", got)
	}
	c.W = 5
	if err := s.ConvForward(c, x, w, 0, upload(t, d, make([]float32, 20))); err != nil {
		t.Fatal(err)
	}
	if got := fake.get("fwd.finds"); got != 2 {
		t.Errorf("a second shape made %d finds in all, want 2", got)
	}
}

func TestPool(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		s := d.DefaultStream()
		// One 1×1×3×3 plane, 2×2 windows, stride 1: outputs by hand.
		x := []float32{1, 5, 2, 4, 3, 9, 0, 7, 6}
		dy := []float32{1, 2, 3, 4}
		for _, tc := range []struct {
			max       bool
			y, dx     []float64
			nameOfRun string
		}{
			{true, []float64{5, 9, 7, 9}, []float64{0, 1, 0, 0, 0, 2 + 4, 0, 3, 0}, "max"},
			{false, []float64{13.0 / 4, 19.0 / 4, 14.0 / 4, 25.0 / 4},
				[]float64{0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1}, "average"},
		} {
			p := PoolShape{N: 1, C: 1, H: 3, W: 3, WinH: 2, WinW: 2, StrideH: 1, StrideW: 1, Max: tc.max}
			px, py, pdy, pdx := upload(t, d, x), upload(t, d, make([]float32, 4)), upload(t, d, dy), upload(t, d, make([]float32, 9))
			if err := s.PoolForward(p, px, py); err != nil {
				t.Fatal(err)
			}
			if err := s.PoolBackward(p, px, py, pdy, pdx); err != nil {
				t.Fatal(err)
			}
			near(t, tc.nameOfRun+" y", download[float32](t, d, py, 4), tc.y, 1e-6)
			near(t, tc.nameOfRun+" dx", download[float32](t, d, pdx, 9), tc.dx, 1e-6)
		}
		if err := s.PoolForward(PoolShape{N: 1, C: 1, H: 1, W: 1, WinH: 2, WinW: 2, StrideH: 1, StrideW: 1}, 0, 0); err == nil {
			t.Error("window larger than input accepted")
		}
		if isFake(d) {
			if got := fake.get("dnn.descs"); got != 0 {
				t.Errorf("%d cuDNN descriptors left after pooling, want 0", got)
			}
		}
	})
}

// convAll uploads x, w and dy, queues the forward, backward-data and backward-filter
// convolutions of c on s (beta 0) and returns the device buffers of x, w, y, dx and dw.
func convAll(t *testing.T, d *Device, s *Stream, c ConvShape, x, w, dy []float32) (px, pw, py, pdx, pdw DevicePtr) {
	t.Helper()
	px, pw, pdy := upload(t, d, x), upload(t, d, w), upload(t, d, dy)
	py, pdx, pdw = upload(t, d, make([]float32, len(dy))), upload(t, d, make([]float32, len(x))), upload(t, d, make([]float32, len(w)))
	if err := s.ConvForward(c, px, pw, 0, py); err != nil {
		t.Fatal(err)
	}
	if err := s.ConvBackwardData(c, pw, pdy, 0, pdx); err != nil {
		t.Fatal(err)
	}
	if err := s.ConvBackwardFilter(c, px, pdy, 0, pdw); err != nil {
		t.Fatal(err)
	}
	return px, pw, py, pdx, pdw
}
