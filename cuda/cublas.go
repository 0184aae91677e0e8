package cuda

import "fmt"

// cublas holds the cuBLAS entry points (cublas_api.h; the _v2 names are what cublas_v2.h maps
// the plain names to).
type cublas struct {
	h                 uintptr
	cublasCreate      func(h *uintptr) int32
	cublasDestroy     func(h uintptr) int32
	cublasSetStream   func(h, s uintptr) int32
	cublasSetMathMode func(h uintptr, mode int32) int32
	cublasSgemm       func(h uintptr, ta, tb int32, m, n, k int32, alpha *float32, a DevicePtr, lda int32, b DevicePtr, ldb int32, beta *float32, c DevicePtr, ldc int32) int32
	cublasGemmEx      func(h uintptr, ta, tb int32, m, n, k int32, alpha *float32, a DevicePtr, atype, lda int32, b DevicePtr, btype, ldb int32, beta *float32, c DevicePtr, ctype, ldc, compute, algo int32) int32
	cublasGetVersion  func(h uintptr, v *int32) int32
}

func loadCUBLAS(lib *library) (*cublas, error) {
	c := new(cublas)
	b := &binder{lib: lib}
	b.bind(&c.cublasCreate, "cublasCreate_v2")
	b.bind(&c.cublasDestroy, "cublasDestroy_v2")
	b.bind(&c.cublasSetStream, "cublasSetStream_v2")
	b.bind(&c.cublasSetMathMode, "cublasSetMathMode")
	b.bind(&c.cublasSgemm, "cublasSgemm_v2")
	b.bind(&c.cublasGemmEx, "cublasGemmEx")
	b.bind(&c.cublasGetVersion, "cublasGetVersion_v2")
	return c, b.err()
}

// Math modes (cublasMath_t), data types (cudaDataType_t), compute types
// (cublasComputeType_t) and algorithms (cublasGemmAlgo_t) used here.
const (
	cublasDefaultMath = 0 // no TF32 for SGEMM
	cublasTF32Math    = 3 // CUBLAS_TF32_TENSOR_OP_MATH
	cudaR32F          = 0
	cudaR16BF         = 14
	cublasCompute32F  = 68
	cublasGemmDefault = -1
)

func (c *cublas) create() (uintptr, error) {
	var h uintptr
	if err := check(CUBLAS, "cublasCreate_v2", c.cublasCreate(&h)); err != nil {
		return 0, err
	}
	// Plain float32 arithmetic; Sgemm sets the mode of its stream's Precision on every call.
	if err := check(CUBLAS, "cublasSetMathMode", c.cublasSetMathMode(h, cublasDefaultMath)); err != nil {
		return 0, err
	}
	return h, nil
}

func (c *cublas) destroy() error {
	if c.h == 0 {
		return nil
	}
	err := check(CUBLAS, "cublasDestroy_v2", c.cublasDestroy(c.h))
	c.h = 0
	return err
}

// Sgemm queues C = alpha*op(A)*op(B) + beta*C on s for row-major matrices: op(A) is m×k,
// op(B) is k×n, C is m×n; transA says A is stored k×m (transposed), transB that B is stored
// n×k. cuBLAS is column-major, and a row-major matrix read column-major is its transpose, so
// this computes Cᵀ = op(B)ᵀ op(A)ᵀ: cublasSgemm(transB, transA, n, m, k, B, A).
//
// A, B and C are float32 in every Precision of s: FP32 and TF32 call cublasSgemm in
// CUBLAS_DEFAULT_MATH or CUBLAS_TF32_TENSOR_OP_MATH (the handle's mode is set on every call);
// BF16 rounds A and B to bfloat16 copies (Kernels.ToBF16) and calls cublasGemmEx on them
// with float32 accumulation and a float32 C.
func (s *Stream) Sgemm(transA, transB bool, m, n, k int, alpha float32, a, b DevicePtr, beta float32, c DevicePtr) error {
	if m <= 0 || n <= 0 || k <= 0 || m > 1<<31-1 || n > 1<<31-1 || k > 1<<31-1 {
		return fmt.Errorf("cuda: sgemm: bad sizes m=%d n=%d k=%d", m, n, k)
	}
	op := func(t bool) int32 {
		if t {
			return 1 // CUBLAS_OP_T
		}
		return 0 // CUBLAS_OP_N
	}
	lda, ldb := k, n // row-major leading dimensions as stored
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	d := s.d
	if s.prec == BF16 {
		a16, b16, release, err := s.bf16Pair(a, m*k, b, k*n)
		if err != nil {
			return fmt.Errorf("cuda: bf16 gemm: %w", err)
		}
		defer release()
		return d.do(func() error {
			if err := s.blasStream(cublasDefaultMath); err != nil {
				return err
			}
			r := d.blas.cublasGemmEx(d.blas.h, op(transB), op(transA), int32(n), int32(m), int32(k),
				&alpha, b16, cudaR16BF, int32(ldb), a16, cudaR16BF, int32(lda), &beta, c, cudaR32F, int32(n),
				cublasCompute32F, cublasGemmDefault)
			return check(CUBLAS, "cublasGemmEx", r)
		})
	}
	mode := int32(cublasDefaultMath)
	if s.prec == TF32 {
		mode = cublasTF32Math
	}
	return d.do(func() error {
		if err := s.blasStream(mode); err != nil {
			return err
		}
		r := d.blas.cublasSgemm(d.blas.h, op(transB), op(transA), int32(n), int32(m), int32(k),
			&alpha, b, int32(ldb), a, int32(lda), &beta, c, int32(n))
		return check(CUBLAS, "cublasSgemm_v2", r)
	})
}

// blasStream points the device's cuBLAS handle at s with math mode mode. Must run inside
// d.do.
func (s *Stream) blasStream(mode int32) error {
	d := s.d
	if err := check(CUBLAS, "cublasSetStream_v2", d.blas.cublasSetStream(d.blas.h, s.h)); err != nil {
		return err
	}
	return check(CUBLAS, "cublasSetMathMode", d.blas.cublasSetMathMode(d.blas.h, mode))
}
