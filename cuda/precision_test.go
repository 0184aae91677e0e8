package cuda

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/samtrain/samtrain/graph"
)

func TestParsePrecision(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Precision
		ok   bool
	}{
		{"fp32", FP32, true}, {"tf32", TF32, true}, {"bf16", BF16, true}, {"BF16", BF16, true},
		{"", FP32, false}, {"fp16", FP32, false}, {"float32", FP32, false},
	} {
		got, err := ParsePrecision(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParsePrecision(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != Precisions[got] {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
	if got := Precision(7).String(); got != "Precision(7)" {
		t.Errorf("Precision(7).String() = %q", got)
	}
	if err := new(Stream).SetPrecision(Precision(3)); err == nil {
		t.Error("SetPrecision(3) accepted")
	}
}

// toBF16Bits runs Kernels.ToBF16 on v and returns the bfloat16 bits.
func toBF16Bits(t *testing.T, d *Device, v []float32) []uint16 {
	t.Helper()
	k, err := d.Kernels()
	if err != nil {
		t.Fatal(err)
	}
	y := upload(t, d, make([]uint8, 2*len(v)))
	if err := k.ToBF16(d.DefaultStream(), upload(t, d, v), y, len(v)); err != nil {
		t.Fatal(err)
	}
	raw := download[uint8](t, d, y, 2*len(v))
	out := make([]uint16, len(v))
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return out
}

func TestBF16Cast(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		// Bits of float32 inputs and of the bfloat16 results, worked out by hand.
		for _, tc := range []struct {
			name string
			in   uint32
			want uint16
		}{
			{"one", 0x3f800000, 0x3f80},
			{"pi", 0x40490fdb, 0x4049},
			{"below half", 0x3f807fff, 0x3f80},
			{"tie, even below", 0x3f808000, 0x3f80},
			{"above half", 0x3f808001, 0x3f81},
			{"tie, odd below", 0x3f818000, 0x3f82},
			{"negative tie", 0xbfc08000, 0xbfc0},
			{"negative above half", 0xbfc0c000, 0xbfc1},
			{"negative odd tie", 0xbfc18000, 0xbfc2},
			{"mantissa carry", 0x3fffffff, 0x4000},
			{"zero", 0, 0},
			{"negative zero", 0x80000000, 0x8000},
			{"subnormal tie", 0x00008000, 0x0000},
			{"subnormal odd tie", 0x00018000, 0x0002},
			{"smallest subnormal", 0x00000001, 0x0000},
			{"largest bf16", 0x7f7f7fff, 0x7f7f},
			{"largest float32 overflows", 0x7f7fffff, 0x7f80},
			{"infinity", 0x7f800000, 0x7f80},
			{"minus infinity", 0xff800000, 0xff80},
			{"quiet NaN", 0x7fc00000, 0x7fc0},
			{"signalling NaN stays NaN", 0x7f800001, 0x7fc0},
			{"negative NaN", 0xffa00000, 0xffe0},
		} {
			got := toBF16Bits(t, d, []float32{math.Float32frombits(tc.in)})[0]
			if got != tc.want {
				t.Errorf("%s: bf16(%#08x) = %#04x, want %#04x", tc.name, tc.in, got, tc.want)
			}
		}
		// Random finite values over the whole exponent range against roundBF16.
		r := rand.New(rand.NewPCG(31, 32))
		v := make([]float32, 4096)
		for i := range v {
			for {
				v[i] = math.Float32frombits(r.Uint32())
				if !math.IsNaN(float64(v[i])) && !math.IsInf(float64(v[i]), 0) {
					break
				}
			}
		}
		for i, got := range toBF16Bits(t, d, v) {
			if want := roundBF16(v[i]); math.Float32frombits(uint32(got)<<16) != want || (want == 0 && got>>15 != uint16(math.Float32bits(v[i])>>31)) {
				t.Fatalf("bf16(%#08x) = %#04x, want %g", math.Float32bits(v[i]), got, want)
			}
		}
	})
}

func TestBF16Widen(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		k, err := d.Kernels()
		if err != nil {
			t.Fatal(err)
		}
		// bfloat16 bits of 1, -2.5, the largest finite bfloat16 and the smallest subnormal.
		bits := []uint16{0x3f80, 0xc020, 0x7f7f, 0x0001}
		raw := make([]uint8, 2*len(bits))
		for i, b := range bits {
			binary.LittleEndian.PutUint16(raw[2*i:], b)
		}
		x := upload(t, d, raw)
		nan := float32(math.NaN())
		for _, tc := range []struct {
			beta     float32
			y, want  []float32
			describe string
		}{
			{0, []float32{nan, nan, nan, nan}, []float32{1, -2.5, 0x1.fep127, 0x1p-133}, "beta 0 overwrites, NaN too"},
			{1, []float32{0.5, 0.5, 0, 1}, []float32{1.5, -2, 0x1.fep127, 1 + 0x1p-133}, "beta 1 accumulates"},
			{-2, []float32{1, 1, 0, 0}, []float32{-1, -4.5, 0x1.fep127, 0x1p-133}, "beta -2"},
		} {
			y := upload(t, d, tc.y)
			if err := k.FromBF16(d.DefaultStream(), x, tc.beta, y, len(bits)); err != nil {
				t.Fatal(err)
			}
			if got := download[float32](t, d, y, len(bits)); !equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.describe, got, tc.want)
			}
		}
	})
}

