// Softmax cross-entropy over rows of logits (rows x classes, row-major), one thread per row.

// softmax_xent_fwd writes probs = softmax(logits) per row and loss[r] = -log probs[r][label[r]]
// computed as log(sum exp(z - max)) + max - z[label] for stability. A label outside
// [0, classes) gives a NaN loss.
extern "C" __global__ void softmax_xent_fwd(const float* logits, const int* labels, float* probs,
                                            float* loss, int rows, int classes) {
	for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += blockDim.x * gridDim.x) {
		const float* z = logits + (long long)r * classes;
		float* p = probs + (long long)r * classes;
		float m = z[0];
		for (int j = 1; j < classes; j++) m = fmaxf(m, z[j]);
		float s = 0.0f;
		for (int j = 0; j < classes; j++) {
			float e = expf(z[j] - m);
			p[j] = e;
			s += e;
		}
		float inv = 1.0f / s;
		for (int j = 0; j < classes; j++) p[j] *= inv;
		int y = labels[r];
		loss[r] = (y >= 0 && y < classes) ? logf(s) + m - z[y] : nanf("");
	}
}

// softmax_xent_bwd: dlogits = scale * (probs - onehot(label)); scale is dL/d(row loss), 1/rows
// for the batch mean.
extern "C" __global__ void softmax_xent_bwd(const float* probs, const int* labels, float* dlogits,
                                            int rows, int classes, float scale) {
	int n = rows * classes;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
		int r = i / classes, j = i - r * classes;
		dlogits[i] = scale * (probs[i] - (labels[r] == j ? 1.0f : 0.0f));
	}
}

// xent_mean: loss[0] = (1/rows) * sum over r of (logsumexp(z_r) - z_r[label[r]]), with the
// labels int32 in device memory; one block (gridDim.x == 1), a thread per row in turn, and a
// tree sum, so the result is deterministic. A label outside [0, classes) gives NaN.
extern "C" __global__ void xent_mean(const float* logits, const int* labels, float* loss, int rows, int classes) {
	__shared__ float sh[1024];
	float acc = 0.0f;
	for (int r = threadIdx.x; r < rows; r += blockDim.x) {
		const float* z = logits + (long long)r * classes;
		float m = z[0];
		for (int j = 1; j < classes; j++) m = fmaxf(m, z[j]);
		float s = 0.0f;
		for (int j = 0; j < classes; j++) s += expf(z[j] - m);
		int y = labels[r];
		acc += (y >= 0 && y < classes) ? logf(s) + m - z[y] : nanf("");
	}
	acc = block_sum(acc, sh);
	if (threadIdx.x == 0) loss[0] = acc / (float)rows;
}

// xent_grad: dz = g[0]/rows * (softmax(z) - onehot(label)) with the incoming gradient g[0]
// read from device memory; one thread per row.
extern "C" __global__ void xent_grad(const float* logits, const int* labels, const float* g, float* dz,
                                     int rows, int classes) {
	float a = g[0] / (float)rows;
	for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += blockDim.x * gridDim.x) {
		const float* z = logits + (long long)r * classes;
		float* d = dz + (long long)r * classes;
		float m = z[0];
		for (int j = 1; j < classes; j++) m = fmaxf(m, z[j]);
		float s = 0.0f;
		for (int j = 0; j < classes; j++) s += expf(z[j] - m);
		float inv = 1.0f / s;
		int y = labels[r];
		for (int j = 0; j < classes; j++) d[j] = a * (expf(z[j] - m) * inv - (j == y ? 1.0f : 0.0f));
	}
}
