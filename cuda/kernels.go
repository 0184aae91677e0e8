package cuda

import (
	"embed"
	"fmt"
	"math"
	"strings"
)

//go:embed kernels/*.cu
var kernelFS embed.FS

// kernelFiles are compiled as one program, in this order (prelude.cu defines helpers).
var kernelFiles = []string{"prelude.cu", "elementwise.cu", "reduce.cu", "loss.cu", "pool.cu", "batchnorm.cu", "groupnorm.cu", "norm.cu", "vectors.cu", "cast.cu"}

// kernelNames lists the kernels of KernelSource, as launched by Kernels.
var kernelNames = []string{
	"relu_fwd", "relu_bwd", "add_fwd", "scale",
	"sum_partial", "softmax_xent_fwd", "softmax_xent_bwd",
	"gap_fwd", "gap_bwd", "bn_fwd_train", "bn_fwd_infer", "bn_bwd",
	"axpby", "add_row_vector", "sum_rows",
	"row_moments", "groupnorm_fwd", "groupnorm_bwd", "groupnorm_param_grad",
	"xent_mean", "xent_grad", "moments", "inv_std", "norm_apply", "norm_scale_grad", "channel_sum", "bn_dx",
	"vec_sum_f64", "vec_sumsq", "vec_add_scaled_sumsq", "vec_perturb_unnormalized", "vec_adaptive_sumsq", "vec_adaptive_into",
	"vec_scale_into", "vec_axpy_into", "vec_add_scaled_restore", "vec_accumulate_restore", "vec_sgd",
	"f32_to_bf16", "bf16_to_f32",
}

// KernelSource returns the CUDA C source of the project's kernels as one program.
func KernelSource() string {
	var b strings.Builder
	for _, f := range kernelFiles {
		src, err := kernelFS.ReadFile("kernels/" + f)
		if err != nil {
			panic("cuda: embedded kernel file missing: " + f) // broken build, not bad input
		}
		fmt.Fprintf(&b, "// ---- %s\n%s\n", f, src)
	}
	return b.String()
}

// KernelNames returns the names of the kernels in KernelSource.
func KernelNames() []string { return append([]string(nil), kernelNames...) }

// blockSize is the threads per block of every launch (a power of two, as the reductions need).
const blockSize = 256

// Kernels are the project's kernels compiled for and loaded on one device.
type Kernels struct {
	d       *Device
	mod     *Module
	fn      map[string]*Function
	maxGrid int
	// CacheHit says whether the CUBIN came from the disk cache.
	CacheHit bool
}

