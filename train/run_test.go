package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/datasets/cifar/cifartest"
	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
)

func newRun(t *testing.T, s Spec, out string) *Run {
	t.Helper()
	d, err := NewData(cifartest.Data(36, 12), &s)
	if err != nil {
		t.Fatal(err)
	}
	return &Run{Spec: s, Data: d, Backend: &cpu.Backend[float32]{Par: 2}, Out: out, EvalBatch: 5}
}

// sameCheckpoints reports how checkpoints a and b differ, byte for byte in
// every tensor (weights, BatchNorm buffers, momentum) and in the state.
func sameCheckpoints(t *testing.T, a, b string) {
	t.Helper()
	ca, err := LoadCheckpoint(a)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := LoadCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ca.Model) != len(cb.Model) || len(ca.Model) == 0 {
		t.Fatalf("checkpoints hold %d and %d tensors", len(ca.Model), len(cb.Model))
	}
	for name, ta := range ca.Model {
		if !bytes.Equal(ta.Data, cb.Model[name].Data) {
			t.Errorf("%s differs", name)
		}
	}
	if !slices.Equal(ca.SGD.Momentum, cb.SGD.Momentum) || ca.SGD.Steps != cb.SGD.Steps {
		t.Errorf("optimizer state differs: %d vs %d steps", ca.SGD.Steps, cb.SGD.Steps)
	}
	if !bytes.Equal(ca.SAM.RNG, cb.SAM.RNG) || ca.Epoch != cb.Epoch || ca.Pos != cb.Pos {
		t.Errorf("position or SAM state differs: (%d, %d) vs (%d, %d)", ca.Epoch, ca.Pos, cb.Epoch, cb.Pos)
	}
}

// sameMetrics compares two metrics logs in everything but the timings.
func sameMetrics(t *testing.T, a, b string) {
	t.Helper()
	ma, err := ReadMetrics(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := ReadMetrics(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ma) != len(mb) {
		t.Fatalf("%d and %d epochs logged", len(ma), len(mb))
	}
	for i := range ma {
		x, y := ma[i], mb[i]
		x.Seconds, x.ImagesPerSec, y.Seconds, y.ImagesPerSec = 0, 0, 0, 0
		if x.String() != y.String() || x.Epoch != i+1 {
			t.Errorf("epoch %d:\n %v\n %v", i+1, x.String(), y.String())
		}
	}
}

// TestResumeBitForBit stops runs after an epoch, in the middle of an epoch
// and between an epoch's last step and its evaluation, resumes them, and
// checks that they end with exactly the bytes of an uninterrupted run.
func TestResumeBitForBit(t *testing.T) {
	sam := tinySpec()
	sam.M, sam.BNPolicy = 4, "first" // m-SAM, statistics from the clean pass
	noisy := tinySpec()
	noisy.Rho, noisy.LabelNoise, noisy.ValSize, noisy.Normalize = 0, 0.3, 6, true
	random := tinySpec()
	random.RandomPert, random.SAMFrom = true, 1 // ERM, then the random control (uses SAM's RNG)
	for _, tc := range []struct {
		name        string
		spec        Spec
		stopEpoch   int // cancel after this epoch's checkpoint (-1: no)
		stopStep    [2]int
		stepPlanned bool
	}{
		{"SAM after epoch 1", sam, 0, [2]int{}, false},
		{"SAM mid-epoch", sam, -1, [2]int{1, 1}, true},
		{"SAM before evaluation", sam, -1, [2]int{1, 3}, true},
		{"ERM noisy labels mid-epoch", noisy, -1, [2]int{0, 2}, true},
		{"random control after epoch 2", random, 1, [2]int{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full := filepath.Join(t.TempDir(), "full")
			if _, err := newRun(t, tc.spec, full).Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			part := filepath.Join(t.TempDir(), "part")
			ctx, cancel := context.WithCancel(context.Background())
			r := newRun(t, tc.spec, part)
			if tc.stepPlanned {
				r.afterStep = func(e, p int, _ graph.Buffer) {
					if e == tc.stopStep[0] && p == tc.stopStep[1] {
						cancel()
					}
				}
			} else {
				r.afterEpoch = func(e int) {
					if e == tc.stopEpoch {
						cancel()
					}
				}
			}
			_, err := r.Train(ctx)
			cancel()
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("interrupted run: %v, want ErrInterrupted", err)
			}
			if _, err := newRun(t, tc.spec, part).Train(context.Background()); !errors.Is(err, ErrExists) {
				t.Errorf("restart without resume: %v, want ErrExists", err)
			}
			r = newRun(t, tc.spec, part)
			r.Resume = true
			if _, err := r.Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			sameCheckpoints(t, filepath.Join(full, CheckpointFile), filepath.Join(part, CheckpointFile))
			sameMetrics(t, filepath.Join(full, MetricsFile), filepath.Join(part, MetricsFile))
		})
	}
}

