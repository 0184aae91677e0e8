package train

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
	"github.com/samtrain/samtrain/safetensors"
)

func TestCheckpointRoundTrip(t *testing.T) {
	s := tinySpec()
	s.Milestones = []int{1}
	c := &Checkpoint{
		Spec:  s,
		Model: map[string]safetensors.Tensor{"a.weight": safetensors.Float32([]int{2}, []float32{1.5, -2}), "a.num_batches_tracked": safetensors.Int64([]int{1}, []int64{7})},
		SGD:   optim.SGDState[[]float32]{Steps: 12, Momentum: []float32{0.25, 1e-30, -3}},
		SAM:   optim.SAMState{RNG: []byte{1, 2, 3}},
		Epoch: 2, Pos: 5,
		Acc: Accum{Images: 40, LossSum: 0.1 + 0.2, Errors: 3, ErrClean: 2, TrainSecs: 1.25, WallSecs: 2.5},
	}
	p := filepath.Join(t.TempDir(), CheckpointFile)
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, c)
	}
}

func TestBadCheckpoint(t *testing.T) {
	dir := t.TempDir()
	weights := filepath.Join(dir, "w.safetensors")
	if err := safetensors.WriteFile(weights, map[string]safetensors.Tensor{"x": safetensors.Float32([]int{1}, []float32{1})}, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(dir, "extra.safetensors")
	c := &Checkpoint{Spec: tinySpec(), Model: map[string]safetensors.Tensor{}}
	if err := c.Save(extra); err != nil {
		t.Fatal(err)
	}
	ts, meta, _ := safetensors.ReadFile(extra)
	ts["stray"] = safetensors.Float32([]int{1}, []float32{0})
	safetensors.WriteFile(extra, ts, meta)
	badEpoch := filepath.Join(dir, "epoch.safetensors")
	meta["epoch"] = "-1"
	delete(ts, "stray")
	safetensors.WriteFile(badEpoch, ts, meta)
	for _, tc := range []struct {
		path string
		want error
	}{{weights, ErrCheckpoint}, {extra, ErrCheckpoint}, {badEpoch, ErrCheckpoint}, {filepath.Join(dir, "missing"), nil}} {
		_, err := LoadCheckpoint(tc.path)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", filepath.Base(tc.path), err, tc.want)
		}
	}
}

// TestSGDStateRoundTrip saves the state of an SGD stepping weight Buffers on
// a backend without host access (deviceLike) into a checkpoint file and
// restores it into a fresh SGD: the momentum comes back as worked out by
// hand, and both optimizers then take the same step.
func TestSGDStateRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		momentum float64
		updates  int
		want     float32 // every element of the momentum buffer
	}{
		{"no momentum", 0, 2, 0},
		{"before the first update", 0.9, 0, 0},
		{"one update", 0.9, 1, 1},                   // b ← g
		{"two updates", 0.9, 2, float32(0.9)*1 + 1}, // b ← 0.9·b + g
		{"three updates", 0.5, 3, 1.75},             // b = 1, 1.5, 1.75
	} {
		be, spec := newDeviceLike(nil), tinySpec()
		model, err := resnet.New[float32](be, spec.Net(), 1)
		if err != nil {
			t.Fatal(err)
		}
		n := model.Params().NumWeights()
		w, g := model.Params().Weights(), be.Alloc(n)
		be.Fill(g, 1)
		newSGD := func() *optim.SGD[graph.Buffer] {
			return &optim.SGD[graph.Buffer]{LR: 0.1, Momentum: tc.momentum, Vec: be.Vectors()}
		}
		a := newSGD()
		for range tc.updates {
			if err := a.Update(w, g); err != nil {
				t.Fatal(err)
			}
		}
		st := sgdState(a, model)
		if st.Steps != int64(tc.updates) {
			t.Errorf("%s: %d steps, want %d", tc.name, st.Steps, tc.updates)
		}
		if tc.want == 0 && st.Momentum != nil {
			t.Errorf("%s: momentum %v, want none", tc.name, st.Momentum[:1])
		}
		if tc.want != 0 && (len(st.Momentum) != n || slices.ContainsFunc(st.Momentum, func(v float32) bool { return v != tc.want })) {
			t.Errorf("%s: momentum of %d elements starting %v, want %d elements %v", tc.name, len(st.Momentum), st.Momentum[:1], n, tc.want)
		}

		path := filepath.Join(t.TempDir(), CheckpointFile)
		c := &Checkpoint{Spec: spec, Model: model.Params().Tensors(), SGD: st}
		if err := c.Save(path); err != nil {
			t.Fatal(err)
		}
		c, err = LoadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		b := newSGD()
		if err := setSGDState(b, model, c.SGD); err != nil {
			t.Fatal(err)
		}
		if got := sgdState(b, model); !reflect.DeepEqual(got, st) {
			t.Errorf("%s: restored state differs", tc.name)
		}

		// The same step from the same weights.
		w0 := make([]float32, n)
		be.Download(w0, w)
		wa, wb := make([]float32, n), make([]float32, n)
		for _, s := range []struct {
			o   *optim.SGD[graph.Buffer]
			out []float32
		}{{a, wa}, {b, wb}} {
			be.Upload(w, w0)
			if err := s.o.Update(w, g); err != nil {
				t.Fatal(err)
			}
			be.Download(s.out, w)
		}
		if !slices.Equal(wa, wb) {
			t.Errorf("%s: the restored optimizer steps differently", tc.name)
		}
	}

	// A momentum of another length than the model's weights.
	be, spec := newDeviceLike(nil), tinySpec()
	model, err := resnet.New[float32](be, spec.Net(), 1)
	if err != nil {
		t.Fatal(err)
	}
	o := &optim.SGD[graph.Buffer]{LR: 0.1, Momentum: 0.9, Vec: be.Vectors()}
	if err := setSGDState(o, model, optim.SGDState[[]float32]{Steps: 1, Momentum: []float32{1, 2}}); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("momentum of 2 elements: %v, want ErrCheckpoint", err)
	}
}
