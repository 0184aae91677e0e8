package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
)

// noVectors hides everything of graph/cpu but graph.Backend: no host access
// (graph.Host), no Vectors.
type noVectors struct {
	graph.Backend[float32]
}

// deviceLike is graph/cpu seen as a device backend: no host access
// (graph.Host), so Model.Weights is nil and everything goes through Buffers,
// Vectors (graph/cpu's) and Err, which reports err as cuda.Backend reports
// a failed device call.
type deviceLike struct {
	graph.Backend[float32]
	vec optim.Vectors[graph.Buffer]
	err error
}

func newDeviceLike(err error) *deviceLike {
	b := &cpu.Backend[float32]{Par: 2}
	return &deviceLike{Backend: b, vec: b.Vectors(), err: err}
}

func (d *deviceLike) Vectors() optim.Vectors[graph.Buffer] { return d.vec }
func (d *deviceLike) Err() error                           { return d.err }

// TestRunDeviceLike checks that a run needs nothing of a host backend: on
// deviceLike (the same kernels without host access) it ends with exactly the
// bytes of a run on graph/cpu, with n-SAM and with m-SAM.
func TestRunDeviceLike(t *testing.T) {
	for _, m := range []int{0, 4} {
		s := tinySpec()
		s.Epochs, s.M = 1, m
		dir := t.TempDir()
		a := newRun(t, s, filepath.Join(dir, "host"))
		b := newRun(t, s, filepath.Join(dir, "device"))
		b.Backend = newDeviceLike(nil)
		if _, err := a.Train(context.Background()); err != nil {
			t.Fatal(err)
		}
		res, err := b.Train(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Model.Weights() != nil {
			t.Fatalf("m=%d: the model on deviceLike has host weights: the test takes the host path", m)
		}
		sameCheckpoints(t, filepath.Join(a.Out, CheckpointFile), filepath.Join(b.Out, CheckpointFile))
		sameMetrics(t, a.Out, b.Out)
	}
}

// TestRunDeviceFailure checks that a failed device call stops the run with
// that error at the first pass, and that no checkpoint is written.
func TestRunDeviceFailure(t *testing.T) {
	boom := errors.New("cuda: cuLaunchKernel: CUDA_ERROR_LAUNCH_FAILED (719)")
	r := newRun(t, tinySpec(), t.TempDir())
	r.Backend = newDeviceLike(boom)
	_, err := r.Train(context.Background())
	if !errors.Is(err, boom) || errors.Is(err, ErrDiverged) {
		t.Errorf("Train: %v, want the device's error", err)
	}
	if _, err := os.Stat(filepath.Join(r.Out, CheckpointFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("checkpoint after a device failure: %v", err)
	}
}

// TestNoVectors checks that a backend without Vectors is an error naming
// the method, from Train before anything is written and from Bench.
func TestNoVectors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	r := newRun(t, tinySpec(), out)
	r.Backend = noVectors{r.Backend}
	if _, err := r.Train(context.Background()); err == nil || !strings.Contains(err.Error(), "Vectors") {
		t.Errorf("Train: %v, want an error naming Vectors", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output folder after the error: %v", err)
	}
	if _, err := Vectors[float32](noVectors{}); err == nil {
		t.Error("Vectors of a backend without Vectors: no error")
	}
	m, err := resnet.New[float32](noVectors{&cpu.Backend[float32]{}}, resnet.Config{Width: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Bench(context.Background(), m, BenchConfig{Batch: 2, Steps: 1}, []Method{{Name: "ERM"}}); err == nil || !strings.Contains(err.Error(), "Vectors") {
		t.Errorf("Bench: %v, want an error naming Vectors", err)
	}
}
