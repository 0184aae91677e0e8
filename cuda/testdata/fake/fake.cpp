// fake.cpp is a stand-in for libcuda, NVRTC, cuBLAS and cuDNN for the package's tests. It
// exports the symbols the Go binding loads, with the C signatures of the real headers, and:
//  - records arguments in named counters the test reads with fake_get/fake_str,
//  - returns the status codes the test sets with fake_set (e.g. "cuInit.result"),
//  - runs the project's kernels (compiled through shim.h) on the CPU for cuLaunchKernel,
//  - computes cublasSgemm_v2, cublasGemmEx and the cuDNN convolutions with naive loops, as
//    documented: float64 sums of the products of the inputs as stored (float32, or bfloat16
//    for CUDA_R_16BF and CUDNN_DATA_BFLOAT16), then rounded to the output's type (float32;
//    bfloat16 by bf16_bits of cast.cu, to nearest even, after rounding to float32). In a
//    TF32 math mode (CUBLAS_TF32_TENSOR_OP_MATH; CUDNN_DEFAULT_MATH on float32 tensors) the
//    float32 inputs are first rounded to TF32 (10 mantissa bits, to nearest even): NVIDIA
//    does not document the rounding of its TF32 conversions, so this emulates the size of
//    the error, not its exact bits.
// Device pointers are host pointers from malloc.
#include "shim.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
dim3 blockDim;
dim3 gridDim;
pthread_mutex_t shim_atomic_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t shim_barrier;

void __syncthreads() { pthread_barrier_wait(&shim_barrier); }

// The kernels, compiled as C++ in this translation unit.
#include "kernels/prelude.cu"
#include "kernels/elementwise.cu"
#include "kernels/reduce.cu"
#include "kernels/loss.cu"
#include "kernels/pool.cu"
#include "kernels/batchnorm.cu"
#include "kernels/groupnorm.cu"
#include "kernels/norm.cu"
#include "kernels/vectors.cu"
#include "kernels/cast.cu"

// call unpacks cuLaunchKernel's kernelParams (pointers to each argument) into a call of k.
template <typename... A, size_t... I>
static void call_impl(void (*k)(A...), void** p, std::index_sequence<I...>) {
	k(*static_cast<std::remove_reference_t<A>*>(p[I])...);
}
template <typename... A>
static void call(void (*k)(A...), void** p) {
	call_impl(k, p, std::index_sequence_for<A...>{});
}

typedef void (*trampoline)(void**);
#define K(name) {#name, [](void** p) { call(name, p); }}
static std::map<std::string, trampoline> kernels = {
	K(relu_fwd), K(relu_bwd), K(add_fwd), K(scale),
	K(sum_partial), K(softmax_xent_fwd), K(softmax_xent_bwd),
	K(gap_fwd), K(gap_bwd), K(bn_fwd_train), K(bn_fwd_infer), K(bn_bwd),
	K(axpby), K(add_row_vector), K(sum_rows),
	K(row_moments), K(groupnorm_fwd), K(groupnorm_bwd), K(groupnorm_param_grad),
	K(xent_mean), K(xent_grad), K(moments), K(inv_std), K(norm_apply), K(norm_scale_grad), K(channel_sum), K(bn_dx),
	K(vec_sum_f64), K(vec_sumsq), K(vec_add_scaled_sumsq), K(vec_perturb_unnormalized), K(vec_adaptive_sumsq), K(vec_adaptive_into),
	K(vec_scale_into), K(vec_axpy_into), K(vec_add_scaled_restore), K(vec_accumulate_restore), K(vec_sgd),
	K(f32_to_bf16), K(bf16_to_f32),
};

// ---- recording
static std::map<std::string, long long> ints;
static std::map<std::string, std::string> strs;
static long long& I(const std::string& k) { return ints[k]; }