// TestPrecisionModes checks on the fake which math modes and data types each Precision
// hands to cuBLAS and cuDNN, and that FP32 turns TF32 off again after a TF32 call.
func TestPrecisionModes(t *testing.T) {
	d := fakeDevice(t)
	s, err := d.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := ConvShape{N: 1, C: 2, H: 3, W: 3, K: 2, R: 3, S: 3, PadH: 1, PadW: 1}
	x, w := upload(t, d, make([]float32, 18)), upload(t, d, make([]float32, 36))
	y := upload(t, d, make([]float32, 18))
	for _, tc := range []struct {
		p                     Precision
		blasMath, sgemm, gemm int64
		dnnMath, dnnType      int64
	}{
		{FP32, cublasDefaultMath, 1, 0, cudnnFMAMath, cudnnDataFloat},
		{TF32, cublasTF32Math, 1, 0, cudnnDefaultMath, cudnnDataFloat},
		{BF16, cublasDefaultMath, 0, 1, cudnnTensorOpMath, cudnnDataBFloat16},
		{FP32, cublasDefaultMath, 1, 0, cudnnFMAMath, cudnnDataFloat},
	} {
		if err := s.SetPrecision(tc.p); err != nil {
			t.Fatal(err)
		}
		fake.set("cublasSgemm_v2.calls", 0)
		fake.set("cublasGemmEx.calls", 0)
		if err := s.Sgemm(false, true, 2, 2, 9, 1, x, w, 0, y); err != nil {
			t.Fatalf("%v: %v", tc.p, err)
		}
		if err := s.ConvForward(c, x, w, 0, y); err != nil {
			t.Fatalf("%v: %v", tc.p, err)
		}
		if err := s.Synchronize(); err != nil {
			t.Fatal(err)
		}
		got := [5]int64{fake.get("cublas.math"), fake.get("cublasSgemm_v2.calls"), fake.get("cublasGemmEx.calls"), fake.get("dnn.math"), fake.get("dnn.dtype")}
		want := [5]int64{tc.blasMath, tc.sgemm, tc.gemm, tc.dnnMath, tc.dnnType}
		if got != want {
			t.Errorf("%v: cuBLAS math, SGEMM calls, GemmEx calls, cuDNN math, cuDNN type = %v, want %v", tc.p, got, want)
		}
		if tc.p == BF16 {
			g := [4]int64{fake.get("gemmex.atype"), fake.get("gemmex.btype"), fake.get("gemmex.ctype"), fake.get("gemmex.compute")}
			if g != [4]int64{cudaR16BF, cudaR16BF, cudaR32F, cublasCompute32F} {
				t.Errorf("cublasGemmEx types A, B, C, compute = %v, want bf16, bf16, fp32, CUBLAS_COMPUTE_32F", g)
			}
		}
	}
}

