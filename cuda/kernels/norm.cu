// Normalisation split into the steps of graph.Backend (the training backend, backend.go):
// statistics, normalisation with given statistics, and the gradients. A tensor x viewed as
// N x C x HW has element (n, c, j) at (n*C + c)*HW + j. Statistics are indexed by
// stat(n, c) = c when G == 0 (BatchNorm: per channel over the batch) and n*G + c/(C/G)
// otherwise (GroupNorm: per sample and group). Kernels with one block per row or channel need
// blockDim.x a power of two <= 1024.

__device__ int norm_stat(int n, int c, int C, int G) { return G == 0 ? c : n * G + c / (C / G); }

// moments: for x viewed as outer x rows x inner, mean[r], the biased variance var[r] and
// invstd[r] = 1/sqrt(var[r] + eps) over the outer*inner values of row r (two passes); one block
// per row (gridDim.x == rows).
extern "C" __global__ void moments(const float* x, float* mean, float* var, float* invstd,
                                   int outer, int rows, int inner, float eps) {
	__shared__ float sh[1024];
	int r = blockIdx.x;
	if (r >= rows) return; // whole block: no thread waits at a barrier
	int cnt = outer * inner;
	float s = 0.0f;
	for (int k = threadIdx.x; k < cnt; k += blockDim.x) {
		int o = k / inner, j = k - o * inner;
		s += x[((long long)o * rows + r) * inner + j];
	}
	float m = block_sum(s, sh) / (float)cnt;
	float q = 0.0f;
	for (int k = threadIdx.x; k < cnt; k += blockDim.x) {
		int o = k / inner, j = k - o * inner;
		float d = x[((long long)o * rows + r) * inner + j] - m;
		q += d * d;
	}
	float v = block_sum(q, sh) / (float)cnt;
	if (threadIdx.x == 0) {
		mean[r] = m;
		var[r] = v;
		invstd[r] = rsqrtf(v + eps);
	}
}

// inv_std: invstd[i] = 1/sqrt(var[i] + eps); element-wise.
extern "C" __global__ void inv_std(const float* var, float* invstd, float eps, int n) {
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		invstd[i] = rsqrtf(var[i] + eps);
}

// norm_apply: y = (x - mean[s]) * invstd[s] * scale[c] + bias[c] with s = stat(n, c);
// element-wise.
extern "C" __global__ void norm_apply(const float* x, const float* mean, const float* invstd,
                                      const float* scale, const float* bias, float* y,
                                      int N, int C, int HW, int G) {
	int total = N * C * HW;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += blockDim.x * gridDim.x) {
		int nc = i / HW, c = nc % C, s = norm_stat(nc / C, c, C, G);
		y[i] = (x[i] - mean[s]) * invstd[s] * scale[c] + bias[c];
	}
}

// norm_scale_grad: dscale[c] = sum over n, j of dy * (x - mean[s]) * invstd[s]; one block per
// channel (gridDim.x == C).
extern "C" __global__ void norm_scale_grad(const float* x, const float* mean, const float* invstd,
                                           const float* dy, float* dscale, int N, int C, int HW, int G) {
	__shared__ float sh[1024];
	int c = blockIdx.x;
	if (c >= C) return;
	int cnt = N * HW;
	float acc = 0.0f;
	for (int k = threadIdx.x; k < cnt; k += blockDim.x) {
		int n = k / HW, j = k - n * HW;
		long long i = ((long long)n * C + c) * HW + j;
		int s = norm_stat(n, c, C, G);
		acc += dy[i] * (x[i] - mean[s]) * invstd[s];
	}
	acc = block_sum(acc, sh);
	if (threadIdx.x == 0) dscale[c] = acc;
}

// channel_sum: db[c] = sum over n, j of dy; one block per channel (gridDim.x == C).
extern "C" __global__ void channel_sum(const float* dy, float* db, int N, int C, int HW) {
	__shared__ float sh[1024];
	int c = blockIdx.x;
	if (c >= C) return;
	int cnt = N * HW;
	float acc = 0.0f;
	for (int k = threadIdx.x; k < cnt; k += blockDim.x) {
		int n = k / HW, j = k - n * HW;
		acc += dy[((long long)n * C + c) * HW + j];
	}
	acc = block_sum(acc, sh);
	if (threadIdx.x == 0) db[c] = acc;
}

// bn_dx: the input gradient of a per-channel BatchNorm from its parameter gradients
// (dscale = sum dy*xhat, dbias = sum dy, M = N*HW values per channel); element-wise.
//   batch statistics (batch != 0): dx = scale*invstd/M * (M*dy - dbias - xhat*dscale)
//   fixed statistics (batch == 0): dx = scale*invstd*dy
extern "C" __global__ void bn_dx(const float* x, const float* mean, const float* invstd, const float* scale,
                                 const float* dy, const float* dscale, const float* dbias, float* dx,
                                 int N, int C, int HW, int batch) {
	int total = N * C * HW;
	float M = (float)(N * HW);
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += blockDim.x * gridDim.x) {
		int c = (i / HW) % C;
		float k = scale[c] * invstd[c];
		if (batch) {
			float xhat = (x[i] - mean[c]) * invstd[c];
			dx[i] = k / M * (M * dy[i] - dbias[c] - xhat * dscale[c]);
		} else {
			dx[i] = k * dy[i];
		}
	}
}
