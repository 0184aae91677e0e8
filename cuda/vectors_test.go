package cuda

import (
	"errors"
	"math"
	"testing"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/optim"
	"github.com/samtrain/samtrain/optim/optimtest"
)

// vectorsHooks returns the suite's hooks for b: a new device buffer holding a copy, and a
// download.
func vectorsHooks(b *Backend) (func([]float32) graph.Buffer, func(graph.Buffer) []float32) {
	up := func(v []float32) graph.Buffer {
		x := b.Alloc(len(v))
		b.Upload(x, v)
		return x
	}
	down := func(x graph.Buffer) []float32 {
		v := make([]float32, x.Len())
		b.Download(v, x)
		return v
	}
	return up, down
}

// TestVectorsConformance runs optim's conformance suite on Backend.Vectors: the vectors bit
// for bit as optim.Host[float32] (products rounded before sums, as on the host), the norms
// to 1e-12 (float64 partial sums per block, added in another grouping than Host's).
func TestVectorsConformance(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		b := newBackend(t, d)
		if isFake(d) {
			b.k.maxGrid = 4 // with blocks of 32, lengths above 128 take the grid-stride loops
		}
		up, down := vectorsHooks(b)
		optimtest.Vectors(t, b.Vectors(), up, down, 1e-12)
		if err := b.Err(); err != nil {
			t.Fatalf("Err after the suite: %v", err)
		}
	})
}

// TestVectorsStream: the methods queue their work on the Backend's stream, and only the
// norms wait for it, once each, reading back one float64.
func TestVectorsStream(t *testing.T) {
	d := fakeDevice(t)
	b := newBackend(t, d)
	v := b.Vectors()
	if v != b.Vectors() {
		t.Error("Vectors returns a new value on each call")
	}
	x, y := v.New(100), v.New(100)
	b.Fill(x, 2)
	syncs := fake.get("cuStreamSynchronize.calls")
	v.AxpyInto(y, x, x, 0.5)
	if got, want := fake.get("launch.stream"), int64(b.Stream().Handle()); got != want {
		t.Errorf("AxpyInto launched on stream %#x, want the backend's %#x", got, want)
	}
	v.SGD(x, y, nil, optim.SGDUpdate{LR: 0.1, Shrink: 1})
	if n := fake.get("cuStreamSynchronize.calls"); n != syncs {
		t.Errorf("%d stream synchronisations by AxpyInto and SGD, want 0", n-syncs)
	}
	// y = 2 + 0.5·2 = 3; x = 2 − 0.1·3 = 1.7 (float32); ‖x‖ = 1.7·√100.
	if got, want := v.Norm(x), 10*float64(float32(2)-float32(0.1)*3); got != want {
		t.Errorf("Norm = %v, want %v", got, want)
	}
	if n := fake.get("cuStreamSynchronize.calls"); n != syncs+1 {
		t.Errorf("%d stream synchronisations by Norm, want 1", n-syncs)
	}
	if n := fake.get("cuMemcpyDtoH_v2.bytes"); n != 8 {
		t.Errorf("Norm read %d bytes back, want 8", n)
	}
	launches := fake.get("cuLaunchKernel.calls")
	v.AddScaledNorm(y, x, 5e-4)
	if n := fake.get("cuLaunchKernel.calls") - launches; n != 2 {
		t.Errorf("AddScaledNorm made %d launches, want 2 (the fused kernel, the sum of its block partials)", n)
	}
}

// TestVectorsErrors: a bad argument or a failed launch becomes the Backend's Err, nothing
// panics, later work does nothing and norms are NaN, which SAM reports as ErrNonFinite.
func TestVectorsErrors(t *testing.T) {
	d := fakeDevice(t)
	t.Run("length mismatch", func(t *testing.T) {
		b := newBackend(t, d)
		v := b.Vectors()
		x, y := v.New(3), v.New(4)
		v.AddInto(x, x, y)
		if err := b.Err(); !errors.Is(err, optim.ErrSize) {
			t.Errorf("Err after AddInto of 3 and 4 elements: %v, want optim.ErrSize", err)
		}
		if n := v.Norm(x); !math.IsNaN(n) {
			t.Errorf("Norm after a failure = %v, want NaN", n)
		}
	})
	t.Run("foreign buffer", func(t *testing.T) {
		b := newBackend(t, d)
		v := b.Vectors()
		v.Copy(v.New(2), nil)
		if err := b.Err(); !errors.Is(err, optim.ErrParam) {
			t.Errorf("Err after Copy from nil: %v, want optim.ErrParam", err)
		}
	})
	t.Run("launch fails", func(t *testing.T) {
		b := newBackend(t, d)
		v := b.Vectors()
		w := v.New(5)
		b.Upload(w, []float32{1, 2, 3, 4, 5})
		fake.set("cuLaunchKernel.result", 719)
		defer fake.set("cuLaunchKernel.result", 0)
		sam := optim.SAM[graph.Buffer]{Base: &optim.SGD[graph.Buffer]{LR: 0.1, Vec: v}, Vec: v, Rho: 0.05}
		grad := func(p optim.Pass, w, g graph.Buffer) (float64, error) {
			b.Copy(g, w) // the gradient of ½‖w‖²
			return 0, nil
		}
		_, err := sam.Step(w, 1, grad)
		if !errors.Is(err, optim.ErrNonFinite) {
			t.Errorf("SAM step with failing launches: %v, want optim.ErrNonFinite", err)
		}
		var e *Error
		if !errors.As(b.Err(), &e) || e.Name != "CUDA_ERROR_LAUNCH_FAILED" {
			t.Errorf("Err = %v, want the failed launch", b.Err())
		}
	})
	t.Run("len of nil", func(t *testing.T) {
		v := newBackend(t, d).Vectors()
		var nilBuf *Buffer
		if v.Len(nil) != 0 || v.Len(nilBuf) != 0 {
			t.Error("Len of a nil buffer is not 0")
		}
	})
}