// bf16Inputs returns n random float32 of magnitude in [1/4, 4) with random signs: their
// bfloat16 roundings are inexact (23 random mantissa bits) and every product of two lies in
// [2^-4, 2^4) with 16 significant bits, so the fake's float64 sums of at most a few thousand
// products are exact whatever their order, and a reference can match the fake bit for bit.
func bf16Inputs(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(math.Ldexp(1+r.Float64(), r.IntN(4)-2))
		if r.IntN(2) == 0 {
			v[i] = -v[i]
		}
	}
	return v
}

func roundAll(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = roundBF16(x)
	}
	return out
}

// bf16U is bfloat16's unit roundoff: 8 significant bits, so rounding to nearest changes a
// value by at most 2^-8 of itself.
const bf16U = 0x1p-8

// checkBF16 compares a bf16 result got with
//   - exact: the same sums computed by the test from inputs rounded by roundBF16, rounded to
//     float32 (and to bfloat16 when outBF16); the fake must match it bit for bit;
//   - ref and abs: the float64 sums of the float32 inputs and of their absolute values.
//     Rounding both factors of every product changes it by at most (2u+u²)|x||w|, and the
//     output roundings (float32, then bfloat16 when outBF16) by at most u'|got| more, with
//     u' = 2^-24 (+ 2^-8); the bound uses 1.01·u' for the rounding of the rounded sum. On
//     a GPU the library's float32 accumulation adds at most k·2^-24·abs for k terms, under
//     1e-4·abs for the test's sizes (k <= 300), which the bound then includes.
func checkBF16(t *testing.T, name string, got []float32, exact, ref, abs []float64, outBF16, fake bool) {
	t.Helper()
	out, acc := 0x1p-24, 0.0
	if outBF16 {
		out += bf16U
	}
	if !fake {
		acc = 1e-4
	}
	bad, rounded := 0, 0
	for i, g := range got {
		e := float32(exact[i])
		if outBF16 {
			e = roundBF16(e)
		}
		if fake && g != e && bad < 5 {
			t.Errorf("%s[%d] = %g, want %g (inputs rounded to bf16 by hand)", name, i, g, e)
			bad++
		}
		bound := (2*bf16U+bf16U*bf16U+acc)*abs[i] + 1.01*out*math.Abs(float64(g))
		if d := math.Abs(float64(g) - ref[i]); !(d <= bound) && bad < 5 {
			t.Errorf("%s[%d] = %g, float32 reference %g: error %g over the bf16 bound %g", name, i, g, ref[i], d, bound)
			bad++
		}
		if float64(g) != ref[i] {
			rounded++
		}
	}
	if rounded == 0 {
		t.Errorf("%s: every value equals the float32 reference: the inputs were not rounded", name)
	}
}

func TestBF16Gemm(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		s := d.DefaultStream()
		if err := s.SetPrecision(BF16); err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(33, 34))
		const m, n, k = 7, 5, 300
		for _, tc := range []struct{ ta, tb bool }{{false, false}, {false, true}, {true, false}, {true, true}} {
			a, b := bf16Inputs(r, m*k), bf16Inputs(r, k*n)
			pc := upload(t, d, make([]float32, m*n))
			if err := s.Sgemm(tc.ta, tc.tb, m, n, k, 1, upload(t, d, a), upload(t, d, b), 0, pc); err != nil {
				t.Fatal(err)
			}
			abs := func(v []float32) []float32 {
				o := make([]float32, len(v))
				for i, x := range v {
					o[i] = float32(math.Abs(float64(x)))
				}
				return o
			}
			zero := make([]float32, m*n)
			checkBF16(t, "C", download[float32](t, d, pc, m*n),
				gemmRef(tc.ta, tc.tb, m, n, k, 1, roundAll(a), roundAll(b), 0, zero),
				gemmRef(tc.ta, tc.tb, m, n, k, 1, a, b, 0, zero),
				gemmRef(tc.ta, tc.tb, m, n, k, 1, abs(a), abs(b), 0, zero), false, isFake(d))
		}
	})
}