// TestDivergence poisons a weight with NaN in the second epoch and checks
// that the run stops with ErrDiverged and leaves the first epoch's
// checkpoint untouched.
func TestDivergence(t *testing.T) {
	for _, rho := range []float64{0, 0.05} {
		s := tinySpec()
		s.Rho = rho
		out := t.TempDir()
		r := newRun(t, s, out)
		var good []byte
		r.afterEpoch = func(e int) {
			good, _ = os.ReadFile(filepath.Join(out, CheckpointFile))
		}
		r.afterStep = func(e, p int, w graph.Buffer) {
			if e == 1 && p == 1 {
				r.Backend.Upload(r.Backend.Slice(w, 0, 1), []float32{float32(math.NaN())})
			}
		}
		_, err := r.Train(context.Background())
		if !errors.Is(err, ErrDiverged) {
			t.Fatalf("rho %g: %v, want ErrDiverged", rho, err)
		}
		got, _ := os.ReadFile(filepath.Join(out, CheckpointFile))
		if len(good) == 0 || !bytes.Equal(got, good) {
			t.Errorf("rho %g: checkpoint changed after the divergence", rho)
		}
		if ms, err := ReadMetrics(out); err != nil || len(ms) != 1 {
			t.Errorf("rho %g: %d epochs logged (%v), want 1", rho, len(ms), err)
		}
	}
}

// TestUnwritableOutput checks that an output folder that cannot be created
// fails before any training.
func TestUnwritableOutput(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRun(t, tinySpec(), filepath.Join(file, "out"))
	steps := 0
	r.afterStep = func(int, int, graph.Buffer) { steps++ }
	if _, err := r.Train(context.Background()); err == nil || steps != 0 {
		t.Errorf("error %v after %d steps, want an error before training", err, steps)
	}
}

// TestResNet34CIFAR100 trains ResNet-34 on generated CIFAR-100 data for one
// epoch: the same run, another network and 100 classes.
func TestResNet34CIFAR100(t *testing.T) {
	rec := func(n int, seed byte) []byte {
		b := cifartest.Records(n, uint64(seed))
		out := make([]byte, 0, n*cifar.CIFAR100.RecordSize())
		for i := range n {
			r := b[i*cifar.CIFAR10.RecordSize() : (i+1)*cifar.CIFAR10.RecordSize()]
			out = append(out, r[0], r[0]*10+r[1]%10) // coarse < 20, fine < 100
			out = append(out, r[1:]...)
		}
		return out
	}
	tr, err := cifar.Decode(cifar.CIFAR100, rec(16, 1))
	if err != nil {
		t.Fatal(err)
	}
	te, err := cifar.Decode(cifar.CIFAR100, rec(4, 2))
	if err != nil {
		t.Fatal(err)
	}
	s := tinySpec()
	s.Model, s.Dataset, s.Epochs = "resnet34", "cifar100", 1
	d, err := NewData(&cifar.Data{Kind: cifar.CIFAR100, Train: tr, Test: te}, &s)
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{Spec: s, Data: d, Backend: &cpu.Backend[float32]{Par: 2}, Out: t.TempDir()}
	res, err := r.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Metrics) != 1 || res.Model.Classes() != 100 || res.Metrics[0].Steps != 2 {
		t.Errorf("metrics %+v, %d classes", res.Metrics, res.Model.Classes())
	}
	if _, ok := res.Model.Params().Lookup("layer3.5.conv2.weight"); !ok {
		t.Errorf("no layer3.5: not a ResNet-34")
	}
}

