// BatchNorm over channels of NCHW tensors (cuDNN's "spatial" mode, PyTorch's BatchNorm2d):
// statistics per channel over N*H*W values. Training kernels run one block per channel
// (gridDim.x == C); blockDim.x must be a power of two <= 1024.
//
// Element (n, c, j) of an N x C x HW tensor is at (n*C + c)*HW + j.

// bn_fwd_train normalises with the batch statistics (biased variance), saves mean and
// 1/sqrt(var+eps) for the backward pass and, if update != 0, updates the running statistics
// with PyTorch's momentum: running = (1-momentum)*running + momentum*batch, the variance
// unbiased (times cnt/(cnt-1)). SAM's second pass calls it with update == 0.
extern "C" __global__ void bn_fwd_train(const float* x, float* y, const float* gamma, const float* beta,
                                        float* run_mean, float* run_var, float* save_mean, float* save_invstd,
                                        int N, int C, int HW, float eps, float momentum, int update) {
	__shared__ float sh[1024];
	int c = blockIdx.x;
	int cnt = N * HW;
	float s = 0.0f;
	for (int k = threadIdx.x; k < cnt; k += blockDim.x) {
		int n = k / HW, j = k - n * HW;
		s += x[((long long)n * C + c) * HW + j];
	}
	float mean = block_sum(s, sh) / (float)cnt;
	float v = 0.0f;
	for (int k = threadIdx.x; k < cnt; k += blockDim.x) {
		int n = k / HW, j = k - n * HW;
		float d = x[((long long)n * C + c) * HW + j] - mean;
		v += d * d;
	}
	float var = block_sum(v, sh) / (float)cnt;
	float invstd = rsqrtf(var + eps);
	if (threadIdx.x == 0) {
		save_mean[c] = mean;
		save_invstd[c] = invstd;
		if (update) {
			float unbiased = cnt > 1 ? var * (float)cnt / (float)(cnt - 1) : var;
			run_mean[c] = (1.0f - momentum) * run_mean[c] + momentum * mean;
			run_var[c] = (1.0f - momentum) * run_var[c] + momentum * unbiased;
		}
	}
	float g = gamma[c] * invstd, b = beta[c];
	for (int k = threadIdx.x; k < cnt; k += blockDim.x) {
		int n = k / HW, j = k - n * HW;
		long long i = ((long long)n * C + c) * HW + j;
		y[i] = (x[i] - mean) * g + b;
	}
}

// bn_fwd_infer normalises with the running statistics; element-wise, any grid.
extern "C" __global__ void bn_fwd_infer(const float* x, float* y, const float* gamma, const float* beta,
                                        const float* run_mean, const float* run_var, int N, int C, int HW, float eps) {
	int n = N * C * HW;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
		int c = (i / HW) % C;
		y[i] = (x[i] - run_mean[c]) * rsqrtf(run_var[c] + eps) * gamma[c] + beta[c];
	}
}

// bn_bwd is the gradient of bn_fwd_train's output with batch statistics. With
// xhat = (x - mean)*invstd and sums over the channel's cnt values:
//   dbeta  = sum dy
//   dgamma = sum dy*xhat
//   dx     = gamma*invstd/cnt * (cnt*dy - dbeta - xhat*dgamma)
// dgamma, dbeta and dx are overwritten, not accumulated.
extern "C" __global__ void bn_bwd(const float* x, const float* dy, float* dx, const float* gamma,
                                  const float* save_mean, const float* save_invstd, float* dgamma, float* dbeta,
                                  int N, int C, int HW) {
	__shared__ float sh[1024];
	int c = blockIdx.x;
	int cnt = N * HW;
	float mean = save_mean[c], invstd = save_invstd[c];
	float sdy = 0.0f, sdyx = 0.0f;
	for (int k = threadIdx.x; k < cnt; k += blockDim.x) {
		int n = k / HW, j = k - n * HW;
		long long i = ((long long)n * C + c) * HW + j;
		sdy += dy[i];
		sdyx += dy[i] * (x[i] - mean) * invstd;
	}
	sdy = block_sum(sdy, sh);
	sdyx = block_sum(sdyx, sh);
	if (threadIdx.x == 0) {
		dbeta[c] = sdy;
		dgamma[c] = sdyx;
	}
	float k0 = gamma[c] * invstd / (float)cnt;
	for (int k = threadIdx.x; k < cnt; k += blockDim.x) {
		int n = k / HW, j = k - n * HW;
		long long i = ((long long)n * C + c) * HW + j;
		float xhat = (x[i] - mean) * invstd;
		dx[i] = k0 * ((float)cnt * dy[i] - sdy - xhat * sdyx);
	}
}
