package cuda

import (
	"context"
	"errors"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/samtrain/samtrain/datasets/cifar/cifartest"
	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/safetensors"
	"github.com/samtrain/samtrain/train"
)

// TestTrainMatchesCPU trains the same tiny run with train.Run on the device and on the CPU
// backend, both in float32, and compares them: one epoch of two steps (16 generated 32×32
// images, batch 8) of PreAct ResNet-18 at width 2, with n-SAM and with m-SAM (m = 4, four
// passes a step), then the epoch's evaluation on 8 test images. The device run's optimizer
// steps the model's own weights on the device (optim.SAM over graph.Buffer with
// Backend.Vectors, through train.Vectors), so this checks that path end to end: weights,
// BatchNorm running statistics and momentum after the run, the logged losses, and a
// checkpoint written from the device that a CPU model loads and evaluates to the device's
// test loss.
//
// Tolerances: the two backends sum in other orders (cuDNN's convolutions against im2col and
// GEMM), so each gradient differs by about 1e-5 relative (TestBackendResNet measures 6e-6
// against float64 for one backend). A step moves the weights by lr·(gradient + momentum)
// with lr = 0.1, so after two steps the weights and running statistics agree to a few 1e-6
// of their size (measured on the fake: 3e-6 n-SAM, 6e-6 m-SAM; checked at 1e-4, the
// project's float32 target). The update w − w0 alone, all that the optimizer contributed,
// is the stricter measure (measured: 2e-5 n-SAM, 3e-4 m-SAM, whose BatchNorm normalises
// micro-batches of 4 and whose four passes each see the error of the ascent step before
// them); it is checked at 1e-3.
func TestTrainMatchesCPU(t *testing.T) {
	data := cifartest.Data(16, 8)
	forDevices(t, func(t *testing.T, d *Device) {
		for _, tc := range []struct {
			name string
			m    int
		}{{"n-SAM", 0}, {"m-SAM", 4}} {
			t.Run(tc.name, func(t *testing.T) {
				s := train.Defaults()
				s.Model, s.Width, s.Epochs, s.BatchSize, s.M, s.Seed = "preact-resnet18", 2, 1, 8, tc.m, 3
				view, err := train.NewData(data, &s)
				if err != nil {
					t.Fatal(err)
				}
				run := func(b graph.Backend[float32]) (*train.Result, string) {
					out := t.TempDir()
					r := &train.Run{Spec: s, Data: view, Backend: b, Out: out}
					res, err := r.Train(context.Background())
					if err != nil {
						t.Fatalf("Train: %v", err)
					}
					if len(res.Metrics) != 1 {
						t.Fatalf("%d epochs of metrics, want 1", len(res.Metrics))
					}
					return res, filepath.Join(out, train.CheckpointFile)
				}
				b := newBackend(t, d)
				if isFake(d) {
					// Every thread of the fake is a POSIX thread: small blocks and at most two
					// of them (grid-stride loops cover any size) keep the test to seconds.
					b.block, b.k.maxGrid = 16, 2
				}
				dev, ckpt := run(b)
				if err := b.Err(); err != nil {
					t.Fatalf("Err after training: %v", err)
				}
				host, _ := run(&cpu.Backend[float32]{Par: 1})
				init, err := resnet.New[float32](&cpu.Backend[float32]{Par: 1}, s.Net(), s.Seed)
				if err != nil {
					t.Fatal(err)
				}

				gm, hm := dev.Metrics[0], host.Metrics[0]
				for _, l := range []struct {
					name      string
					got, want float64
				}{{"train loss", gm.TrainLoss, hm.TrainLoss}, {"test loss", gm.TestLoss, hm.TestLoss}} {
					if e := math.Abs(l.got-l.want) / math.Abs(l.want); !(e < 1e-4) {
						t.Errorf("%s %v, CPU %v: relative error %.3g", l.name, l.got, l.want, e)
					}
				}
				var worstW, worstD float64
				for _, e := range init.Params().Entries() {
					got := get(t, dev.Model, e.Name)
					want := get(t, host.Model, e.Name)
					if ew := relErr(got, to64(want)); !(ew < 1e-4) {
						t.Errorf("%s: relative error %.3g", e.Name, ew)
					} else {
						worstW = max(worstW, ew)
					}
					if e.Buffer {
						continue // running statistics: compared above, no update to speak of
					}
					w0 := get(t, init, e.Name)
					dg, dh := make([]float32, len(w0)), make([]float64, len(w0))
					for i := range w0 {
						dg[i] = got[i] - w0[i]
						dh[i] = float64(want[i]) - float64(w0[i])
					}
					if ed := relErr(dg, dh); !(ed < 1e-3) {
						t.Errorf("%s: update w − w0 relative error %.3g", e.Name, ed)
					} else {
						worstD = max(worstD, ed)
					}
				}
				t.Logf("worst relative error: weights and statistics %.3g, updates %.3g", worstW, worstD)

				// The device's checkpoint in a CPU model: the same bytes, and the same test loss.
				ck, err := train.LoadCheckpoint(ckpt)
				if err != nil {
					t.Fatal(err)
				}
				if ck.SGD.Steps != 2 || len(ck.SGD.Momentum) != init.Params().NumWeights() {
					t.Errorf("checkpoint: %d optimizer steps and %d momenta, want 2 and %d", ck.SGD.Steps, len(ck.SGD.Momentum), init.Params().NumWeights())
				}
				cm, err := ck.NewModel(&cpu.Backend[float32]{Par: 1})
				if err != nil {
					t.Fatal(err)
				}
				devT := dev.Model.Params().Tensors()
				for name, ct := range cm.Params().Tensors() {
					if !equalTensor(ct, devT[name]) {
						t.Errorf("checkpoint: %s differs from the device model's", name)
					}
				}
				sc, err := train.Evaluate(context.Background(), cm, view.Test, view.Norm, 8)
				if err != nil {
					t.Fatal(err)
				}
				if e := math.Abs(sc.Loss-gm.TestLoss) / gm.TestLoss; !(e < 1e-4) {
					t.Errorf("checkpoint on the CPU: test loss %v, device %v: relative error %.3g", sc.Loss, gm.TestLoss, e)
				}
			})
		}
	})
}

