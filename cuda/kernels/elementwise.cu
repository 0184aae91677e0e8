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

// axpy: y[i] += a*x[i]. Gradient accumulation (m-SAM averages micro-batch gradients with
// a = 1/M) and SAM's ascent step with a host-known scale.
extern "C" __global__ void axpy(float* y, const float* x, float a, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		y[i] += a * x[i];
}

// scale: x[i] *= a.
extern "C" __global__ void scale(float* x, float a, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		x[i] *= a;
}

// sam_perturb: w[i] += rho / (sqrt(sumsq[0]) + eps) * g[i], SAM's ascent step
// w + rho*g/||g|| with the squared norm read from device memory (from sumsq_partial and
// sum_partial), so the host need not wait for it.
extern "C" __global__ void sam_perturb(float* w, const float* g, const float* sumsq, float rho, float eps, int n) {
	float a = rho / (sqrtf(sumsq[0]) + eps);
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		w[i] += a * g[i];
}

// sgd_update is torch.optim.SGD's step for one tensor:
//   d = g + wd*w
//   if momentum != 0: buf = first ? d : momentum*buf + (1-dampening)*d
//                     d = nesterov ? d + momentum*buf : buf
//   w -= lr*d
extern "C" __global__ void sgd_update(float* w, const float* g, float* buf, float lr, float momentum,
                                      float dampening, float wd, int nesterov, int first, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
		float d = g[i] + wd * w[i];
		if (momentum != 0.0f) {
			float b = first ? d : momentum * buf[i] + (1.0f - dampening) * d;
			buf[i] = b;
			d = nesterov ? d + momentum * b : b;
		}
		w[i] -= lr * d;
	}
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