// TestRunMatchesHostSAM checks that a run on graph/cpu, whose optimizer is
// optim.SAM[graph.Buffer] stepping the model's weight Buffer with the
// backend's Vectors, ends bit for bit where the host path ends: an explicit
// loop of optim.SAM[[]float32] on Model.Weights() through Objective.Grad
// (Model.GradAt), written here with the same data order and learning-rate
// schedule. Weights, BatchNorm buffers, momentum and step count must be
// equal, over two epochs of ERM, n-SAM and m-SAM variants.
func TestRunMatchesHostSAM(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Spec)
	}{
		{"ERM", func(s *Spec) { s.Rho = 0 }},
		{"n-SAM", func(s *Spec) {}},
		{"m-SAM", func(s *Spec) { s.M = 4 }},
		{"m-SAM unnormalized, BN first, Nesterov", func(s *Spec) {
			s.M, s.Unnormalized, s.BNPolicy, s.Nesterov = 2, true, "first", true
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tinySpec()
			s.Epochs = 2
			tc.change(&s)
			r := newRun(t, s, t.TempDir())
			if _, err := r.Train(context.Background()); err != nil {
				t.Fatal(err)
			}
			got, err := LoadCheckpoint(filepath.Join(r.Out, CheckpointFile))
			if err != nil {
				t.Fatal(err)
			}

			model, err := resnet.New[float32](&cpu.Backend[float32]{Par: 2}, s.Net(), s.Seed)
			if err != nil {
				t.Fatal(err)
			}
			bn, _ := optim.ParseBNPolicy(s.BNPolicy)
			base := &optim.SGD[[]float32]{LR: s.LR, Momentum: s.Momentum, Nesterov: s.Nesterov, WeightDecay: s.WeightDecay}
			opt := &optim.SAM[[]float32]{Base: base, Rho: s.Rho, M: s.M, Unnormalized: s.Unnormalized, BN: bn}
			obj := &Objective[float32]{Model: model}
			l := r.Data.loader(&s)
			nb := l.Batches()
			sched := s.schedule(nb)
			for epoch := range s.Epochs {
				opt.Epoch = epoch
				it, err := l.Epoch(context.Background(), epoch, 0)
				if err != nil {
					t.Fatal(err)
				}
				for it.Next() {
					b := it.Batch()
					base.LR = sched.LR(epoch*nb+b.Pos, s.Epochs*nb)
					obj.X, obj.Labels = b.Images, b.Labels
					if _, err := opt.Step(model.Weights(), b.Len(), obj.Grad); err != nil {
						t.Fatal(err)
					}
				}
				if err := it.Err(); err != nil {
					t.Fatal(err)
				}
				it.Close()
			}

			for name, want := range model.Params().Tensors() {
				if !bytes.Equal(got.Model[name].Data, want.Data) {
					t.Errorf("%s differs from the host loop's", name)
				}
			}
			st := base.State()
			if !slices.Equal(got.SGD.Momentum, st.Momentum) || got.SGD.Steps != st.Steps || st.Steps != int64(s.Epochs*nb) {
				t.Errorf("momentum equal %v, %d steps; the host loop made %d",
					slices.Equal(got.SGD.Momentum, st.Momentum), got.SGD.Steps, st.Steps)
			}
		})
	}
}