// convSums returns the forward, backward-data and backward-filter sums of a convolution of
// shape c (y = x⋆w, dx = ∂<y,dy>/∂x, dw = ∂<y,dy>/∂w) in float64, by visiting every
// (x, w, y) index triple of the definition; with abs, the sums of absolute products.
func convSums(c ConvShape, x, w, dy []float32, abs bool) (y, dx, dw []float64) {
	sh, sw := c.strides()
	p, q := c.Out()
	y, dx, dw = make([]float64, len(dy)), make([]float64, len(x)), make([]float64, len(w))
	f := func(a, b float32) float64 {
		if abs {
			return math.Abs(float64(a) * float64(b))
		}
		return float64(a) * float64(b)
	}
	for n := 0; n < c.N; n++ {
		for k := 0; k < c.K; k++ {
			for i := 0; i < p; i++ {
				for j := 0; j < q; j++ {
					yi := ((n*c.K+k)*p+i)*q + j
					for ch := 0; ch < c.C; ch++ {
						for r := 0; r < c.R; r++ {
							for u := 0; u < c.S; u++ {
								h, ww := i*sh-c.PadH+r, j*sw-c.PadW+u
								if h < 0 || h >= c.H || ww < 0 || ww >= c.W {
									continue
								}
								xi, wi := ((n*c.C+ch)*c.H+h)*c.W+ww, ((k*c.C+ch)*c.R+r)*c.S+u
								y[yi] += f(x[xi], w[wi])
								dx[xi] += f(dy[yi], w[wi])
								dw[wi] += f(x[xi], dy[yi])
							}
						}
					}
				}
			}
		}
	}
	return y, dx, dw
}

func TestBF16Conv(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		s := d.DefaultStream()
		if err := s.SetPrecision(BF16); err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(35, 36))
		for _, c := range []ConvShape{
			{N: 2, C: 5, H: 6, W: 6, K: 4, R: 3, S: 3, PadH: 1, PadW: 1},
			{N: 2, C: 4, H: 7, W: 7, K: 3, R: 3, S: 3, PadH: 1, PadW: 1, StrideH: 2, StrideW: 2},
			{N: 3, C: 4, H: 4, W: 4, K: 2, R: 1, S: 1, StrideH: 2, StrideW: 2},
		} {
			p, q := c.Out()
			x, w, dy := bf16Inputs(r, c.N*c.C*c.H*c.W), bf16Inputs(r, c.K*c.C*c.R*c.S), bf16Inputs(r, c.N*c.K*p*q)
			px, pw, py, pdx, pdw := convAll(t, d, s, c, x, w, dy)
			ey, edx, edw := convSums(c, roundAll(x), roundAll(w), roundAll(dy), false)
			ry, rdx, rdw := convSums(c, x, w, dy, false)
			ay, adx, adw := convSums(c, x, w, dy, true)
			fk := isFake(d)
			checkBF16(t, "y", download[float32](t, d, py, len(dy)), ey, ry, ay, true, fk)
			checkBF16(t, "dx", download[float32](t, d, pdx, len(x)), edx, rdx, adx, true, fk)
			checkBF16(t, "dw", download[float32](t, d, pdw, len(w)), edw, rdw, adw, true, fk)

			// beta 1 adds the widened bfloat16 result to what y held.
			prev := bf16Inputs(r, len(dy))
			if err := CopyToDevice(d, py, prev); err != nil {
				t.Fatal(err)
			}
			if err := s.ConvForward(c, px, pw, 1, py); err != nil {
				t.Fatal(err)
			}
			got := download[float32](t, d, py, len(dy))
			for i := range got {
				want := roundBF16(float32(ey[i])) + prev[i]
				if fk && got[i] != want {
					t.Fatalf("beta 1: y[%d] = %g, want %g", i, got[i], want)
				}
			}
		}
	})
}

