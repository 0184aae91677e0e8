// The optimizers' arithmetic on weight-sized vectors (Vectors, vectors.go): each kernel is
// the loop of optim.Host[float32] named beside it (optim/vec.go and optim/vectors.go),
// computed in float32 with every product rounded before it is added (__fmul_rn, which the
// compiler never contracts into an FMA), so the vectors come out bit for bit as on the host.
// Kernels that also return a norm write one float64 partial sum of squares per block into
// partial[blockIdx.x] (a tree sum over the block, deterministic); vec_sum_f64 then adds the
// partials in float64 for the host to read. Grid-stride loops: any grid, blockDim.x a power
// of two <= 1024. Outputs may alias inputs (each element is read before it is written, by
// the same thread).

// vec_sum_f64: out[0] = sum of the g partial sums, in float64, in one block (deterministic).
extern "C" __global__ void vec_sum_f64(const double* partial, double* out, int g) {
	__shared__ double sh[1024];
	double s = 0.0;
	for (int i = threadIdx.x; i < g; i += blockDim.x) s += partial[i];
	s = block_sum(s, sh);
	if (threadIdx.x == 0) out[0] = s;
}

// vec_sumsq: partial[block] = sum of x[i]^2 (float64) over the block's share. optim's norm2.
extern "C" __global__ void vec_sumsq(const float* x, double* partial, int n) {
	__shared__ double sh[1024];
	double s = 0.0;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
		double v = x[i];
		s += v * v; // exact: the square of a float has 48 significant bits
	}
	s = block_sum(s, sh);
	if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// vec_add_scaled_sumsq: g = g + a*w, and the partial sums of g^2. optim's addScaledNorm with
// a != 0.
extern "C" __global__ void vec_add_scaled_sumsq(float* g, const float* w, float a, double* partial, int n) {
	__shared__ double sh[1024];
	double s = 0.0;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
		float v = __fadd_rn(g[i], __fmul_rn(a, w[i]));
		g[i] = v;
		s += (double)v * (double)v;
	}
	s = block_sum(s, sh);
	if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// vec_perturb_unnormalized: g = g + a*saved (left alone when a == 0), w = saved + c*g, and
// the partial sums of g^2. optim's unnormalizedPerturb.
extern "C" __global__ void vec_perturb_unnormalized(float* w, const float* saved, float* g, float a, float c,
                                                    double* partial, int n) {
	__shared__ double sh[1024];
	double s = 0.0;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
		float u = saved[i];
		float v = g[i];
		if (a != 0.0f) {
			v = __fadd_rn(v, __fmul_rn(a, u));
			g[i] = v;
		}
		w[i] = __fadd_rn(u, __fmul_rn(c, v));
		s += (double)v * (double)v;
	}
	s = block_sum(s, sh);
	if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// vec_adaptive_sumsq: the partial sums of ((|w|+eta)*g)^2. optim's adaptiveNorm.
extern "C" __global__ void vec_adaptive_sumsq(const float* g, const float* w, float eta, double* partial, int n) {
	__shared__ double sh[1024];
	double s = 0.0;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
		float tg = __fmul_rn(__fadd_rn(fabsf(w[i]), eta), g[i]);
		s += (double)tg * (double)tg;
	}
	s = block_sum(s, sh);
	if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// vec_adaptive_into: dst = ((t*t)*g)*c with t = |w|+eta. optim's adaptiveInto.
extern "C" __global__ void vec_adaptive_into(float* dst, const float* g, const float* w, float eta, float c, int n) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
		float t = __fadd_rn(fabsf(w[i]), eta);
		dst[i] = __fmul_rn(__fmul_rn(__fmul_rn(t, t), g[i]), c);
	}
}

// vec_scale_into: dst = c*x. optim's scaleInto (and scale, with dst == x).
extern "C" __global__ void vec_scale_into(float* dst, const float* x, float c, int n) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x)
		dst[i] = __fmul_rn(c, x[i]);
}

// vec_axpy_into: dst = y + c*x, c*x rounded first. optim's axpyInto.
extern "C" __global__ void vec_axpy_into(float* dst, const float* y, const float* x, float c, int n) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x)
		dst[i] = __fadd_rn(y[i], __fmul_rn(c, x[i]));
}

// vec_add_scaled_restore: g = g + a*w, then w = saved. optim's addScaledRestore with a != 0.
extern "C" __global__ void vec_add_scaled_restore(float* g, float* w, const float* saved, float a, int n) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
		g[i] = __fadd_rn(g[i], __fmul_rn(a, w[i]));
		w[i] = saved[i];
	}
}

// vec_accumulate_restore: acc = acc + (g + a*w) (acc + g when a == 0), then w = saved.
// optim's accumulateRestore.
extern "C" __global__ void vec_accumulate_restore(float* acc, const float* g, float* w, const float* saved, float a, int n) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
		float d = a != 0.0f ? __fadd_rn(g[i], __fmul_rn(a, w[i])) : g[i];
		acc[i] = __fadd_rn(acc[i], d);
		w[i] = saved[i];
	}
}

// vec_sgd is optim.SGDUpdate for one vector, branch for branch as optim's sgdPlain
// (mode 0), sgdMomentumFirst (mode 1) and sgdMomentum (mode 2), with d = g + wd*w:
//   mode 0: w = shrink*w - lr*g when shrink != 1, else w = w - lr*d
//   mode 1: buf = d;                                 d = nesterov ? d + mu*buf : buf
//   mode 2: buf = mu*buf + d (damp == 1) or mu*buf + damp*d; d = nesterov ? d + mu*buf : buf
//   modes 1, 2: w = shrink*w - lr*d when shrink != 1, else w = w - lr*d
// buf is unused in mode 0.
extern "C" __global__ void vec_sgd(float* w, const float* g, float* buf, float lr, float wd, float shrink,
                                   float mu, float damp, int mode, int nesterov, int n) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
		float wi = w[i], gi = g[i];
		if (mode == 0) {
			if (shrink != 1.0f) {
				w[i] = __fsub_rn(__fmul_rn(shrink, wi), __fmul_rn(lr, gi));
			} else {
				float d = wd != 0.0f ? __fadd_rn(gi, __fmul_rn(wd, wi)) : gi;
				w[i] = __fsub_rn(wi, __fmul_rn(lr, d));
			}
			continue;
		}
		// optim's momentum fast path (no decay, no dampening, no Nesterov) takes d = g as is.
		bool plain = mode == 2 && wd == 0.0f && shrink == 1.0f && damp == 1.0f && !nesterov;
		float d = plain ? gi : __fadd_rn(gi, __fmul_rn(wd, wi));
		float b;
		if (mode == 1) {
			b = d;
		} else if (damp == 1.0f) {
			b = __fadd_rn(__fmul_rn(mu, buf[i]), d);
		} else {
			b = __fadd_rn(__fmul_rn(mu, buf[i]), __fmul_rn(damp, d));
		}
		buf[i] = b;
		d = nesterov ? __fadd_rn(d, __fmul_rn(mu, b)) : b;
		if (shrink != 1.0f) {
			w[i] = __fsub_rn(__fmul_rn(shrink, wi), __fmul_rn(lr, d));
		} else {
			w[i] = __fsub_rn(wi, __fmul_rn(lr, d));
		}
	}
}