// Kernels compiles the project's kernels with NVRTC for the device's architecture (or takes
// the CUBIN from the disk cache), loads them, and returns them; later calls return the same
// value.
func (d *Device) Kernels() (*Kernels, error) {
	d.kmu.Lock()
	defer d.kmu.Unlock()
	if d.kernels != nil {
		return d.kernels, nil
	}
	src := KernelSource()
	opts := []string{"--gpu-architecture=" + d.Arch()}
	k := &Kernels{d: d, fn: make(map[string]*Function), maxGrid: max(1, d.sms) * 8}
	var cubin []byte
	err := d.do(func() error {
		var werr, err error
		cubin, k.CacheHit, werr, err = cachedCompile(d.cacheDir, src, opts, d.Arch(), func() ([]byte, error) {
			return d.rtc.compile("samtrain_kernels.cu", src, opts)
		})
		_ = werr // a cache that cannot be written costs a recompile next run, nothing else
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cuda: compile kernels for %s: %w", d.Arch(), err)
	}
	if k.mod, err = d.LoadModule(cubin); err != nil {
		return nil, err
	}
	for _, name := range kernelNames {
		f, err := k.mod.Function(name)
		if err != nil {
			k.mod.Close()
			return nil, err
		}
		k.fn[name] = f
	}
	d.kernels = k
	return k, nil
}

// grid returns the blocks for n independent items: one per blockSize items, at most maxGrid
// (the grid-stride loops cover the rest).
func (k *Kernels) grid(n int) Dim3 {
	g := (n + blockSize - 1) / blockSize
	return Dim3{uint32(min(max(g, 1), k.maxGrid)), 1, 1}
}

func checkN(what string, n int) error {
	if n < 0 || n > math.MaxInt32 {
		return fmt.Errorf("cuda: %s: length %d out of range", what, n)
	}
	return nil
}

// launch1 launches an element-wise kernel over n items.
func (k *Kernels) launch1(s *Stream, name string, n int, args ...any) error {
	if err := checkN(name, n); err != nil || n == 0 {
		return err
	}
	return s.Launch(k.fn[name], k.grid(n), Dim3{blockSize, 1, 1}, 0, args...)
}

// ReLU queues y = max(x, 0) over n floats.
func (k *Kernels) ReLU(s *Stream, x, y DevicePtr, n int) error {
	return k.launch1(s, "relu_fwd", n, x, y, n)
}

// ReLUBackward queues dx = dy where y > 0, else 0 (y the forward output).
func (k *Kernels) ReLUBackward(s *Stream, y, dy, dx DevicePtr, n int) error {
	return k.launch1(s, "relu_bwd", n, y, dy, dx, n)
}

// Add queues y = a + b.
func (k *Kernels) Add(s *Stream, a, b, y DevicePtr, n int) error {
	return k.launch1(s, "add_fwd", n, a, b, y, n)
}

// Scale queues x *= alpha.
func (k *Kernels) Scale(s *Stream, x DevicePtr, alpha float32, n int) error {
	return k.launch1(s, "scale", n, x, alpha, n)
}

// Sum queues out[0] = scale * sum of n floats at x (the mean loss with scale 1/rows): a
// two-stage reduction, block partial sums and then one block over them.
func (k *Kernels) Sum(s *Stream, x DevicePtr, n int, scale float32, out DevicePtr) error {
	if err := checkN("sum", n); err != nil {
		return err
	}
	if n == 0 {
		return s.Fill32(out, 0, 1)
	}
	g := k.grid(n)
	partial, err := k.d.Alloc(uint64(g.X) * 4)
	if err != nil {
		return err
	}
	defer k.d.Free(partial) // reused only by work queued later on the same stream
	block := Dim3{blockSize, 1, 1}
	if err := s.Launch(k.fn["sum_partial"], g, block, 0, x, partial, float32(1), n); err != nil {
		return err
	}
	return s.Launch(k.fn["sum_partial"], Dim3{1, 1, 1}, block, 0, partial, out, scale, int(g.X))
}

// SoftmaxCrossEntropy queues probs = softmax(logits) and loss[r] = -log probs[r][labels[r]]
// for rows×classes row-major logits and int32 labels.
func (k *Kernels) SoftmaxCrossEntropy(s *Stream, logits, labels, probs, loss DevicePtr, rows, classes int) error {
	if rows < 0 || classes <= 0 || checkN("softmax cross-entropy", rows*classes) != nil {
		return fmt.Errorf("cuda: softmax cross-entropy: bad shape %dx%d", rows, classes)
	}
	return k.launch1(s, "softmax_xent_fwd", rows, logits, labels, probs, loss, rows, classes)
}

// SoftmaxCrossEntropyBackward queues dlogits = scale*(probs - onehot(labels)).
func (k *Kernels) SoftmaxCrossEntropyBackward(s *Stream, probs, labels, dlogits DevicePtr, rows, classes int, scale float32) error {
	if rows < 0 || classes <= 0 || checkN("softmax cross-entropy", rows*classes) != nil {
		return fmt.Errorf("cuda: softmax cross-entropy backward: bad shape %dx%d", rows, classes)
	}
	return k.launch1(s, "softmax_xent_bwd", rows*classes, probs, labels, dlogits, rows, classes, scale)
}

// GlobalAvgPool queues y[p] = mean over the hw values of plane p, for nc = N*C planes.
func (k *Kernels) GlobalAvgPool(s *Stream, x, y DevicePtr, nc, hw int) error {
	if nc < 0 || hw <= 0 || checkN("global average pool", nc*hw) != nil {
		return fmt.Errorf("cuda: global average pool: bad shape %dx%d", nc, hw)
	}
	return k.launch1(s, "gap_fwd", nc, x, y, nc, hw)
}

// GlobalAvgPoolBackward queues dx[i] = dy[i/hw]/hw.
func (k *Kernels) GlobalAvgPoolBackward(s *Stream, dy, dx DevicePtr, nc, hw int) error {
	if nc < 0 || hw <= 0 || checkN("global average pool", nc*hw) != nil {
		return fmt.Errorf("cuda: global average pool backward: bad shape %dx%d", nc, hw)
	}
	return k.launch1(s, "gap_bwd", nc*hw, dy, dx, nc, hw)
}

// BatchNorm is the shape and settings of a spatial BatchNorm over an N×C×HW float32 tensor.
type BatchNorm struct {
	N, C, HW int
	Eps      float32 // PyTorch's default is 1e-5
	Momentum float32 // PyTorch's default is 0.1
}

func (b BatchNorm) check() error {
	if b.N <= 0 || b.C <= 0 || b.HW <= 0 || checkN("batchnorm", b.N*b.C*b.HW) != nil {
		return fmt.Errorf("cuda: batchnorm: bad shape N=%d C=%d HW=%d", b.N, b.C, b.HW)
	}
	if !(b.Eps > 0) {
		return fmt.Errorf("cuda: batchnorm: Eps %g must be positive", b.Eps)
	}
	return nil
}

// BatchNormTrain queues y = gamma*(x-mean)*invstd + beta with the batch's statistics, saving
// mean and invstd per channel for the backward pass; update says whether to update the running
// statistics (SAM's second pass may leave them alone).
func (k *Kernels) BatchNormTrain(s *Stream, b BatchNorm, x, y, gamma, beta, runMean, runVar, saveMean, saveInvStd DevicePtr, update bool) error {
	if err := b.check(); err != nil {
		return err
	}
	u := int32(0)
	if update {
		u = 1
	}
	return s.Launch(k.fn["bn_fwd_train"], Dim3{uint32(b.C), 1, 1}, Dim3{blockSize, 1, 1}, 0,
		x, y, gamma, beta, runMean, runVar, saveMean, saveInvStd, b.N, b.C, b.HW, b.Eps, b.Momentum, u)
}

// BatchNormInfer queues y = gamma*(x-runMean)/sqrt(runVar+eps) + beta.
func (k *Kernels) BatchNormInfer(s *Stream, b BatchNorm, x, y, gamma, beta, runMean, runVar DevicePtr) error {
	if err := b.check(); err != nil {
		return err
	}
	n := b.N * b.C * b.HW
	return k.launch1(s, "bn_fwd_infer", n, x, y, gamma, beta, runMean, runVar, b.N, b.C, b.HW, b.Eps)
}

// BatchNormBackward queues dx, dgamma and dbeta (overwritten) for BatchNormTrain's output.
func (k *Kernels) BatchNormBackward(s *Stream, b BatchNorm, x, dy, dx, gamma, saveMean, saveInvStd, dgamma, dbeta DevicePtr) error {
	if err := b.check(); err != nil {
		return err
	}
	return s.Launch(k.fn["bn_bwd"], Dim3{uint32(b.C), 1, 1}, Dim3{blockSize, 1, 1}, 0,
		x, dy, dx, gamma, saveMean, saveInvStd, dgamma, dbeta, b.N, b.C, b.HW)
}

// Axpby queues y = a*x + b*y.
func (k *Kernels) Axpby(s *Stream, y DevicePtr, a float32, x DevicePtr, b float32, n int) error {
	return k.launch1(s, "axpby", n, y, x, a, b, n)
}

// AddRowVector queues y[r][j] += v[j] for a rows×cols row-major matrix (a Linear bias).
func (k *Kernels) AddRowVector(s *Stream, y, v DevicePtr, rows, cols int) error {
	if rows < 0 || cols <= 0 || checkN("add row vector", rows*cols) != nil {
		return fmt.Errorf("cuda: add row vector: bad shape %dx%d", rows, cols)
	}
	return k.launch1(s, "add_row_vector", rows*cols, y, v, rows, cols)
}

// SumRows queues out[j] = sum over r of y[r][j] (a Linear bias gradient).
func (k *Kernels) SumRows(s *Stream, y, out DevicePtr, rows, cols int) error {
	if rows < 0 || cols <= 0 || checkN("sum rows", rows*cols) != nil {
		return fmt.Errorf("cuda: sum rows: bad shape %dx%d", rows, cols)
	}
	return k.launch1(s, "sum_rows", cols, y, out, rows, cols)
}

// GroupNorm is the shape of a GroupNorm over an N×C×HW float32 tensor with G groups.
type GroupNorm struct {
	N, C, HW, G int
	Eps         float32 // PyTorch's default is 1e-5
}

func (g GroupNorm) check() error {
	if g.N <= 0 || g.C <= 0 || g.HW <= 0 || g.G <= 0 || g.C%g.G != 0 || checkN("groupnorm", g.N*g.C*g.HW) != nil {
		return fmt.Errorf("cuda: groupnorm: bad shape N=%d C=%d HW=%d G=%d", g.N, g.C, g.HW, g.G)
	}
	if !(g.Eps > 0) {
		return fmt.Errorf("cuda: groupnorm: Eps %g must be positive", g.Eps)
	}
	return nil
}

// GroupNormForward queues the group statistics (mean and invstd, N*G each) and
// y = (x-mean)*invstd*gamma + beta.
func (k *Kernels) GroupNormForward(s *Stream, g GroupNorm, x, y, gamma, beta, mean, invstd DevicePtr) error {
	if err := g.check(); err != nil {
		return err
	}
	rows, cols := g.N*g.G, g.C/g.G*g.HW
	if err := s.Launch(k.fn["row_moments"], Dim3{uint32(rows), 1, 1}, Dim3{blockSize, 1, 1}, 0,
		x, mean, invstd, rows, cols, g.Eps); err != nil {
		return err
	}
	return k.launch1(s, "groupnorm_fwd", g.N*g.C*g.HW, x, y, mean, invstd, gamma, beta, g.N, g.C, g.HW, g.G)
}

// GroupNormBackward queues dx, dgamma and dbeta (overwritten) for GroupNormForward's output.
func (k *Kernels) GroupNormBackward(s *Stream, g GroupNorm, x, dy, dx, gamma, mean, invstd, dgamma, dbeta DevicePtr) error {
	if err := g.check(); err != nil {
		return err
	}
	if err := s.Launch(k.fn["groupnorm_bwd"], Dim3{uint32(g.N * g.G), 1, 1}, Dim3{blockSize, 1, 1}, 0,
		x, dy, dx, mean, invstd, gamma, g.N, g.C, g.HW, g.G); err != nil {
		return err
	}
	return s.Launch(k.fn["groupnorm_param_grad"], Dim3{uint32(g.C), 1, 1}, Dim3{blockSize, 1, 1}, 0,
		x, dy, mean, invstd, dgamma, dbeta, g.N, g.C, g.HW, g.G)
}
