package train

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
	"github.com/samtrain/samtrain/safetensors"
)

// CheckpointFile is the name of the checkpoint in a run's output folder.
const CheckpointFile = "checkpoint.safetensors"

// checkpointFormat marks samtrain checkpoints in the safetensors metadata.
const checkpointFormat = "samtrain-checkpoint-1"

// Prefixes of the tensor names in a checkpoint: the model's parameters and
// buffers under their PyTorch state_dict names, and the optimizer's state.
const (
	modelPrefix    = "model."
	momentumTensor = "optim.momentum"
)

// ErrCheckpoint reports a file that is not a usable samtrain checkpoint.
var ErrCheckpoint = errors.New("bad checkpoint")

// Checkpoint is everything a run needs to continue exactly where it
// stopped: the model's weights and BatchNorm buffers, the optimizer's
// momentum and step count, SAM's random state, the data position (the
// loaders draw everything from Spec.Seed, the epoch and the batch position)
// and the partial-epoch accumulators.
type Checkpoint struct {
	Spec  Spec
	Model map[string]safetensors.Tensor // PyTorch state_dict names
	SGD   optim.SGDState[[]float32]
	SAM   optim.SAMState
	// Epoch is the current 0-based epoch and Pos the number of its batches
	// already trained on; Pos equal to the number of batches means the
	// epoch's training is done but not its evaluation. A finished epoch
	// e is saved as (e+1, 0).
	Epoch, Pos int
	Acc        Accum
}

// Accum holds the running sums of the current epoch.
type Accum struct {
	Images    int     `json:"images"`       // training images seen
	LossSum   float64 `json:"loss_sum"`     // Σ over batches of mean clean loss × batch size
	Errors    int     `json:"errors"`       // clean-pass mistakes against the trained (possibly noisy) labels
	ErrClean  int     `json:"errors_clean"` // clean-pass mistakes against the clean labels
	TrainSecs float64 `json:"train_secs"`   // time spent in training steps
	WallSecs  float64 `json:"wall_secs"`    // time of the epoch so far
}

// Save writes c to path atomically (package safetensors writes a temporary
// file, syncs it and renames it).
func (c *Checkpoint) Save(path string) error {
	ts := make(map[string]safetensors.Tensor, len(c.Model)+1)
	for name, t := range c.Model {
		ts[modelPrefix+name] = t
	}
	if c.SGD.Momentum != nil {
		ts[momentumTensor] = safetensors.Float32([]int{len(c.SGD.Momentum)}, c.SGD.Momentum)
	}
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	acc, err := json.Marshal(c.Acc)
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	meta := map[string]string{
		"format":    checkpointFormat,
		"spec":      string(spec),
		"epoch":     strconv.Itoa(c.Epoch),
		"pos":       strconv.Itoa(c.Pos),
		"sgd_steps": strconv.FormatInt(c.SGD.Steps, 10),
		"sam_rng":   base64.StdEncoding.EncodeToString(c.SAM.RNG),
		"accum":     string(acc),
	}
	if err := safetensors.WriteFile(path, ts, meta); err != nil {
		return fmt.Errorf("train: save checkpoint: %w", err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by Checkpoint.Save.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	ts, meta, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: load checkpoint: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("train: load checkpoint %s: %s: %w", path, fmt.Sprintf(format, args...), ErrCheckpoint)
	}
	if meta["format"] != checkpointFormat {
		return nil, bad("format %q, want %q (a weights file? use it with --finetune-from)", meta["format"], checkpointFormat)
	}
	c := &Checkpoint{Model: map[string]safetensors.Tensor{}}
	if err := json.Unmarshal([]byte(meta["spec"]), &c.Spec); err != nil {
		return nil, bad("spec: %v", err)
	}
	if err := json.Unmarshal([]byte(meta["accum"]), &c.Acc); err != nil {
		return nil, bad("accum: %v", err)
	}
	if c.Epoch, err = strconv.Atoi(meta["epoch"]); err != nil || c.Epoch < 0 {
		return nil, bad("epoch %q", meta["epoch"])
	}
	if c.Pos, err = strconv.Atoi(meta["pos"]); err != nil || c.Pos < 0 {
		return nil, bad("pos %q", meta["pos"])
	}
	if c.SGD.Steps, err = strconv.ParseInt(meta["sgd_steps"], 10, 64); err != nil || c.SGD.Steps < 0 {
		return nil, bad("sgd_steps %q", meta["sgd_steps"])
	}
	if c.SAM.RNG, err = base64.StdEncoding.DecodeString(meta["sam_rng"]); err != nil {
		return nil, bad("sam_rng: %v", err)
	}
	if len(c.SAM.RNG) == 0 {
		c.SAM.RNG = nil
	}
	for name, t := range ts {
		switch {
		case name == momentumTensor:
			if t.Dtype != safetensors.F32 || len(t.Shape) != 1 {
				return nil, bad("%s: dtype %s shape %v, want F32 vector", name, t.Dtype, t.Shape)
			}
			f, err := t.Float64s()
			if err != nil {
				return nil, bad("%s: %v", name, err)
			}
			c.SGD.Momentum = make([]float32, len(f))
			for i, x := range f {
				c.SGD.Momentum[i] = float32(x)
			}
		case strings.HasPrefix(name, modelPrefix):
			c.Model[strings.TrimPrefix(name, modelPrefix)] = t
		default:
			return nil, bad("unknown tensor %s", name)
		}
	}
	return c, nil
}

// LoadWeights reads model weights and BatchNorm buffers from path into m:
// either a samtrain checkpoint or a weights file written by Export (PyTorch
// state_dict names).
func LoadWeights(m *graph.Model[float32], path string) error {
	ts, meta, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("train: load weights: %w", err)
	}
	if meta["format"] == checkpointFormat {
		c, err := LoadCheckpoint(path)
		if err != nil {
			return err
		}
		ts = c.Model
	}
	if err := m.Params().SetTensors(ts); err != nil {
		return fmt.Errorf("train: load weights from %s: %w", path, err)
	}
	return nil
}