extern "C" {
void fake_set(const char* k, long long v) { ints[k] = v; }
long long fake_get(const char* k) { auto it = ints.find(k); return it == ints.end() ? 0 : it->second; }
// fake_str copies the recorded string k into buf (at most n bytes, NUL-terminated).
void fake_str(const char* k, char* buf, int n) { snprintf(buf, n, "%s", strs[k].c_str()); }
void fake_reset(void) { ints.clear(); strs.clear(); }
}

// result returns the status set for call (default 0) and counts the call.
static int result(const char* call) {
	I(std::string(call) + ".calls")++;
	return (int)fake_get((std::string(call) + ".result").c_str());
}

// ---- driver (cuda.h)
typedef unsigned long long CUdeviceptr;
static std::map<void*, size_t> sizes; // of the blocks cuMemAlloc_v2 handed out
struct launch_arg {
	trampoline fn;
	void** params;
};

static void* thread_main(void* a) {
	unsigned id = (unsigned)(uintptr_t)((void**)a)[0];
	launch_arg* l = (launch_arg*)((void**)a)[1];
	threadIdx.x = id % blockDim.x;
	threadIdx.y = id / blockDim.x % blockDim.y;
	threadIdx.z = id / (blockDim.x * blockDim.y);
	blockIdx = *(uint3*)((void**)a)[2];
	l->fn(l->params);
	return nullptr;
}

