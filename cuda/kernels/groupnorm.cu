// GroupNorm (Wu & He, 2018) over NCHW tensors with G groups: statistics per sample n and
// group g over the (C/G)*HW values of channels [g*C/G, (g+1)*C/G), which are contiguous, so
// group (n, g) is row n*G + g of a (N*G) x ((C/G)*HW) matrix. Kernels with one block per
// row or channel need blockDim.x a power of two <= 1024.

// row_moments: mean[r] and invstd[r] = 1/sqrt(var[r] + eps) (biased variance, two passes)
// of each row of a rows x cols matrix; one block per row.
extern "C" __global__ void row_moments(const float* x, float* mean, float* invstd, int rows, int cols, float eps) {
	__shared__ float sh[1024];
	int r = blockIdx.x;
	if (r >= rows) return; // whole block: no thread waits at a barrier
	const float* v = x + (long long)r * cols;
	float s = 0.0f;
	for (int j = threadIdx.x; j < cols; j += blockDim.x) s += v[j];
	float m = block_sum(s, sh) / (float)cols;
	float q = 0.0f;
	for (int j = threadIdx.x; j < cols; j += blockDim.x) q += (v[j] - m) * (v[j] - m);
	float var = block_sum(q, sh) / (float)cols;
	if (threadIdx.x == 0) {
		mean[r] = m;
		invstd[r] = rsqrtf(var + eps);
	}
}

// groupnorm_fwd: y = (x - mean[n*G+g]) * invstd[n*G+g] * gamma[c] + beta[c]; element-wise.
extern "C" __global__ void groupnorm_fwd(const float* x, float* y, const float* mean, const float* invstd,
                                         const float* gamma, const float* beta, int N, int C, int HW, int G) {
	int n = N * C * HW;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
		int nc = i / HW, c = nc % C;
		int row = (nc / C) * G + c / (C / G);
		y[i] = (x[i] - mean[row]) * invstd[row] * gamma[c] + beta[c];
	}
}

// groupnorm_bwd: dx for GroupNorm. With a = gamma[c]*dy, xhat = (x - mean)*invstd and sums
// over the group's M = (C/G)*HW values:
//   dx = invstd/M * (M*a - sum a - xhat * sum(a*xhat))
// One block per group row (gridDim.x == N*G).
extern "C" __global__ void groupnorm_bwd(const float* x, const float* dy, float* dx, const float* mean,
                                         const float* invstd, const float* gamma, int N, int C, int HW, int G) {
	__shared__ float sh[1024];
	int r = blockIdx.x, cg = C / G, M = cg * HW;
	if (r >= N * G) return; // whole block
	long long base = (long long)r * M;
	int c0 = (r % G) * cg;
	float m = mean[r], is = invstd[r];
	float sa = 0.0f, sax = 0.0f;
	for (int j = threadIdx.x; j < M; j += blockDim.x) {
		float a = gamma[c0 + j / HW] * dy[base + j];
		sa += a;
		sax += a * (x[base + j] - m) * is;
	}
	sa = block_sum(sa, sh);
	sax = block_sum(sax, sh);
	for (int j = threadIdx.x; j < M; j += blockDim.x) {
		float a = gamma[c0 + j / HW] * dy[base + j];
		float xhat = (x[base + j] - m) * is;
		dx[base + j] = is / (float)M * ((float)M * a - sa - xhat * sax);
	}
}

// groupnorm_param_grad: dgamma[c] = sum over n, hw of dy*xhat and dbeta[c] = sum of dy,
// with xhat from the group statistics; one block per channel (gridDim.x == C).
extern "C" __global__ void groupnorm_param_grad(const float* x, const float* dy, const float* mean,
                                                const float* invstd, float* dgamma, float* dbeta,
                                                int N, int C, int HW, int G) {
	__shared__ float sh[1024];
	int c = blockIdx.x, cnt = N * HW;
	float sg = 0.0f, sb = 0.0f;
	for (int k = threadIdx.x; k < cnt; k += blockDim.x) {
		int n = k / HW, j = k - n * HW;
		long long i = ((long long)n * C + c) * HW + j;
		int row = n * G + c / (C / G);
		sg += dy[i] * (x[i] - mean[row]) * invstd[row];
		sb += dy[i];
	}
	sg = block_sum(sg, sh);
	sb = block_sum(sb, sh);
	if (threadIdx.x == 0) {
		dgamma[c] = sg;
		dbeta[c] = sb;
	}
}
