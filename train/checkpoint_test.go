package train

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

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
