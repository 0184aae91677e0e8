package cuda

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/backendtest"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
)

// newBackend returns a Backend on d closed with the test. On the fake libraries blocks have
// 32 threads, not 256: every thread is a POSIX thread there, and the kernels work with any
// power-of-two block, which this also exercises.
func newBackend(t *testing.T, d *Device) *Backend {
	t.Helper()
	b, err := NewBackend(d)
	if err != nil {
		t.Fatalf("NewBackend: %v", err)
	}
	if isFake(d) {
		b.block = 32
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func TestBackendConformance(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		b := newBackend(t, d)
		// float32 sums over a few hundred terms in another order than the float64 loops.
		backendtest.Run[float32](t, b, 1e-5)
		if err := b.Err(); err != nil {
			t.Fatalf("Err after the suite: %v", err)
		}
	})
}

// TestBackendConformanceBlock256 runs the suite on the fake with the block size a GPU gets.
func TestBackendConformanceBlock256(t *testing.T) {
	b := newBackend(t, fakeDevice(t))
	b.block = blockSize
	backendtest.Run[float32](t, b, 1e-5)
}

func TestBackendStream(t *testing.T) {
	d := fakeDevice(t)
	b := newBackend(t, d)
	x := b.Alloc(5)
	b.Upload(x, []float32{1, -2, 3, -4, 5})
	y := b.Alloc(5)
	b.ReLU(x, y)
	if got, want := fake.get("launch.stream"), int64(b.Stream().Handle()); got != want {
		t.Errorf("ReLU launched on stream %#x, want the backend's %#x", got, want)
	}
	if got, want := fake.get("async.stream"), int64(b.Stream().Handle()); got != want {
		t.Errorf("Upload queued on stream %#x, want the backend's %#x", got, want)
	}
	if want := fake.get("cuStreamSynchronize.calls"); want != 0 {
		t.Errorf("%d stream synchronisations before Download, want 0", want)
	}
	got := make([]float32, 5)
	b.Download(got, y)
	if want := []float32{1, 0, 3, 0, 5}; !equal(got, want) {
		t.Errorf("ReLU = %v, want %v", got, want)
	}
	if n := fake.get("cuStreamSynchronize.calls"); n != 1 {
		t.Errorf("%d stream synchronisations for one Download, want 1", n)
	}
	// Labels go up once while they do not change.
	z, loss := b.Alloc(2*3), b.Alloc(1)
	b.Upload(z, []float32{0, 0, 0, 1, 2, 3})
	uploads := fake.get("cuMemcpyHtoDAsync_v2.calls")
	b.SoftmaxCrossEntropy(2, 3, z, []int32{0, 2}, loss)
	b.SoftmaxCrossEntropy(2, 3, z, []int32{0, 2}, loss)
	if n := fake.get("cuMemcpyHtoDAsync_v2.calls") - uploads; n != 1 {
		t.Errorf("%d label uploads for two calls with the same labels, want 1", n)
	}
	b.SoftmaxCrossEntropy(2, 3, z, []int32{1, 2}, loss)
	b.Download(got[:1], loss)
	// (log 3 − 0 + log(e⁰+e¹+e²)+... ) written out: row 0 label 1: log 3; row 1 label 2: lse(1,2,3) − 3.
	want := (math.Log(3) + math.Log(math.Exp(1)+math.Exp(2)+math.Exp(3)) - 3) / 2
	if math.Abs(float64(got[0])-want) > 1e-6 {
		t.Errorf("loss after new labels %g, want %g", got[0], want)
	}
}

func TestBackendFailure(t *testing.T) {
	d := fakeDevice(t)
	b := newBackend(t, d)
	x, y := b.Alloc(4), b.Alloc(4)
	fake.set("cuLaunchKernel.result", 719) // CUDA_ERROR_LAUNCH_FAILED
	b.ReLU(x, y)
	fake.set("cuLaunchKernel.result", 0)
	var e *Error
	if err := b.Err(); !errors.As(err, &e) || e.Code != 719 {
		t.Fatalf("Err() = %v, want the failed cuLaunchKernel", err)
	}
	b.Add(y, x, x) // does nothing after the failure
	got := []float32{1, 2, 3, 4}
	b.Download(got, y)
	for i, v := range got {
		if !math.IsNaN(float64(v)) {
			t.Errorf("Download after a failure: element %d is %g, want NaN", i, v)
		}
	}
}

func TestBackendPanics(t *testing.T) {
	d := fakeDevice(t)
	b := newBackend(t, d)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short output", func() { b.Add(b.Alloc(4), b.Alloc(3), b.Alloc(4)) }},
		{"foreign buffer", func() { b.ReLU(cpu.Slice[float32](make([]float32, 4)), b.Alloc(4)) }},
		{"slice out of range", func() { b.Slice(b.Alloc(4), 2, 5) }},
		{"upload length", func() { b.Upload(b.Alloc(4), make([]float32, 3)) }},
		{"copy length", func() { b.Copy(b.Alloc(4), b.Alloc(3)) }},
		{"bad groups", func() {
			b.Normalize(1, 4, 2, 3, b.Alloc(8), b.Alloc(3), b.Alloc(3), b.Alloc(4), b.Alloc(4), b.Alloc(8))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.f()
		})
	}
}