// Export writes the model of the checkpoint at src to dst as a plain
// safetensors file with PyTorch state_dict names (float32 parameters and
// running statistics, int64 num_batches_tracked), loadable with
// safetensors.torch.load_file and Module.load_state_dict.
func Export(src, dst string) error {
	c, err := LoadCheckpoint(src)
	if err != nil {
		return err
	}
	if err := safetensors.WriteFile(dst, maps.Clone(c.Model), map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("train: export: %w", err)
	}
	return nil
}

// NewModel builds the checkpoint's network on backend b with the
// checkpoint's weights and BatchNorm buffers.
func (c *Checkpoint) NewModel(b graph.Backend[float32]) (*graph.Model[float32], error) {
	if err := c.Spec.Validate(); err != nil {
		return nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	m, err := resnet.New[float32](b, c.Spec.Net(), c.Spec.Seed)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := m.Params().SetTensors(c.Model); err != nil {
		return nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	return m, nil
}

// sgdState returns o's state for a checkpoint, in host memory: o steps the
// weight Buffers of m's backend, so its momentum buffer is downloaded (read
// in place: a device copy per checkpoint would hold device memory until the
// backend closes).
func sgdState(o *optim.SGD[graph.Buffer], m *graph.Model[float32]) optim.SGDState[[]float32] {
	st := o.StateView()
	out := optim.SGDState[[]float32]{Steps: st.Steps}
	if b := st.Momentum; b != nil && b.Len() > 0 {
		out.Momentum = make([]float32, b.Len())
		m.Params().Backend().Download(out.Momentum, b)
	}
	return out
}

// setSGDState restores a checkpoint's optimizer state into o, uploading the
// momentum into a Buffer of m's backend (freed after SetState has copied it,
// when the backend frees buffers: a device one would otherwise hold it until
// it closes). A momentum of another length than m's weights is an error
// (unprefixed: the caller adds its context).
func setSGDState(o *optim.SGD[graph.Buffer], m *graph.Model[float32], st optim.SGDState[[]float32]) error {
	s := optim.SGDState[graph.Buffer]{Steps: st.Steps}
	n := len(st.Momentum)
	if n == 0 {
		return o.SetState(s)
	}
	p := m.Params()
	if n != p.NumWeights() {
		return fmt.Errorf("checkpoint momentum has %d elements for %d weights: %w", n, p.NumWeights(), ErrCheckpoint)
	}
	b := p.Backend()
	s.Momentum = b.Alloc(n)
	b.Upload(s.Momentum, st.Momentum)
	err := o.SetState(s)
	if f, ok := b.(interface{ Free(graph.Buffer) error }); ok {
		if ferr := f.Free(s.Momentum); err == nil && ferr != nil {
			err = fmt.Errorf("free the uploaded momentum: %w", ferr)
		}
	}
	return err
}