// get returns the values of parameter or buffer name of m, through its backend.
func get(t *testing.T, m *graph.Model[float32], name string) []float32 {
	t.Helper()
	v, err := m.Params().Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func to64(v []float32) []float64 {
	r := make([]float64, len(v))
	for i, x := range v {
		r[i] = float64(x)
	}
	return r
}

func equalTensor(a, b safetensors.Tensor) bool {
	if a.Dtype != b.Dtype || len(a.Shape) != len(b.Shape) || len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			return false
		}
	}
	return true
}

// TestTrainResumeOnDevice: on the device, two epochs in one run and a run interrupted after
// its first epoch then resumed give the same checkpoint bit for bit (weights, BatchNorm buffers, momentum
// and step count): the momentum goes down into the checkpoint and back up on resume, and
// the device's kernels are deterministic. After the resume the backend holds no more
// device memory than after the straight run (the uploaded momentum is freed).
func TestTrainResumeOnDevice(t *testing.T) {
	data := cifartest.Data(16, 8)
	forDevices(t, func(t *testing.T, d *Device) {
		s := train.Defaults()
		s.Model, s.Width, s.Epochs, s.BatchSize, s.M, s.Seed = "preact-resnet18", 2, 2, 8, 4, 5
		view, err := train.NewData(data, &s)
		if err != nil {
			t.Fatal(err)
		}
		backend := func() *Backend {
			b := newBackend(t, d)
			if isFake(d) {
				b.block, b.k.maxGrid = 16, 2
			}
			return b
		}
		train1 := func(b *Backend, out string, resume bool, log io.Writer, ctx context.Context) error {
			r := &train.Run{Spec: s, Data: view, Backend: b, Out: out, Resume: resume, Log: log}
			_, err := r.Train(ctx)
			if berr := b.Err(); berr != nil {
				t.Fatalf("Err after training: %v", berr)
			}
			return err
		}

		straight := t.TempDir()
		bs := backend()
		if err := train1(bs, straight, false, nil, context.Background()); err != nil {
			t.Fatal(err)
		}

		// Interrupted after the first epoch's line is logged, then resumed.
		split := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := train1(backend(), split, false, cancelOnWrite{cancel}, ctx); !errors.Is(err, train.ErrInterrupted) {
			t.Fatalf("interrupted run: err %v, want ErrInterrupted", err)
		}
		mid, err := train.LoadCheckpoint(filepath.Join(split, train.CheckpointFile))
		if err != nil {
			t.Fatal(err)
		}
		if mid.SGD.Steps < 2 || len(mid.SGD.Momentum) == 0 {
			t.Fatalf("interrupted at step %d with %d momentum values, want after the first epoch", mid.SGD.Steps, len(mid.SGD.Momentum))
		}
		br := backend()
		if err := train1(br, split, true, nil, context.Background()); err != nil {
			t.Fatal(err)
		}

		a, err := train.LoadCheckpoint(filepath.Join(straight, train.CheckpointFile))
		if err != nil {
			t.Fatal(err)
		}
		b, err := train.LoadCheckpoint(filepath.Join(split, train.CheckpointFile))
		if err != nil {
			t.Fatal(err)
		}
		if a.SGD.Steps != b.SGD.Steps || a.SGD.Steps != 4 {
			t.Errorf("SGD steps %d straight, %d resumed; want 4", a.SGD.Steps, b.SGD.Steps)
		}
		if len(a.SGD.Momentum) == 0 || len(a.SGD.Momentum) != len(b.SGD.Momentum) {
			t.Fatalf("momentum of %d and %d elements", len(a.SGD.Momentum), len(b.SGD.Momentum))
		}
		for i := range a.SGD.Momentum {
			if math.Float32bits(a.SGD.Momentum[i]) != math.Float32bits(b.SGD.Momentum[i]) {
				t.Fatalf("momentum[%d]: %v straight, %v resumed", i, a.SGD.Momentum[i], b.SGD.Momentum[i])
			}
		}
		for name, ta := range a.Model {
			tb, ok := b.Model[name]
			if !ok {
				t.Fatalf("resumed checkpoint lacks %s", name)
			}
			fa, _ := ta.Float64s()
			fb, _ := tb.Float64s()
			for i := range fa {
				if fa[i] != fb[i] {
					t.Fatalf("%s[%d]: %v straight, %v resumed", name, i, fa[i], fb[i])
				}
			}
		}
		if len(br.allocs) != len(bs.allocs) {
			t.Errorf("the resumed run's backend holds %d allocations, the straight run's %d", len(br.allocs), len(bs.allocs))
		}
	})
}

// cancelOnWrite cancels a context at its first write.
type cancelOnWrite struct{ cancel context.CancelFunc }

func (c cancelOnWrite) Write(p []byte) (int, error) { c.cancel(); return len(p), nil }