extern "C" {
int cuInit(unsigned flags) { I("cuInit.flags") = flags; return result("cuInit"); }
int cuDriverGetVersion(int* v) { *v = 13000; return result("cuDriverGetVersion"); }
int cuGetErrorName(int r, const char** s) { (void)r; *s = "CUDA_ERROR_FAKE_NAME"; return 0; }
int cuGetErrorString(int r, const char** s) { (void)r; *s = "fake error description"; return 0; }
int cuDeviceGetCount(int* n) { *n = ints.count("devices") ? (int)I("devices") : 1; return result("cuDeviceGetCount"); }
int cuDeviceGet(int* d, int ord) { *d = ord + 100; return result("cuDeviceGet"); }
int cuDeviceGetName(char* name, int n, int dev) {
	I("cuDeviceGetName.dev") = dev;
	snprintf(name, n, "Fake GPU %d", dev - 100);
	return result("cuDeviceGetName");
}
int cuDeviceGetAttribute(int* v, int attr, int dev) {
	(void)dev;
	switch (attr) {
	case 75: *v = ints.count("cc.major") ? (int)I("cc.major") : 9; break; // compute capability 9.0
	case 76: *v = 0; break;
	case 16: *v = 2; break; // two SMs: small grids on the CPU
	default: return 1;
	}
	return result("cuDeviceGetAttribute");
}
int cuDeviceTotalMem_v2(size_t* b, int dev) { (void)dev; *b = (size_t)3 << 30; return result("cuDeviceTotalMem_v2"); }
int cuDevicePrimaryCtxRetain(void** ctx, int dev) { I("ctx.dev") = dev; *ctx = (void*)0xC0; return result("cuDevicePrimaryCtxRetain"); }
int cuDevicePrimaryCtxRelease_v2(int dev) { I("release.dev") = dev; return result("cuDevicePrimaryCtxRelease_v2"); }
int cuCtxSetCurrent(void* ctx) { I("ctx.current") = (long long)(uintptr_t)ctx; return result("cuCtxSetCurrent"); }
int cuCtxSynchronize(void) { return result("cuCtxSynchronize"); }
int cuMemGetInfo_v2(size_t* f, size_t* t) { *f = 1 << 30; *t = (size_t)3 << 30; return result("cuMemGetInfo_v2"); }
int cuStreamCreate(void** s, unsigned flags) { I("stream.flags") = flags; *s = (void*)(uintptr_t)(0x5000 + ++I("streams")); return result("cuStreamCreate"); }
int cuStreamDestroy_v2(void* s) { I("stream.destroyed") = (long long)(uintptr_t)s; return result("cuStreamDestroy_v2"); }
int cuStreamSynchronize(void* s) { I("stream.synced") = (long long)(uintptr_t)s; return result("cuStreamSynchronize"); }
int cuStreamWaitEvent(void* s, void* e, unsigned f) { (void)s; (void)e; (void)f; return result("cuStreamWaitEvent"); }
int cuEventCreate(void** e, unsigned f) { (void)f; *e = (void*)(uintptr_t)(0xE000 + ++I("events")); return result("cuEventCreate"); }
int cuEventRecord(void* e, void* s) { (void)e; I("event.stream") = (long long)(uintptr_t)s; return result("cuEventRecord"); }
int cuEventSynchronize(void* e) { (void)e; return result("cuEventSynchronize"); }
int cuEventElapsedTime_v2(float* ms, void* a, void* b) { (void)a; (void)b; *ms = 1.5f; return result("cuEventElapsedTime_v2"); }
int cuEventDestroy_v2(void* e) { (void)e; return result("cuEventDestroy_v2"); }
int cuMemAlloc_v2(CUdeviceptr* p, size_t n) {
	I("cuMemAlloc_v2.bytes") = (long long)n;
	long long limit = fake_get("mem.limit");
	if (limit > 0 && I("mem.used") + (long long)n > limit) { I("cuMemAlloc_v2.calls")++; return 2; }
	int r = result("cuMemAlloc_v2");
	if (r) return r;
	void* q = calloc(1, n);
	*p = (CUdeviceptr)(uintptr_t)q;
	sizes[q] = n;
	I("mem.used") += (long long)n;
	I("mem.live")++;
	return 0;
}
int cuMemFree_v2(CUdeviceptr p) {
	void* q = (void*)(uintptr_t)p;
	I("mem.used") -= (long long)sizes[q];
	sizes.erase(q);
	free(q);
	I("mem.live")--; return result("cuMemFree_v2"); }
int cuMemHostAlloc(void** p, size_t n, unsigned flags) { I("host.flags") = flags; *p = calloc(1, n); return result("cuMemHostAlloc"); }
int cuMemFreeHost(void* p) { free(p); return result("cuMemFreeHost"); }
int cuMemcpyHtoD_v2(CUdeviceptr d, const void* s, size_t n) { memcpy((void*)(uintptr_t)d, s, n); return result("cuMemcpyHtoD_v2"); }
int cuMemcpyDtoH_v2(void* d, CUdeviceptr s, size_t n) { I("cuMemcpyDtoH_v2.bytes") = (long long)n; memcpy(d, (void*)(uintptr_t)s, n); return result("cuMemcpyDtoH_v2"); }
int cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* s, size_t n, void* st) { I("async.stream") = (long long)(uintptr_t)st; memcpy((void*)(uintptr_t)d, s, n); return result("cuMemcpyHtoDAsync_v2"); }
int cuMemcpyDtoHAsync_v2(void* d, CUdeviceptr s, size_t n, void* st) { I("async.stream") = (long long)(uintptr_t)st; memcpy(d, (void*)(uintptr_t)s, n); return result("cuMemcpyDtoHAsync_v2"); }
int cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, void* st) { I("async.stream") = (long long)(uintptr_t)st; memmove((void*)(uintptr_t)d, (void*)(uintptr_t)s, n); return result("cuMemcpyDtoDAsync_v2"); }
int cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, void* st) {
	(void)st;
	unsigned* p = (unsigned*)(uintptr_t)d;
	for (size_t i = 0; i < n; i++) p[i] = v;
	return result("cuMemsetD32Async");
}
int cuModuleLoadData(void** m, const void* image) { strs["module.image"] = std::string((const char*)image).substr(0, 64); *m = (void*)0x77; return result("cuModuleLoadData"); }
int cuModuleUnload(void* m) { (void)m; return result("cuModuleUnload"); }
int cuModuleGetFunction(void** f, void* m, const char* name) {
	(void)m;
	auto it = kernels.find(name);
	if (it == kernels.end()) return 500; // CUDA_ERROR_NOT_FOUND
	*f = (void*)it->second;
	return result("cuModuleGetFunction");
}
int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void* stream, void** params, void** extra) {
	I("launch.grid") = gx;
	I("launch.block") = bx;
	I("launch.shared") = shared;
	I("launch.stream") = (long long)(uintptr_t)stream;
	I("launch.extra") = (long long)(uintptr_t)extra;
	int r = result("cuLaunchKernel");
	if (r) return r;
	gridDim = dim3{gx, gy, gz};
	blockDim = dim3{bx, by, bz};
	unsigned nt = bx * by * bz;
	launch_arg l{(trampoline)f, params};
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (unsigned z = 0; z < gz; z++)
		for (unsigned y = 0; y < gy; y++)
			for (unsigned x = 0; x < gx; x++) {
				uint3 b{x, y, z};
				pthread_barrier_init(&shim_barrier, nullptr, nt);
				std::vector<pthread_t> th(nt);
				std::vector<void*> args(3 * nt);
				for (unsigned t = 0; t < nt; t++) {
					args[3 * t] = (void*)(uintptr_t)t;
					args[3 * t + 1] = &l;
					args[3 * t + 2] = &b;
					pthread_create(&th[t], &attr, thread_main, &args[3 * t]);
				}
				for (unsigned t = 0; t < nt; t++) pthread_join(th[t], nullptr);
				pthread_barrier_destroy(&shim_barrier);
			}
	pthread_attr_destroy(&attr);
	return 0;
}

