package graph

// Float is the element type of a graph: float32 or float64.
type Float interface{ ~float32 | ~float64 }

// Buffer is a block of elements owned by a Backend: host memory for the CPU
// backend, device memory for a GPU backend. The graph package never reads a
// Buffer directly; it passes Buffers back to the Backend that made them.
type Buffer interface {
	// Len is the number of elements.
	Len() int
}

// ConvShape describes a 2-D cross-correlation (PyTorch Conv2d without bias,
// dilation 1, groups 1) of an NCHW input (N×C×H×W) with a KCRS filter
// (K×C×R×S) into an N×K×OutH×OutW output.
type ConvShape struct {
	N, C, H, W       int
	K, R, S          int
	StrideH, StrideW int
	PadH, PadW       int
}

// OutH is the output height, (H+2·PadH−R)/StrideH+1.
func (p ConvShape) OutH() int { return (p.H+2*p.PadH-p.R)/p.StrideH + 1 }

// OutW is the output width, (W+2·PadW−S)/StrideW+1.
func (p ConvShape) OutW() int { return (p.W+2*p.PadW-p.S)/p.StrideW + 1 }

// Backend holds every kernel the graph executor calls. All sizes are in
// elements; Buffers are dense and row-major; outputs are overwritten unless
// a kernel says it accumulates. A kernel never sees an output Buffer that
// aliases one of its inputs. Kernels panic on size mismatches (a broken
// invariant of the caller).
//
// The CPU implementation is graph/cpu; a GPU backend implements the same
// interface. The conformance suite in graph/backendtest checks any
// implementation against plain loops.
type Backend[T Float] interface {
	// Alloc returns a zeroed buffer of n elements.
	Alloc(n int) Buffer
	// Slice returns the view [lo, hi) of b, sharing its memory.
	Slice(b Buffer, lo, hi int) Buffer
	// Upload copies src into dst (len(src) == dst.Len()).
	Upload(dst Buffer, src []T)
	// Download copies src into dst (len(dst) == src.Len()).
	Download(dst []T, src Buffer)
	// Copy copies src into dst.
	Copy(dst, src Buffer)
	// Fill sets every element of dst to v.
	Fill(dst Buffer, v T)

	// Add sets dst = a + b elementwise.
	Add(dst, a, b Buffer)
	// Axpby sets y = a·x + b·y elementwise.
	Axpby(y Buffer, a T, x Buffer, b T)
	// Gemm sets C = alpha·op(A)·op(B) + beta·C for dense row-major matrices,
	// op(A) m×k, op(B) k×n, C m×n.
	Gemm(transA, transB bool, m, n, k int, alpha T, a, b Buffer, beta T, c Buffer)

	// ConvWorkspaceLen is the scratch length the Conv2d kernels need for p.
	ConvWorkspaceLen(p ConvShape) int
	// Conv2dForward sets y = x ⋆ w.
	Conv2dForward(p ConvShape, x, w, y, work Buffer)
	// Conv2dBackwardData sets dx = ∂L/∂x given dy = ∂L/∂y.
	Conv2dBackwardData(p ConvShape, w, dy, dx, work Buffer)
	// Conv2dBackwardFilter sets dw = ∂L/∂w given dy = ∂L/∂y.
	Conv2dBackwardFilter(p ConvShape, x, dy, dw, work Buffer)

	// ReLU sets y = max(x, 0).
	ReLU(x, y Buffer)
	// ReLUBackward sets dx = dy where y > 0, else 0.
	ReLUBackward(y, dy, dx Buffer)

	// Moments sets, for each of the rows groups of x viewed as
	// outer×rows×inner (reduction over outer and inner), mean[r] and
	// invStd[r] = 1/sqrt(var[r]+eps) with the biased variance var[r], and
	// writes var[r] into variance.
	Moments(outer, rows, inner int, x Buffer, eps float64, mean, variance, invStd Buffer)
	// InvStd sets invStd = 1/sqrt(variance+eps).
	InvStd(variance Buffer, eps float64, invStd Buffer)
	// Normalize sets, for x viewed as N×C×HW with statistics indexed by
	// (n·G + c/(C/G)) (G groups per sample; G = 0 means statistics per
	// channel c, shared over the batch):
	// y = (x − mean)·invStd·scale[c] + bias[c].
	Normalize(n, c, hw, groups int, x, mean, invStd, scale, bias, y Buffer)
	// NormScaleGrad sets dscale[c] = Σ_{n,hw} dy·x̂ with x̂ = (x − mean)·invStd,
	// statistics indexed as in Normalize.
	NormScaleGrad(n, c, hw, groups int, x, mean, invStd, dy, dscale Buffer)
	// ChannelSum sets db[c] = Σ_{n,hw} dy for dy viewed as N×C×HW.
	ChannelSum(n, c, hw int, dy, db Buffer)
	// BatchNormBackward sets dx for batch normalisation with per-channel
	// batch statistics (batch true) or with fixed statistics (batch false):
	//   batch: dx = scale·invStd/M·(M·dy − dbias − x̂·dscale), M = N·HW
	//   fixed: dx = scale·invStd·dy
	BatchNormBackward(n, c, hw int, batch bool, x, mean, invStd, scale, dy, dscale, dbias, dx Buffer)
	// GroupNormBackward sets dx for group normalisation with G groups:
	// with a = scale[c]·dy, per (n, g) over its M = (C/G)·HW elements,
	//   dx = invStd/M·(M·a − Σa − x̂·Σ(a·x̂)).
	GroupNormBackward(n, c, hw, groups int, x, mean, invStd, scale, dy, dx Buffer)

	// AvgPool sets y[i] = mean_j x[i·hw + j] for rows i < rows.
	AvgPool(rows, hw int, x, y Buffer)
	// AvgPoolBackward sets dx[i·hw + j] = dy[i]/hw.
	AvgPoolBackward(rows, hw int, dy, dx Buffer)
	// AddRowVector adds v[j] to every row of the rows×cols matrix y.
	AddRowVector(rows, cols int, y, v Buffer)
	// SumRows sets s[j] = Σ_i y[i·cols + j].
	SumRows(rows, cols int, y, s Buffer)

	// SoftmaxCrossEntropy sets loss[0] = (1/n)·Σ_i (logsumexp(z_i) − z_i[labels[i]])
	// for the n×k logits z.
	SoftmaxCrossEntropy(n, k int, z Buffer, labels []int32, loss Buffer)
	// SoftmaxCrossEntropyBackward sets dz = g[0]/n·(softmax(z) − onehot(labels)).
	SoftmaxCrossEntropyBackward(n, k int, z Buffer, labels []int32, g, dz Buffer)
}

// Host is implemented by backends whose Buffers live in host memory; it
// lets gorgonia's own VMs run the graph's Ops (Op.Do) and gives the model
// direct access to flat weights and gradients.
type Host[T Float] interface {
	// Data returns the elements of b, sharing its memory.
	Data(b Buffer) []T
	// Wrap returns a Buffer sharing the memory of s.
	Wrap(s []T) Buffer
}
