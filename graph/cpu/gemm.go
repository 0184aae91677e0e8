package cpu

import (
	"fmt"
	"unsafe"
)

// Float is the element type of the kernels.
type Float interface{ ~float32 | ~float64 }

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, op(X) = X or Xᵀ,
// using up to par goroutines. op(A) is m×k, op(B) is k×n, C is m×n. A is stored m×k with
// row stride lda (k×m when transA), B is stored k×n with row stride ldb (n×k when transB)
// and C has row stride ldc. As in BLAS, C is not read when beta is 0, so it may hold NaNs.
//
// Gemm panics if a size is negative, a stride is too small or a slice too short.
func Gemm[T Float](par int, transA, transB bool, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int) {
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemm(par, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// checkGemm panics unless the arguments describe matrices that fit their slices.
func checkGemm(transA, transB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("cpu: gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("a", ar, ac, lenA, lda)
	checkMatrix("b", br, bc, lenB, ldb)
	checkMatrix("c", m, n, lenC, ldc)
}

// checkMatrix panics unless a rows×cols matrix with row stride ld fits in length elements.
func checkMatrix(name string, rows, cols, length, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("cpu: gemm: ld%s=%d < max(1, %d)", name, ld, cols))
	}
	if rows > 0 && cols > 0 && length < (rows-1)*ld+cols {
		panic(fmt.Sprintf("cpu: gemm: len(%s)=%d < %d for a %d×%d matrix with stride %d",
			name, length, (rows-1)*ld+cols, rows, cols, ld))
	}
}

// gemm is Gemm without argument checks. pack is scratch of at least par*packLen(m, n, k)
// elements, or nil to allocate it.
func gemm[T Float](par int, transA, transB bool, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int, pack []T) {
	if unsafe.Sizeof(alpha) == 4 {
		gemmWith(float32Kernel, par, transA, m, n, k, float32(alpha), asF32(a), lda, nil,
			matrixB(transB, asF32(b), ldb), float32(beta), asF32(c), ldc, asF32(pack))
		return
	}
	gemmWith(float64Kernel, par, transA, m, n, k, float64(alpha), asF64(a), lda, nil,
		matrixB(transB, asF64(b), ldb), float64(beta), asF64(c), ldc, asF64(pack))
}

// kernelMR is the mr of the micro-kernel gemm uses for T.
func kernelMR[T Float]() int {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return float32Kernel.mr
	}
	return float64Kernel.mr
}

// prepack packs the k-blocks [b0, b1) of alpha*op(A) (m×k) into dst (prepackLen(m, k)
// elements) for gemmPacked; see prepackWith.
func prepack[T Float](transA bool, m, k int, alpha T, a []T, lda int, dst []T, b0, b1 int) {
	if unsafe.Sizeof(alpha) == 4 {
		prepackWith(float32Kernel, transA, m, k, float32(alpha), asF32(a), lda, asF32(dst), b0, b1)
		return
	}
	prepackWith(float64Kernel, transA, m, k, float64(alpha), asF64(a), lda, asF64(dst), b0, b1)
}

// gemmPacked is gemm with B given by a packer and, if apre is not nil, A prepacked by
// prepack (then a, lda and alpha are not used).
func gemmPacked[T Float](par int, transA bool, m, n, k int, alpha T, a []T, lda int, apre []T,
	pb func(p0, j0, kc, nc, nr int, bp, line []T), beta T, c []T, ldc int, pack []T) {
	if unsafe.Sizeof(alpha) == 4 {
		var ap32 []float32
		if apre != nil {
			ap32 = asF32(apre)
		}
		pb32 := func(p0, j0, kc, nc, nr int, bp, line []float32) {
			pb(p0, j0, kc, nc, nr, fromF32[T](bp), fromF32[T](line))
		}
		gemmWith(float32Kernel, par, transA, m, n, k, float32(alpha), asF32(a), lda, ap32,
			pb32, float32(beta), asF32(c), ldc, asF32(pack))
		return
	}
	var ap64 []float64
	if apre != nil {
		ap64 = asF64(apre)
	}
	pb64 := func(p0, j0, kc, nc, nr int, bp, line []float64) {
		pb(p0, j0, kc, nc, nr, fromF64[T](bp), fromF64[T](line))
	}
	gemmWith(float64Kernel, par, transA, m, n, k, float64(alpha), asF64(a), lda, ap64,
		pb64, float64(beta), asF64(c), ldc, asF64(pack))
}

// asF32 views a slice of a ~float32 type as []float32.
func asF32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// asF64 views a slice of a ~float64 type as []float64.
func asF64[T Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// fromF32 views a []float32 as a slice of a ~float32 type T.
func fromF32[T Float](s []float32) []T {
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// fromF64 views a []float64 as a slice of a ~float64 type T.
func fromF64[T Float](s []float64) []T {
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
