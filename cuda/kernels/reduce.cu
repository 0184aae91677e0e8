// Two-stage reductions: launch with G blocks writing G partial sums, then with one block over
// the partials. blockDim.x must be a power of two <= 1024.

// sum_partial: out[blockIdx.x] = scale * (sum of x[i] over this block's grid-stride share).
extern "C" __global__ void sum_partial(const float* x, float* out, float scale, int n) {
	__shared__ float sh[1024];
	float s = 0.0f;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		s += x[i];
	s = block_sum(s, sh);
	if (threadIdx.x == 0) out[blockIdx.x] = scale * s;
}

// sum_rows: s[j] = sum over r of y[r*cols + j] (a bias gradient), one thread per column.
extern "C" __global__ void sum_rows(const float* y, float* s, int rows, int cols) {
	for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < cols; j += blockDim.x * gridDim.x) {
		float acc = 0.0f;
		for (int r = 0; r < rows; r++) acc += y[(long long)r * cols + j];
		s[j] = acc;
	}
}
