// Shared device helpers, first in the compiled program. NVRTC includes no headers here: the
// math functions (expf, logf, sqrtf, rsqrtf, fmaxf) are CUDA built-ins.

// block_sum returns the sum of v over the block to every thread, in T (float, or double for
// the optimizers' norms). blockDim.x must be a power of two no larger than 1024; sh is the
// caller's shared buffer of blockDim.x values of T. A tree of pairwise sums (not atomics)
// keeps the result deterministic.
template <typename T>
__device__ T block_sum(T v, T* sh) {
	int t = threadIdx.x;
	sh[t] = v;
	__syncthreads();
	for (int s = blockDim.x / 2; s > 0; s >>= 1) {
		if (t < s) sh[t] += sh[t + s];
		__syncthreads();
	}
	T r = sh[0];
	__syncthreads(); // sh may be reused by the caller's next call
	return r;
}