// TestBackendResNet runs gradients of tiny networks (width 4, 3×8×8 inputs, batch 4) on
// the device and on the CPU backend (float64) from the same weights and compares the loss, every
// parameter's gradient and the BatchNorm running statistics: PreAct ResNet-18 with batch
// statistics and with running statistics (BNEval: BatchNormBackward's fixed path), and
// ResNet-18 with GroupNorm.
func TestBackendResNet(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  resnet.Config
		mode graph.BNMode
	}{
		{"preact-bn", resnet.Config{Width: 4, Input: [3]int{3, 8, 8}}, graph.BNUpdate},
		{"preact-bn-eval", resnet.Config{Width: 4, Input: [3]int{3, 8, 8}}, graph.BNEval},
		{"resnet18-gn", resnet.Config{Arch: resnet.ResNet18, Width: 4, Norm: resnet.GroupNorm, Input: [3]int{3, 8, 8}}, graph.BNUpdate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forDevices(t, func(t *testing.T, d *Device) { checkResNet(t, d, tc.cfg, tc.mode) })
		})
	}
}

func checkResNet(t *testing.T, d *Device, cfg resnet.Config, mode graph.BNMode) {
	const n, seed = 4, 7
	// The reference is the CPU backend in float64, as errors of two float32 computations add
	// up. The batch is 4, not 2: with 2, BatchNorm in the last stage (1×1 images) normalises
	// 2 values per channel, which left even the CPU's float32 gradients 3e-5 off float64
	// (measured on the fake); with 4 the device's worst parameter is about 6e-6 off.
	ref, err := resnet.New[float64](&cpu.Backend[float64]{Par: 1}, cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	b := newBackend(t, d)
	m, err := resnet.New[float32](b, cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	// Same weights and BatchNorm statistics whatever the initialisation does; the running
	// variances are moved off 1 so that BNEval's normalisation is not the identity.
	state := ref.Params().SaveState()
	for i := range state {
		state[i] += 0.25 * float64(i%3)
	}
	state32 := to32(state)
	if err := ref.Params().RestoreState(state); err != nil {
		t.Fatal(err)
	}
	b.Upload(m.Params().Weights(), to32(ref.Weights()))
	if len(state) > 0 {
		b.Upload(m.Params().State(), state32)
	}

	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, n*3*8*8)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	x32 := to32(x)
	labels := []int{3, 8, 0, 3}
	want, err := ref.Grad(x, labels, mode)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Grad(x32, labels, mode)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	if e := math.Abs(got-want) / math.Abs(want); e > 1e-4 {
		t.Errorf("loss %g, CPU %g: relative error %.3g", got, want, e)
	}
	for _, e := range ref.Params().Entries() {
		if e.Buffer {
			continue
		}
		gw, err := ref.Params().Grad(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		gg, err := m.Params().Grad(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		if re := relErr(gg, gw); re > 1e-4 {
			t.Errorf("gradient of %s: relative error %.3g", e.Name, re)
		}
	}
	if mode == graph.BNEval {
		// GradAt with host slices, as optim calls it: weights go up, the gradient comes down,
		// and the result is the same computation again.
		w := make([]float32, m.Params().NumWeights())
		b.Download(w, m.Params().Weights())
		grad := make([]float32, len(w))
		counts := func() [4]int64 {
			if !isFake(d) {
				return [4]int64{}
			}
			return [4]int64{fake.get("cuStreamSynchronize.calls"), fake.get("cuCtxSynchronize.calls"),
				fake.get("cuMemAlloc_v2.calls"), fake.get("cuMemcpyHtoD_v2.calls")}
		}
		before := counts()
		again, err := m.GradAt(w, grad, x32, labels, mode)
		if err != nil {
			t.Fatal(err)
		}
		// A second step of the same shape: the host waits twice (the loss and the gradient
		// downloads), nothing is allocated and nothing is copied synchronously.
		if after := counts(); isFake(d) && (after[0]-before[0] != 2 || after[1] != before[1] || after[2] != before[2] || after[3] != before[3]) {
			t.Errorf("GradAt: %d stream synchronisations, %d context synchronisations, %d cuMemAlloc, %d synchronous uploads; want 2, 0, 0, 0",
				after[0]-before[0], after[1]-before[1], after[2]-before[2], after[3]-before[3])
		}
		flat := make([]float32, len(w))
		b.Download(flat, m.Params().Grads())
		if again != got || !equal(grad, flat) {
			t.Errorf("GradAt: loss %g, gradient equal to Grads %v; want loss %g and equal", again, equal(grad, flat), got)
		}
	}
	if len(state) > 0 {
		if re := relErr(m.Params().SaveState(), ref.Params().SaveState()); re > 1e-4 {
			t.Errorf("BatchNorm running statistics: relative error %.3g", re)
		}
	}
}

// TestBackendFree: Free gives an allocation back to the device's allocator, which hands the
// same block to the next Alloc of its size; a view, a freed buffer and a foreign value are
// errors.
func TestBackendFree(t *testing.T) {
	d := fakeDevice(t)
	b := newBackend(t, d)
	x := b.Alloc(1000)
	p := x.(*Buffer).Ptr()
	if err := b.Free(b.Slice(x, 1, 3)); err == nil {
		t.Error("Free of a slice view succeeded")
	}
	if err := b.Free(x); err != nil {
		t.Fatalf("Free: %v", err)
	}
	if x.Len() != 0 {
		t.Errorf("freed buffer has length %d, want 0", x.Len())
	}
	if err := b.Free(x); err == nil {
		t.Error("second Free of a buffer succeeded")
	}
	if err := b.Free(nil); err == nil {
		t.Error("Free(nil) succeeded")
	}
	y := b.Alloc(1000)
	if got := y.(*Buffer).Ptr(); got != p {
		t.Errorf("Alloc after Free got block %#x, want the freed %#x from the cache", got, p)
	}
	if len(b.allocs) != 1 {
		t.Errorf("%d allocations held for Close, want 1", len(b.allocs))
	}
}