// ---- NVRTC (nvrtc.h): the "CUBIN" is the source text.
struct program {
	std::string src;
};
int nvrtcVersion(int* ma, int* mi) { *ma = 13; *mi = 0; return 0; }
int nvrtcCreateProgram(void** p, const char* src, const char* name, int nh, const char* const* h, const char* const* in) {
	(void)h; (void)in;
	strs["nvrtc.name"] = name;
	I("nvrtc.headers") = nh;
	*p = new program{src};
	return result("nvrtcCreateProgram");
}
int nvrtcCompileProgram(void* p, int n, const char* const* opts) {
	std::string all;
	for (int i = 0; i < n; i++) all += std::string(opts[i]) + "\n";
	strs["nvrtc.options"] = all;
	I("nvrtc.compiles")++;
	if (((program*)p)->src.find("#error") != std::string::npos) return 6; // NVRTC_ERROR_COMPILATION
	return result("nvrtcCompileProgram");
}
int nvrtcGetProgramLogSize(void* p, size_t* n) { (void)p; *n = strlen("fake compile log") + 1; return 0; }
int nvrtcGetProgramLog(void* p, char* log) { (void)p; strcpy(log, "fake compile log"); return 0; }
int nvrtcGetCUBINSize(void* p, size_t* n) { *n = ((program*)p)->src.size() + 1; return result("nvrtcGetCUBINSize"); }
int nvrtcGetCUBIN(void* p, char* out) { memcpy(out, ((program*)p)->src.c_str(), ((program*)p)->src.size() + 1); return 0; }
int nvrtcDestroyProgram(void** p) { delete (program*)*p; *p = nullptr; return 0; }

// tf32 rounds a finite v to TF32 (the top 19 bits of a float32), to nearest even.
static float tf32(float v) {
	unsigned u;
	memcpy(&u, &v, 4);
	if ((u & 0x7f800000u) == 0x7f800000u) return v;
	u = (u + 0xfffu + ((u >> 13) & 1u)) & ~0x1fffu;
	memcpy(&v, &u, 4);
	return v;
}

