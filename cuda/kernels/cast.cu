// Conversions between float32 and bfloat16 for the bf16 mixed-precision convolutions and
// GEMMs (cuda.BF16). A bfloat16 is the upper half of a float32 (sign, 8 exponent bits, 7
// mantissa bits), stored here as an unsigned short so that no cuda_bf16.h is needed.

// bf16_bits returns the bits of v rounded to the nearest bfloat16, ties to even:
//   NaN       -> the same sign and upper mantissa bits with the quiet bit set (stays NaN)
//   otherwise -> (u + 0x7fff + bit 16 of u) >> 16, with u the bits of v; the carry out of
//                the mantissa moves to the exponent, so values from halfway between the
//                largest finite bfloat16 and 2^128 upwards become infinity, as IEEE
//                rounding to nearest says, and subnormals round like normal numbers.
__device__ unsigned short bf16_bits(float v) {
	union {
		float f;
		unsigned u;
	} b;
	b.f = v;
	if ((b.u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((b.u >> 16) | 0x0040u);
	return (unsigned short)((b.u + 0x7fffu + ((b.u >> 16) & 1u)) >> 16);
}

// bf16_value returns the float32 that bfloat16 bits h stand for (exact).
__device__ float bf16_value(unsigned short h) {
	union {
		float f;
		unsigned u;
	} b;
	b.u = (unsigned)h << 16;
	return b.f;
}

// f32_to_bf16: y[i] = bf16(x[i]), rounded to nearest even.
extern "C" __global__ void f32_to_bf16(const float* x, unsigned short* y, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		y[i] = bf16_bits(x[i]);
}

// bf16_to_f32: y[i] = float(x[i]) + beta*y[i]; beta 0 overwrites y (whatever y held, NaN
// too, does not leak into the result), as cuDNN's and cuBLAS's beta does.
extern "C" __global__ void bf16_to_f32(const unsigned short* x, float* y, float beta, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		y[i] = beta == 0.0f ? bf16_value(x[i]) : bf16_value(x[i]) + beta * y[i];
}
