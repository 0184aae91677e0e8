package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/samtrain/samtrain/graph"
)

// deviceLike hides graph/cpu's host access (graph.Host), so that a model on
// it takes a device backend's path: the optimizer steps a host copy of the
// weights, uploaded before every pass. Err reports err, as cuda.Backend
// reports a failed device call.
type deviceLike struct {
	graph.Backend[float32]
	err error
}

func (d *deviceLike) Err() error { return d.err }

// TestRunHostCopy checks the device path on the CPU: the same kernels in the
// same order, so a run stepping a host copy of the weights must end with
// exactly the bytes of a run stepping the model's own weights, with n-SAM and
// with m-SAM (where the model holds perturbed weights after each step, which
// evaluation and the checkpoint must not see).
func TestRunHostCopy(t *testing.T) {
	for _, m := range []int{0, 4} {
		s := tinySpec()
		s.Epochs, s.M = 1, m
		dir := t.TempDir()
		a := newRun(t, s, filepath.Join(dir, "host"))
		b := newRun(t, s, filepath.Join(dir, "copy"))
		b.Backend = &deviceLike{Backend: b.Backend}
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
	r.Backend = &deviceLike{Backend: r.Backend, err: boom}
	_, err := r.Train(context.Background())
	if !errors.Is(err, boom) || errors.Is(err, ErrDiverged) {
		t.Errorf("Train: %v, want the device's error", err)
	}
	if _, err := os.Stat(filepath.Join(r.Out, CheckpointFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("checkpoint after a device failure: %v", err)
	}
}