// ---- cuBLAS (cublas_api.h): column-major SGEMM by the definition.
int cublasCreate_v2(void** h) { *h = (void*)0xB1A5; return result("cublasCreate_v2"); }
int cublasDestroy_v2(void* h) { (void)h; return result("cublasDestroy_v2"); }
int cublasSetStream_v2(void* h, void* s) { (void)h; I("cublas.stream") = (long long)(uintptr_t)s; return result("cublasSetStream_v2"); }
int cublasSetMathMode(void* h, int mode) { (void)h; I("cublas.math") = mode; return result("cublasSetMathMode"); }
int cublasGetVersion_v2(void* h, int* v) { (void)h; *v = 130000; return 0; }
int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                   const float* B, int ldb, const float* beta, float* C, int ldc) {
	(void)h;
	I("sgemm.m") = m; I("sgemm.n") = n; I("sgemm.k") = k;
	I("sgemm.lda") = lda; I("sgemm.ldb") = ldb; I("sgemm.ldc") = ldc;
	int r = result("cublasSgemm_v2");
	if (r) return r;
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			double s = 0;
			for (int l = 0; l < k; l++) {
				float a = ta ? A[l + (size_t)i * lda] : A[i + (size_t)l * lda];
				float b = tb ? B[j + (size_t)l * ldb] : B[l + (size_t)j * ldb];
				if (I("cublas.math") == 3) a = tf32(a), b = tf32(b);
				s += (double)a * b;
			}
			float* c = &C[i + (size_t)j * ldc];
			*c = *alpha * (float)s + (*beta == 0 ? 0 : *beta * *c);
		}
	return 0;
}
// cublasGemmEx_v2 with bfloat16 A and B (CUDA_R_16BF = 14), float32 C (CUDA_R_32F = 0) and
// CUBLAS_COMPUTE_32F (68), float alpha and beta; any other combination is
// CUBLAS_STATUS_NOT_SUPPORTED (15).
int cublasGemmEx(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const void* A, int at, int lda,
                 const void* B, int bt, int ldb, const float* beta, void* C, int ct, int ldc, int compute, int algo) {
	(void)h;
	I("gemmex.m") = m; I("gemmex.n") = n; I("gemmex.k") = k;
	I("gemmex.lda") = lda; I("gemmex.ldb") = ldb; I("gemmex.ldc") = ldc;
	I("gemmex.atype") = at; I("gemmex.btype") = bt; I("gemmex.ctype") = ct;
	I("gemmex.compute") = compute; I("gemmex.algo") = algo;
	int r = result("cublasGemmEx");
	if (r) return r;
	if (at != 14 || bt != 14 || ct != 0 || compute != 68) return 15;
	const unsigned short *a16 = (const unsigned short*)A, *b16 = (const unsigned short*)B;
	float* c32 = (float*)C;
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			double s = 0;
			for (int l = 0; l < k; l++) {
				float a = bf16_value(ta ? a16[l + (size_t)i * lda] : a16[i + (size_t)l * lda]);
				float b = bf16_value(tb ? b16[j + (size_t)l * ldb] : b16[l + (size_t)j * ldb]);
				s += (double)a * b;
			}
			float* c = &c32[i + (size_t)j * ldc];
			*c = *alpha * (float)s + (*beta == 0 ? 0 : *beta * *c);
		}
	return 0;
}

