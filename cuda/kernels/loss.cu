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
