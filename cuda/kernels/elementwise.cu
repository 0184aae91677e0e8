// Element-wise kernels; grid-stride loops, any grid and block size.

// relu_fwd: y[i] = max(x[i], 0). y may be x.
extern "C" __global__ void relu_fwd(const float* x, float* y, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

// relu_bwd: dx[i] = dy[i] if y[i] > 0 else 0, with y the forward output. dx may be dy.
extern "C" __global__ void relu_bwd(const float* y, const float* dy, float* dx, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

// add_fwd: y[i] = a[i] + b[i] (the residual connection; its gradient is dy for both inputs).
extern "C" __global__ void add_fwd(const float* a, const float* b, float* y, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		y[i] = a[i] + b[i];
}

// scale: x[i] *= a.
extern "C" __global__ void scale(float* x, float a, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		x[i] *= a;
}

// axpby: y[i] = a*x[i] + b*y[i].
extern "C" __global__ void axpby(float* y, const float* x, float a, float b, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		y[i] = a * x[i] + b * y[i];
}

// add_row_vector: y[r*cols + j] += v[j] for a rows x cols matrix (a Linear layer's bias).
extern "C" __global__ void add_row_vector(float* y, const float* v, int rows, int cols) {
	int n = rows * cols;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		y[i] += v[i % cols];
}