// TestBackendPrecision checks that Backend.SetPrecision reaches the Backend's GEMMs and
// convolutions: a Linear layer and a convolution in BF16 equal references computed from
// inputs rounded to bfloat16 by hand, and the Linear layer differs from FP32's.
func TestBackendPrecision(t *testing.T) {
	d := fakeDevice(t)
	b, err := NewBackend(d)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.block = 32 // the fake runs every thread as a POSIX thread
	if b.Precision() != FP32 {
		t.Errorf("new Backend in %v, want fp32", b.Precision())
	}
	if err := b.SetPrecision(Precision(-1)); err == nil {
		t.Error("SetPrecision(-1) accepted")
	}
	r := rand.New(rand.NewPCG(37, 38))
	const n, in, out = 4, 40, 3
	x, w := bf16Inputs(r, n*in), bf16Inputs(r, out*in)
	bx, bw := b.Alloc(n*in), b.Alloc(out*in)
	b.Upload(bx, x)
	b.Upload(bw, w)
	linear := func(p Precision) []float32 {
		if err := b.SetPrecision(p); err != nil {
			t.Fatal(err)
		}
		y := b.Alloc(n * out)
		b.Gemm(false, true, n, out, in, 1, bx, bw, 0, y)
		got := make([]float32, n*out)
		b.Download(got, y)
		return got
	}
	fp32, bf16 := linear(FP32), linear(BF16)
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	exact := gemmRef(false, true, n, out, in, 1, roundAll(x), roundAll(w), 0, make([]float32, n*out))
	for i := range bf16 {
		if bf16[i] != float32(exact[i]) {
			t.Errorf("bf16 Linear y[%d] = %g, want %g (inputs rounded to bf16 by hand)", i, bf16[i], exact[i])
		}
	}
	if equal(fp32, bf16) {
		t.Error("the Backend's Gemm gave the same result in fp32 and bf16")
	}
	if got := fake.get("gemmex.k"); got != in {
		t.Errorf("cublasGemmEx k = %d, want %d", got, in)
	}

	// A convolution through graph's shape: bfloat16 inputs and output, widened.
	gs := graph.ConvShape{N: 2, C: 3, H: 5, W: 5, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	cs := convShape(gs)
	cx, cw := bf16Inputs(r, 2*3*5*5), bf16Inputs(r, 4*3*3*3)
	px, pw, py := b.Alloc(len(cx)), b.Alloc(len(cw)), b.Alloc(2*4*5*5)
	b.Upload(px, cx)
	b.Upload(pw, cw)
	b.Conv2dForward(gs, px, pw, py, b.Alloc(1))
	got := make([]float32, 2*4*5*5)
	b.Download(got, py)
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	want, _, _ := convSums(cs, roundAll(cx), roundAll(cw), make([]float32, len(got)), false)
	for i := range got {
		if w := roundBF16(float32(want[i])); got[i] != w {
			t.Fatalf("bf16 Conv2dForward y[%d] = %g, want %g (inputs and output rounded to bf16 by hand)", i, got[i], w)
		}
	}
	if fake.get("dnn.dtype") != cudnnDataBFloat16 {
		t.Errorf("cuDNN ran with data type %d, want CUDNN_DATA_BFLOAT16", fake.get("dnn.dtype"))
	}
}

func TestPrecisionTol(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Precision
		tol  float64
		ok   bool
	}{
		{"sgemm_tafalse_tbtrue", FP32, 1e-4, false},
		{"sgemm_tafalse_tbtrue", TF32, 8 * 0x1p-11, true},
		{"conv_3x3_s1_fwd", BF16, 8 * 0x1p-8, true},
		{"sam_step/m-SAM_m2/weights", BF16, 1e-4, false},
		{"vectors/norm", BF16, 1e-4, false},
		{"backend/Conv2d_0_3x3_stride1/dw", TF32, 8 * 0x1p-11, true},
		{"backend/Gemm_transA/C", BF16, 8 * 0x1p-8, true},
		{"backend/resnet18_w4_n8/loss", BF16, 8 * 0x1p-8, true},
		{"backend/resnet18_w4_n8/grad_all_l2", TF32, 0.5, true},
		{"backend/resnet18_w4_n8/grad_worst(layer1.0.bn1.bias)", BF16, 2, true},
		{"backend/ReLU/y", BF16, 1e-4, false},
		{"relu_fwd", TF32, 1e-4, false},
	} {
		tol, ok := PrecisionTol(tc.name, tc.p)
		if tol != tc.tol || ok != tc.ok {
			t.Errorf("PrecisionTol(%q, %v) = %g, %v; want %g, %v", tc.name, tc.p, tol, ok, tc.tol, tc.ok)
		}
	}
}