// ---- cuDNN 9 (legacy API): descriptors hold their integers; convolutions by the definition.
// Tensors and filters are CUDNN_DATA_FLOAT (0) or CUDNN_DATA_BFLOAT16 (9), kept in v[4]; a
// convolution whose tensors differ in type is CUDNN_STATUS_NOT_SUPPORTED (3000), as only
// FLOAT_CONFIG and PSEUDO_BFLOAT16_CONFIG (compute type float for both) are emulated.
struct desc {
	int v[9];
};
static int create(void** d) { *d = calloc(1, sizeof(desc)); I("dnn.descs")++; return 0; }
static int destroy(void* d) { free(d); I("dnn.descs")--; return 0; }
int cudnnCreate(void** h) { *h = (void*)0xD00; return result("cudnnCreate"); }
int cudnnDestroy(void* h) { (void)h; return result("cudnnDestroy"); }
int cudnnSetStream(void* h, void* s) { (void)h; I("dnn.stream") = (long long)(uintptr_t)s; return result("cudnnSetStream"); }
size_t cudnnGetVersion(void) { return 91000; }
const char* cudnnGetErrorString(int s) { (void)s; return "fake cudnn message"; }
int cudnnCreateTensorDescriptor(void** d) { return create(d); }
int cudnnDestroyTensorDescriptor(void* d) { return destroy(d); }
int cudnnSetTensor4dDescriptor(void* d, int fmt, int dt, int n, int c, int h, int w) {
	if (fmt != 0 || (dt != 0 && dt != 9)) return 2000;
	*(desc*)d = desc{{n, c, h, w, dt}};
	return result("cudnnSetTensor4dDescriptor");
}
int cudnnCreateFilterDescriptor(void** d) { return create(d); }
int cudnnDestroyFilterDescriptor(void* d) { return destroy(d); }
int cudnnSetFilter4dDescriptor(void* d, int dt, int fmt, int k, int c, int h, int w) {
	if (fmt != 0 || (dt != 0 && dt != 9)) return 2000;
	*(desc*)d = desc{{k, c, h, w, dt}};
	return 0;
}
int cudnnCreateConvolutionDescriptor(void** d) { return create(d); }
int cudnnDestroyConvolutionDescriptor(void* d) { return destroy(d); }
int cudnnSetConvolution2dDescriptor(void* d, int ph, int pw, int u, int v, int dh, int dw, int mode, int dt) {
	if (mode != 1 || dt != 0 || dh != 1 || dw != 1) return 2000;
	*(desc*)d = desc{{ph, pw, u, v}};
	return 0;
}
int cudnnSetConvolutionMathType(void* d, int m) { ((desc*)d)->v[4] = m; I("dnn.math") = m; return 0; }
int cudnnGetConvolution2dForwardOutputDim(void* c, void* x, void* w, int* n, int* k, int* p, int* q) {
	desc *C = (desc*)c, *X = (desc*)x, *W = (desc*)w;
	*n = X->v[0];
	*k = W->v[0];
	*p = (X->v[2] + 2 * C->v[0] - W->v[2]) / C->v[2] + 1;
	*q = (X->v[3] + 2 * C->v[1] - W->v[3]) / C->v[3] + 1;
	return 0;
}
struct perf {
	int algo, status;
	float time;
	size_t memory;
	int determinism, mathType, reserved[3];
};
static_assert(sizeof(perf) == 48, "cudnnConvolutionFwdAlgoPerf_t is 48 bytes");
// find reports a failed algorithm 7 first, then algorithm 1 with 4096 bytes of workspace.
static int find(const char* what, int req, int* got, perf* p) {
	I(std::string(what) + ".finds")++;
	if (req < 2) return 2000;
	p[0] = perf{7, 3000, 0.1f, 0, 0, 0, {0, 0, 0}};
	p[1] = perf{1, 0, 0.2f, 4096, 1, 3, {0, 0, 0}};
	*got = 2;
	return 0;
}
int cudnnFindConvolutionForwardAlgorithm(void* h, void* x, void* w, void* c, void* y, int req, int* got, perf* p) { (void)h; (void)x; (void)w; (void)c; (void)y; return find("fwd", req, got, p); }
int cudnnFindConvolutionBackwardDataAlgorithm(void* h, void* w, void* dy, void* c, void* dx, int req, int* got, perf* p) { (void)h; (void)w; (void)dy; (void)c; (void)dx; return find("bwddata", req, got, p); }
int cudnnFindConvolutionBackwardFilterAlgorithm(void* h, void* x, void* dy, void* c, void* dw, int req, int* got, perf* p) { (void)h; (void)x; (void)dy; (void)c; (void)dw; return find("bwdfilter", req, got, p); }

