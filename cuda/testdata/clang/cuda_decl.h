// Declarations that NVRTC provides as built-ins, for checking the kernels with clang's CUDA
// front end (clang_test.go): clang -x cuda -nocudainc finds none of CUDA's headers, only its
// own definitions of threadIdx, blockIdx, blockDim and gridDim. Add a declaration here when
// a kernel starts to use another built-in.
#include <__clang_cuda_builtin_vars.h>
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
__device__ float __fmul_rn(float, float);
__device__ float __fadd_rn(float, float);
__device__ float __fsub_rn(float, float);
__device__ float rsqrtf(float);
__device__ float sqrtf(float);
__device__ float expf(float);
__device__ float logf(float);
__device__ float fmaxf(float, float);
__device__ float fabsf(float);
__device__ float nanf(const char*);
__device__ void __syncthreads();
