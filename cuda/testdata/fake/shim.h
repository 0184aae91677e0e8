// shim.h lets the project's CUDA C kernels compile as C++ and run on the CPU: a launch runs
// the blocks one after another and the threads of a block as POSIX threads, so __syncthreads
// is a barrier and __shared__ (a function-static) is shared by the block's threads.
// Used only by the tests (fake.cpp).
#pragma once
#include <cmath>
#include <math.h>
#include <pthread.h>

struct dim3 {
	unsigned x, y, z;
};
typedef dim3 uint3;

extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;

#define __global__
#define __device__ static
#define __forceinline__
#define __shared__ static
#define __restrict__ __restrict

void __syncthreads();

static inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }

// The round-to-nearest intrinsics: plain operations here (x86-64 without -mfma never
// contracts a product and a sum into an FMA).
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }

// atomicAdd as CUDA defines it (returns the old value); a lock makes it atomic across the
// block's threads.
extern pthread_mutex_t shim_atomic_mu;
static inline float atomicAdd(float* p, float v) {
	pthread_mutex_lock(&shim_atomic_mu);
	float old = *p;
	*p = old + v;
	pthread_mutex_unlock(&shim_atomic_mu);
	return old;
}
