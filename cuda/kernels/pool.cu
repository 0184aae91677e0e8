// Global average pooling over the hw spatial positions of nc = N*C planes (NCHW).

// gap_fwd: y[p] = mean of x[p*hw .. p*hw+hw).
extern "C" __global__ void gap_fwd(const float* x, float* y, int nc, int hw) {
	for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < nc; p += blockDim.x * gridDim.x) {
		const float* v = x + (long long)p * hw;
		float s = 0.0f;
		for (int j = 0; j < hw; j++) s += v[j];
		y[p] = s / (float)hw;
	}
}

// gap_bwd: dx[i] = dy[i / hw] / hw.
extern "C" __global__ void gap_bwd(const float* dy, float* dx, int nc, int hw) {
	int n = nc * hw;
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
		dx[i] = dy[i / hw] / (float)hw;
}