// conv visits every (n, k, p, q, c, r, s) whose input is not in the padding.
extern "C++" template <typename F>
void conv(desc* X, desc* W, desc* C, F f) {
	int N = X->v[0], Ch = X->v[1], H = X->v[2], Wd = X->v[3];
	int K = W->v[0], R = W->v[2], S = W->v[3];
	int ph = C->v[0], pw = C->v[1], u = C->v[2], v = C->v[3];
	int P = (H + 2 * ph - R) / u + 1, Q = (Wd + 2 * pw - S) / v + 1;
	for (int n = 0; n < N; n++)
		for (int k = 0; k < K; k++)
			for (int p = 0; p < P; p++)
				for (int q = 0; q < Q; q++)
					for (int c = 0; c < Ch; c++)
						for (int r = 0; r < R; r++)
							for (int s = 0; s < S; s++) {
								int h = p * u - ph + r, w = q * v - pw + s;
								if (h < 0 || h >= H || w < 0 || w >= Wd) continue;
								size_t xi = (((size_t)n * Ch + c) * H + h) * Wd + w;
								size_t wi = (((size_t)k * Ch + c) * R + r) * S + s;
								size_t yi = (((size_t)n * K + k) * P + p) * Q + q;
								f(xi, wi, yi);
							}
}
static size_t count(desc* d) { return (size_t)d->v[0] * d->v[1] * d->v[2] * d->v[3]; }
// ld reads element i of a tensor of descriptor d (rounded to TF32 when the running
// convolution allows it); st writes alpha*acc + beta*(element i) to it (beta 0 ignores the
// old value), rounding to bfloat16 for CUDNN_DATA_BFLOAT16.
static bool conv_tf32;
static float raw(desc* d, const void* p, size_t i) {
	return d->v[4] == 9 ? bf16_value(((const unsigned short*)p)[i]) : ((const float*)p)[i];
}
static float ld(desc* d, const void* p, size_t i) { return conv_tf32 ? tf32(raw(d, p, i)) : raw(d, p, i); }
static void st(desc* d, void* p, size_t i, float alpha, double acc, float beta) {
	float v = alpha * (float)acc + (beta == 0 ? 0 : beta * raw(d, p, i));
	if (d->v[4] == 9)
		((unsigned short*)p)[i] = bf16_bits(v);
	else
		((float*)p)[i] = v;
}
// types records the data type of a convolution's tensors and the math type it runs with
// (dnn.dtype, dnn.math), and checks that the types agree.
static int types(desc* conv, desc* a, desc* b, desc* c) {
	I("dnn.dtype") = a->v[4];
	I("dnn.math") = conv->v[4];
	conv_tf32 = a->v[4] == 0 && conv->v[4] == 0;
	return a->v[4] == b->v[4] && b->v[4] == c->v[4] ? 0 : 3000;
}
static int check_ws(const char* what, int algo, void* ws, size_t n) {
	I(std::string(what) + ".algo") = algo;
	I(std::string(what) + ".ws") = (long long)n;
	if (n > 0 && ws == nullptr) return 2002;
	return 0;
}
int cudnnConvolutionForward(void* h, const float* alpha, void* xd, const void* x, void* wd, const void* w, void* cd,
                            int algo, void* ws, size_t wsn, const float* beta, void* yd, void* y) {
	(void)h;
	desc *X = (desc*)xd, *Wt = (desc*)wd, *Y = (desc*)yd;
	if (int r = check_ws("fwd", algo, ws, wsn)) return r;
	if (int r = types((desc*)cd, X, Wt, Y)) return r;
	std::vector<double> acc(count(Y));
	conv(X, Wt, (desc*)cd, [&](size_t xi, size_t wi, size_t yi) { acc[yi] += (double)ld(X, x, xi) * ld(Wt, w, wi); });
	for (size_t i = 0; i < acc.size(); i++) st(Y, y, i, *alpha, acc[i], *beta);
	return result("cudnnConvolutionForward");
}
int cudnnConvolutionBackwardData(void* h, const float* alpha, void* wd, const void* w, void* dyd, const void* dy, void* cd,
                                 int algo, void* ws, size_t wsn, const float* beta, void* dxd, void* dx) {
	(void)h;
	desc *Wt = (desc*)wd, *DY = (desc*)dyd, *DX = (desc*)dxd;
	if (int r = check_ws("bwddata", algo, ws, wsn)) return r;
	if (int r = types((desc*)cd, DX, Wt, DY)) return r;
	std::vector<double> acc(count(DX));
	conv(DX, Wt, (desc*)cd, [&](size_t xi, size_t wi, size_t yi) { acc[xi] += (double)ld(DY, dy, yi) * ld(Wt, w, wi); });
	for (size_t i = 0; i < acc.size(); i++) st(DX, dx, i, *alpha, acc[i], *beta);
	return result("cudnnConvolutionBackwardData");
}
int cudnnConvolutionBackwardFilter(void* h, const float* alpha, void* xd, const void* x, void* dyd, const void* dy, void* cd,
                                   int algo, void* ws, size_t wsn, const float* beta, void* dwd, void* dw) {
	(void)h;
	desc *X = (desc*)xd, *DY = (desc*)dyd, *DW = (desc*)dwd;
	if (int r = check_ws("bwdfilter", algo, ws, wsn)) return r;
	if (int r = types((desc*)cd, X, DW, DY)) return r;
	std::vector<double> acc(count(DW));
	conv(X, DW, (desc*)cd, [&](size_t xi, size_t wi, size_t yi) { acc[wi] += (double)ld(X, x, xi) * ld(DY, dy, yi); });
	for (size_t i = 0; i < acc.size(); i++) st(DW, dw, i, *alpha, acc[i], *beta);
	return result("cudnnConvolutionBackwardFilter");
}
int cudnnCreatePoolingDescriptor(void** d) { return create(d); }
int cudnnDestroyPoolingDescriptor(void* d) { return destroy(d); }
int cudnnSetPooling2dDescriptor(void* d, int mode, int nan, int wh, int ww, int ph, int pw, int sh, int sw) {
	(void)nan;
	*(desc*)d = desc{{mode, wh, ww, ph, pw, sh, sw}};
	return 0;
}
// pool visits every output (n, c, p, q) and its window's in-bounds inputs.
extern "C++" template <typename F>
void pool(desc* P, desc* X, F f) {
	int N = X->v[0], C = X->v[1], H = X->v[2], W = X->v[3];
	int wh = P->v[1], ww = P->v[2], ph = P->v[3], pw = P->v[4], sh = P->v[5], sw = P->v[6];
	int OH = (H + 2 * ph - wh) / sh + 1, OW = (W + 2 * pw - ww) / sw + 1;
	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++)
			for (int p = 0; p < OH; p++)
				for (int q = 0; q < OW; q++) {
					std::vector<size_t> in;
					for (int r = 0; r < wh; r++)
						for (int s = 0; s < ww; s++) {
							int h = p * sh - ph + r, w = q * sw - pw + s;
							if (h >= 0 && h < H && w >= 0 && w < W) in.push_back((((size_t)n * C + c) * H + h) * W + w);
						}
					f((((size_t)n * C + c) * OH + p) * OW + q, in);
				}
}
int cudnnPoolingForward(void* h, void* pd, const float* alpha, void* xd, const float* x, const float* beta, void* yd, float* y) {
	(void)h; (void)yd; (void)beta;
	desc* P = (desc*)pd;
	pool(P, (desc*)xd, [&](size_t o, const std::vector<size_t>& in) {
		float m = x[in[0]], s = 0;
		for (size_t i : in) { m = fmaxf(m, x[i]); s += x[i]; }
		y[o] = *alpha * (P->v[0] == 0 ? m : s / in.size());
	});
	return result("cudnnPoolingForward");
}
int cudnnPoolingBackward(void* h, void* pd, const float* alpha, void* yd, const float* y, void* dyd, const float* dy,
                         void* xd, const float* x, const float* beta, void* dxd, float* dx) {
	(void)h; (void)yd; (void)dyd; (void)beta; (void)y;
	desc* P = (desc*)pd;
	memset(dx, 0, count((desc*)dxd) * sizeof(float));
	pool(P, (desc*)xd, [&](size_t o, const std::vector<size_t>& in) {
		if (P->v[0] == 0) {
			size_t a = in[0];
			for (size_t i : in) if (x[i] > x[a]) a = i;
			dx[a] += *alpha * dy[o];
		} else {
			for (size_t i : in) dx[i] += *alpha * dy[o] / in.size();
		}
	});
	return result("cudnnPoolingBackward");
}
} // extern "C"
