package cuda

import (
	"fmt"
	"strings"
)

// Precision says how the library calls queued on a Stream (cuBLAS GEMMs and cuDNN
// convolutions) compute on float32 data. The project's own kernels (ReLU, BatchNorm, the
// loss, the optimizer) always compute in float32, and every buffer the caller sees (weights,
// activations, gradients, optimizer state) stays float32 in all three.
//
// The zero value is FP32.
type Precision int

const (
	// FP32 is plain float32 arithmetic, with TF32 explicitly off: cuBLAS in
	// CUBLAS_DEFAULT_MATH (which never uses TF32 for SGEMM) and cuDNN convolutions in
	// CUDNN_FMA_MATH (CUDNN_DEFAULT_MATH would let cuDNN use TF32 on Ampere and later).
	FP32 Precision = iota
	// TF32 lets the GEMMs and convolutions round their float32 inputs to TF32 (10 explicit
	// mantissa bits, unit roundoff 2⁻¹¹ ≈ 4.9e-4) and multiply them on tensor cores, with
	// float32 accumulation: cuBLAS in CUBLAS_TF32_TENSOR_OP_MATH and cuDNN convolutions in
	// CUDNN_DEFAULT_MATH. This is PyTorch's torch.backends.cuda.matmul.allow_tf32 and
	// torch.backends.cudnn.allow_tf32.
	TF32
	// BF16 is mixed precision with the semantics of torch.autocast(dtype=torch.bfloat16):
	// before each convolution and GEMM its two inputs are rounded to bfloat16 (8
	// significant bits, round to nearest even, unit roundoff 2⁻⁸ ≈ 3.9e-3) by the project's
	// cast kernels (kernels/cast.cu); the library multiplies them on tensor cores with
	// float32 accumulation. GEMMs (cublasGemmEx, CUDA_R_16BF inputs, CUBLAS_COMPUTE_32F)
	// write a float32 result. cuDNN's legacy API runs bfloat16 convolutions only in its
	// PSEUDO_BFLOAT16_CONFIG (input, filter and output tensors all CUDNN_DATA_BFLOAT16,
	// compute type CUDNN_DATA_FLOAT), so a convolution's result (y, dx or dw) is rounded to
	// bfloat16 once more and then widened to float32, as torch.autocast's bfloat16 conv2d
	// output is. Weights, gradients, optimizer state, BatchNorm, ReLU and the loss stay
	// float32.
	BF16
)

// Precisions lists the names ParsePrecision accepts, in order.
var Precisions = []string{"fp32", "tf32", "bf16"}

// String returns the name of p as ParsePrecision reads it.
func (p Precision) String() string {
	if p >= 0 && int(p) < len(Precisions) {
		return Precisions[p]
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// ParsePrecision reads fp32, tf32 or bf16 (case-insensitive).
func ParsePrecision(s string) (Precision, error) {
	for i, name := range Precisions {
		if strings.EqualFold(s, name) {
			return Precision(i), nil
		}
	}
	return FP32, fmt.Errorf("cuda: unknown precision %q: want one of %s", s, strings.Join(Precisions, ", "))
}

func (p Precision) valid() error {
	if p < FP32 || p > BF16 {
		return fmt.Errorf("cuda: unknown precision %d: want FP32, TF32 or BF16", int(p))
	}
	return nil
}

// SetPrecision sets the precision of the GEMMs (Sgemm) and convolutions (ConvForward,
// ConvBackwardData, ConvBackwardFilter) queued on s from now on. A new Stream, and
// DefaultStream, start at FP32. BF16 needs compute capability 8.0 (Ampere) or later, where
// cuDNN has bfloat16 convolutions; TF32 on an older device computes in float32 (the
// libraries ignore the mode there). Like the rest of a Stream's methods that queue work, it
// must not run concurrently with them.
func (s *Stream) SetPrecision(p Precision) error {
	if err := p.valid(); err != nil {
		return err
	}
	if p == BF16 && s.d != nil && s.d.major < 8 {
		return fmt.Errorf("cuda: precision bf16 needs compute capability 8.0 or later; %s is sm_%d%d", s.d.name, s.d.major, s.d.minor)
	}
	s.prec = p
	return nil
}

// Precision returns the precision of the GEMMs and convolutions queued on s.
func (s *Stream) Precision() Precision { return s.prec }

// SetPrecision sets the precision of the Backend's GEMMs (Gemm) and convolutions (Conv2d*);
// see Precision. A new Backend computes in FP32. Call it before building a model: the
// choice applies to the calls queued afterwards.
func (b *Backend) SetPrecision(p Precision) error { return b.s.SetPrecision(p) }

// Precision returns the precision of the Backend's GEMMs and convolutions.
func (b *Backend) Precision() Precision { return b.s.prec }