// TestSelfTestPrecision runs the self-test (small sizes) in TF32 and BF16 on the fake, which
// emulates both roundings: every check passes its tolerance, and the checks that the
// precision governs show errors above float32's (the precision reached the library calls).
func TestSelfTestPrecision(t *testing.T) {
	d := fakeDevice(t)
	for _, p := range []Precision{TF32, BF16} {
		checks, err := selfTestRun(d, 1, 8, p)
		if err != nil {
			t.Fatal(err)
		}
		checks = precisionChecks(d, 1, checks, p)
		governed, above, all, cast := 0, 0, 0, 0
		for _, c := range checks {
			if !c.Pass {
				t.Errorf("%v %s: relative error %g (tolerance %g) %s", p, c.Name, c.RelErr, c.Tol, c.Err)
			}
			if tol, ok := PrecisionTol(c.Name, p); ok {
				governed++
				if c.Tol != tol {
					t.Errorf("%v %s: tolerance %g, want %g", p, c.Name, c.Tol, tol)
				}
				if c.RelErr > 1e-4 {
					above++
				}
			} else if c.Tol != selfTestTol && c.Name != "bf16_cast" {
				t.Errorf("%v %s: tolerance %g, want %g", p, c.Name, c.Tol, selfTestTol)
			}
			if strings.HasSuffix(c.Name, "/grad_all_l2") {
				all++
			}
			if c.Name == "bf16_cast" {
				cast++
			}
			t.Logf("%v %-60s %.2e (tol %.1e)", p, c.Name, c.RelErr, c.Tol)
		}
		// 3 GEMMs and 9 convolution outputs of the binding, 2+9 Backend GEMM and convolution
		// outputs, the ResNet's loss, worst gradient, whole gradient and statistics (the SAM
		// steps run in fp32 only).
		if governed != 27 || all != 1 {
			t.Errorf("%v: %d checks governed by the precision (%d grad_all_l2), want 27 (1)", p, governed, all)
		}
		if above < governed/2 {
			t.Errorf("%v: only %d of %d governed checks differ from float32 by more than 1e-4", p, above, governed)
		}
		if want := map[Precision]int{TF32: 0, BF16: 1}[p]; cast != want {
			t.Errorf("%v: %d bf16_cast checks, want %d", p, cast, want)
		}
	}
}

func TestBF16NeedsAmpere(t *testing.T) {
	dir := fakeDir(t)
	fake.rst()
	fake.set("cc.major", 7)
	d, err := Open(Config{Dirs: []string{dir}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := d.DefaultStream()
	if err := s.SetPrecision(BF16); err == nil || !strings.Contains(err.Error(), "sm_70") {
		t.Errorf("SetPrecision(BF16) on sm_70: %v, want an error naming sm_70", err)
	}
	if err := s.SetPrecision(TF32); err != nil || s.Precision() != TF32 {
		t.Errorf("SetPrecision(TF32) on sm_70: %v, precision %v", err, s.Precision())
	}
}
