package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// refGemm is the plain-loop reference: it returns alpha*op(A)*op(B) + beta*C computed in
// float64, and the bound Σ|alpha*a*b| + |beta*c| per element for the error tolerance.
func refGemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int,
	beta T, c []T, ldc int) (want, bound []float64) {
	want = make([]float64, m*n)
	bound = make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, abs float64
			for p := range k {
				var av, bv T
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				t := float64(alpha) * float64(av) * float64(bv)
				s += t
				abs += math.Abs(t)
			}
			if beta != 0 {
				t := float64(beta) * float64(c[i*ldc+j])
				s += t
				abs += math.Abs(t)
			}
			want[i*n+j] = s
			bound[i*n+j] = abs
		}
	}
	return want, bound
}

// tolerance is the relative error allowed for T, as a multiple of the bound from refGemm:
// a few units of rounding per accumulated term would be far smaller than any indexing bug.
func tolerance[T Float]() float64 {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return 1e-5
	}
	return 1e-13
}

func randSlice[T Float](rng *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(rng.Float64()*2 - 1)
	}
	return s
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float64
	padA, padB     int // extra row stride beyond the minimum
	padC           int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d/%d/%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

// gemmCases returns fixed edge cases and random shapes that cross the block sizes.
func gemmCases(rng *rand.Rand) []gemmCase {
	cases := []gemmCase{
		{m: 1, n: 1, k: 1, alpha: 1},
		{m: 0, n: 5, k: 3, alpha: 1},
		{m: 3, n: 4, k: 0, alpha: 1, beta: 0.5},
		{m: 5, n: 7, k: 3, alpha: 0, beta: 2},
		{m: 8, n: 32, k: 17, alpha: 1, beta: 1},
		{m: 16, n: 64, k: 300, alpha: 1, beta: 0},
		{transA: true, transB: true, m: 33, n: 65, k: 257, alpha: -1.5, beta: 0.25, padA: 3, padB: 1, padC: 5},
		{m: 970, n: 3, k: 5, alpha: 1, beta: 0},
		{m: 3, n: 1030, k: 5, alpha: 1, beta: 1},
		{transB: true, m: 64, n: 576, k: 64, alpha: 1, beta: 1},
	}
	for range 30 {
		cases = append(cases, gemmCase{
			transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
			m: 1 + rng.IntN(70), n: 1 + rng.IntN(90), k: 1 + rng.IntN(300),
			alpha: []float64{1, -0.5, 2}[rng.IntN(3)], beta: []float64{0, 1, 0.5}[rng.IntN(3)],
			padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3),
		})
	}
	return cases
}

// runGemmCase checks gemmFn on tc against refGemm.
func runGemmCase[T Float](t *testing.T, rng *rand.Rand, tc gemmCase,
	gemmFn func(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc := max(1, ac)+tc.padA, max(1, bc)+tc.padB, max(1, tc.n)+tc.padC
	a := randSlice[T](rng, ar*lda)
	b := randSlice[T](rng, br*ldb)
	c := randSlice[T](rng, tc.m*ldc)
	if tc.beta == 0 {
		// beta = 0 must not read C.
		for i := range c {
			c[i] = T(math.NaN())
		}
	}
	want, bound := refGemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, T(tc.alpha), a, lda, b, ldb, T(tc.beta), c, ldc)
	orig := append([]T(nil), c...)
	gemmFn(tc.transA, tc.transB, tc.m, tc.n, tc.k, T(tc.alpha), a, lda, b, ldb, T(tc.beta), c, ldc)
	tol := tolerance[T]()
	for i := range tc.m {
		for j := range ldc {
			got := float64(c[i*ldc+j])
			if j >= tc.n {
				if o := float64(orig[i*ldc+j]); got != o && !(math.IsNaN(got) && math.IsNaN(o)) {
					t.Fatalf("%v: c[%d,%d] outside the matrix changed from %v to %v", tc, i, j, o, got)
				}
				continue
			}
			if w := want[i*tc.n+j]; !(math.Abs(got-w) <= tol*(bound[i*tc.n+j]+1e-30)) {
				t.Fatalf("%v: c[%d,%d] = %v, want %v", tc, i, j, got, w)
			}
		}
	}
}

func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range gemmCases(rng) {
		for _, par := range []int{1, 2, 3} {
			runGemmCase(t, rng, tc, func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				Gemm(par, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			})
			runGemmCase(t, rng, tc, func(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
				Gemm(par, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			})
		}
	}
}

// TestGemmKernels runs every float32 micro-kernel this machine supports, not only the one
// Gemm picks, through the blocked driver.
func TestGemmKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kn := range float32Kernels() {
		t.Run(kn.name, func(t *testing.T) {
			for _, tc := range gemmCases(rng) {
				runGemmCase(t, rng, tc, func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
					gemmWith(kn, 2, tA, m, n, k, alpha, a, lda, nil, matrixB(tB, b, ldb), beta, c, ldc, nil)
				})
				// The same with A prepacked whole.
				runGemmCase(t, rng, tc, func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
					apre := make([]float32, prepackLen(m, k))
					prepackWith(kn, tA, m, k, alpha, a, lda, apre, 0, 1)
					prepackWith(kn, tA, m, k, alpha, a, lda, apre, 1, (k+gemmKC-1)/gemmKC)
					gemmWith(kn, 2, false, m, n, k, 0, nil, 0, apre, matrixB(tB, b, ldb), beta, c, ldc, nil)
				})
			}
		})
	}
}

// myFloat checks that Gemm accepts types whose underlying type is float32.
type myFloat float32

func TestGemmNamedType(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	runGemmCase(t, rng, gemmCase{m: 9, n: 40, k: 11, alpha: 1, beta: 1, padA: 1},
		func(tA, tB bool, m, n, k int, alpha myFloat, a []myFloat, lda int, b []myFloat, ldb int, beta myFloat, c []myFloat, ldc int) {
			Gemm(2, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		})
}

func TestGemmPanics(t *testing.T) {
	a := make([]float64, 6)
	tests := []struct {
		name string
		f    func()
	}{
		{"negative m", func() { Gemm(1, false, false, -1, 2, 3, 1, a, 3, a, 2, 0, a, 2) }},
		{"short lda", func() { Gemm(1, false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) }},
		{"short a", func() { Gemm(1, false, false, 3, 2, 3, 1, a, 3, a, 2, 0, a, 2) }},
		{"short c", func() { Gemm(1, true, false, 2, 4, 3, 1, a, 2, make([]float64, 12), 4, 0, a, 4) }},
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
