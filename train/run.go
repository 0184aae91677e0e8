package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
)

// Names of the other files of a run's output folder.
const (
	ConfigFile = "config.json" // the Spec and Run.Info
	LabelsFile = "labels.csv"  // the label-noise draw (cifar.Split.WriteLabels), with label noise only
)

var (
	// ErrInterrupted reports a run stopped by its context; a checkpoint
	// was saved and Resume continues the run.
	ErrInterrupted = errors.New("interrupted")
	// ErrDiverged reports a NaN or infinite training loss or gradient; the
	// checkpoint of the last finished epoch is left as it was.
	ErrDiverged = errors.New("training diverged")
	// ErrExists reports an output folder that already holds a checkpoint
	// of another run (without Resume).
	ErrExists = errors.New("output folder holds a run")
)

// Run is one training run. Fill in the fields and call Train.
type Run struct {
	Spec Spec
	Data *Data
	// Backend runs the model and the optimizer: graph/cpu, or a device
	// backend (cuda.Backend). It must have a Vectors method (see Vectors):
	// the optimizer steps the model's own weight Buffer with it. On a
	// backend with an Err() error method (one that records failed device
	// calls), a failed call stops the run with that error.
	Backend graph.Backend[float32]
	Out     string // output folder; created if missing

	// Resume continues the run whose checkpoint is in Out; its Spec must
	// equal Spec (FinetuneFrom aside, which only sets the start). Without
	// Resume, Out must not hold a checkpoint.
	Resume bool
	// EvalBatch is the batch size of evaluation passes; 0 means
	// Spec.BatchSize.
	EvalBatch int
	// Info is recorded in config.json next to the Spec (command line,
	// version, device: whatever the caller wants to keep).
	Info map[string]any

	// Log receives one line per epoch (Metrics.String) and notes; nil
	// discards them.
	Log io.Writer
	// Progress receives the progress of each epoch: a redrawn bar with
	// ETA if Terminal, plain lines every 10 percent otherwise; nil is
	// silent.
	Progress io.Writer
	Terminal bool

	// Test hooks: afterStep sees the weights after each step (tests
	// poison them to force a divergence), afterEpoch runs after an
	// epoch's checkpoint is written.
	afterStep  func(epoch, pos int, w graph.Buffer)
	afterEpoch func(epoch int)
}

// Result is what Train returns: the metrics of the epochs it finished
// (in this call) and the final model.
type Result struct {
	Metrics []Metrics
	Model   *graph.Model[float32]
}

// Train trains r.Spec from scratch, from Spec.FinetuneFrom, or from the
// checkpoint in Out (Resume) until Spec.Epochs epochs are done. Every epoch
// it evaluates, writes one Metrics line to Out/metrics.jsonl and to Log,
// and saves Out/checkpoint.safetensors. ctx is checked between steps: when
// it is cancelled Train saves a checkpoint of the exact position and
// returns an error wrapping ErrInterrupted. A non-finite loss or gradient
// returns an error wrapping ErrDiverged without saving. An output folder
// that cannot be written is an error before any training.
func (r *Run) Train(ctx context.Context) (*Result, error) {
	s := &r.Spec
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if r.Data == nil || r.Backend == nil {
		return nil, fmt.Errorf("train: run needs Data and Backend")
	}
	vec, err := Vectors(r.Backend)
	if err != nil {
		return nil, err
	}
	ckptPath := filepath.Join(r.Out, CheckpointFile)
	metricsPath := filepath.Join(r.Out, MetricsFile)

	var ck *Checkpoint
	if r.Resume {
		if _, err := os.Stat(ckptPath); err != nil {
			return nil, fmt.Errorf("train: resume: no checkpoint %s to continue: %w", ckptPath, err)
		}
		if ck, err = LoadCheckpoint(ckptPath); err != nil {
			return nil, err
		}
		// The starting weights matter only at the start: a resumed
		// fine-tuning run need not name them again.
		a, b := ck.Spec, *s
		a.FinetuneFrom, b.FinetuneFrom = "", ""
		if d := a.diff(&b); len(d) > 0 {
			return nil, fmt.Errorf("train: resume %s: the checkpoint's run differs in %v; resume with the same settings: %w", ckptPath, d, ErrSpec)
		}
	} else if _, err := os.Stat(ckptPath); err == nil {
		return nil, fmt.Errorf("train: %s: %w; continue it with resume or choose another output folder", ckptPath, ErrExists)
	}
	if err := r.prepareOut(); err != nil {
		return nil, err
	}

	model, err := resnet.New[float32](r.Backend, s.Net(), s.Seed)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	opt := s.optimizer(vec)
	sgd := opt.Base.(*optim.SGD[graph.Buffer])
	if err := opt.Validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	loader := r.Data.loader(s)
	nb := loader.Batches()
	if nb == 0 {
		return nil, fmt.Errorf("train: %d training images make no batch of %d: %w", r.Data.Train.Len(), s.BatchSize, ErrSpec)
	}
	total := s.Epochs * nb
	sched := s.schedule(nb)
	evalBatch := r.EvalBatch
	if evalBatch <= 0 {
		evalBatch = s.BatchSize
	}

	epoch, pos := 0, 0
	var acc Accum
	switch {
	case ck != nil:
		if err := model.Params().SetTensors(ck.Model); err != nil {
			return nil, fmt.Errorf("train: resume: %w", err)
		}
		if err := setSGDState(sgd, model, ck.SGD); err != nil {
			return nil, fmt.Errorf("train: resume: %w", err)
		}
		if err := opt.SetState(ck.SAM); err != nil {
			return nil, fmt.Errorf("train: resume: %w", err)
		}
		epoch, pos, acc = ck.Epoch, ck.Pos, ck.Acc
		if pos > nb {
			return nil, fmt.Errorf("train: resume: checkpoint at batch %d of an epoch of %d: %w", pos, nb, ErrCheckpoint)
		}
		if err := truncateMetrics(metricsPath, epoch); err != nil {
			return nil, err
		}
		r.logf("resuming at epoch %d, batch %d of %d", epoch+1, pos, nb)
	case s.FinetuneFrom != "":
		if err := LoadWeights(model, s.FinetuneFrom); err != nil {
			return nil, err
		}
		r.logf("starting from the weights of %s", s.FinetuneFrom)
	}

	// The optimizer steps the model's own weights: after a step they hold
	// the updated weights on any backend, which evaluation and checkpoints
	// read where they are.
	w := model.Params().Weights()
	save := func(e, p int, a Accum) error {
		c := &Checkpoint{Spec: *s, Model: model.Params().Tensors(), SGD: sgdState(sgd, model), Epoch: e, Pos: p, Acc: a}
		if err := deviceErr(model); err != nil {
			return err // the weights read back are not to be trusted
		}
		st, err := opt.State()
		if err != nil {
			return fmt.Errorf("train: checkpoint: %w", err)
		}
		c.SAM = st
		return c.Save(ckptPath)
	}
	interrupted := func(e, p int, a Accum) error {
		if err := save(e, p, a); err != nil {
			return err
		}
		return fmt.Errorf("train: stopped in epoch %d after %d of %d steps; checkpoint saved to %s: %w", e+1, p, nb, ckptPath, ErrInterrupted)
	}

	k := model.Classes()
	var cur *cifar.Batch
	obj := &Objective[float32]{Model: model}
	obj.Clean = func(lo, hi int, logits []float32) {
		for i := lo; i < hi; i++ {
			p := argmax(logits[(i-lo)*k : (i-lo+1)*k])
			if p != cur.Labels[i] {
				acc.Errors++
			}
			if p != cur.Clean[i] {
				acc.ErrClean++
			}
		}
	}

	res := &Result{Model: model}
	for ; epoch < s.Epochs; epoch, pos = epoch+1, 0 {
		opt.Epoch = epoch
		start := time.Now()
		wall0 := acc.WallSecs
		if pos < nb {
			if err := r.trainEpoch(ctx, loader, epoch, pos, nb, func(b *cifar.Batch) error {
				cur = b
				t0 := time.Now()
				sgd.LR = sched.LR(epoch*nb+b.Pos, total)
				obj.X, obj.Labels = b.Images, b.Labels
				st, err := opt.Step(w, b.Len(), obj.GradBuffers)
				if errors.Is(err, optim.ErrNonFinite) || (err == nil && (math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0))) {
					return fmt.Errorf("train: epoch %d step %d: loss %v (%v): the checkpoint of the last finished epoch in %s is left as it was; lower the learning rate or rho: %w",
						epoch+1, b.Pos+1, st.Loss, err, ckptPath, ErrDiverged)
				}
				if err != nil {
					return fmt.Errorf("train: epoch %d step %d: %w", epoch+1, b.Pos+1, err)
				}
				acc.TrainSecs += time.Since(t0).Seconds()
				acc.Images += b.Len()
				acc.LossSum += st.Loss * float64(b.Len())
				pos = b.Pos + 1
				if r.afterStep != nil {
					r.afterStep(epoch, b.Pos, w)
				}
				return nil
			}, &acc); err != nil {
				if errors.Is(err, ErrInterrupted) {
					acc.WallSecs = wall0 + time.Since(start).Seconds()
					return res, interrupted(epoch, pos, acc)
				}
				return res, err
			}
		}
		if ctx.Err() != nil {
			acc.WallSecs = wall0 + time.Since(start).Seconds()
			return res, interrupted(epoch, nb, acc)
		}
		m, err := r.evaluate(ctx, model, epoch, nb, sched, total, evalBatch, &acc)
		if err != nil {
			if ctx.Err() != nil {
				acc.WallSecs = wall0 + time.Since(start).Seconds()
				return res, interrupted(epoch, nb, acc)
			}
			return res, err
		}
		acc.WallSecs = wall0 + time.Since(start).Seconds()
		m.Seconds = acc.WallSecs
		if err := appendMetrics(metricsPath, m); err != nil {
			return res, err
		}
		if err := save(epoch+1, 0, Accum{}); err != nil {
			return res, err
		}
		if r.Log != nil {
			fmt.Fprintln(r.Log, m)
		}
		res.Metrics = append(res.Metrics, *m)
		acc = Accum{}
		if r.afterEpoch != nil {
			r.afterEpoch(epoch)
		}
	}
	return res, nil
}

// trainEpoch runs step on the batches of epoch from pos on, reporting
// progress; it returns ErrInterrupted (unwrapped) when ctx is cancelled
// before a step. After the epoch's last step the caller checks ctx.
func (r *Run) trainEpoch(ctx context.Context, l *cifar.Loader, epoch, pos, nb int, step func(*cifar.Batch) error, acc *Accum) error {
	// The loader gets its own context: cancelling ctx must stop the run
	// between two steps, not make the loader drop the next batch.
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	it, err := l.Epoch(lctx, epoch, pos)
	if err != nil {
		return fmt.Errorf("train: epoch %d: %w", epoch+1, err)
	}
	defer it.Close()
	prog := newProgress(r.Progress, r.Terminal, fmt.Sprintf("epoch %d/%d", epoch+1, r.Spec.Epochs), nb, pos)
	defer prog.clear()
	images0 := acc.Images
	for it.Next() {
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		b := it.Batch()
		if err := step(b); err != nil {
			return err
		}
		prog.update(b.Pos+1, acc.Images-images0, acc.LossSum/float64(max(acc.Images, 1)))
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("train: epoch %d: %w", epoch+1, err)
	}
	return nil
}

// evaluate builds the Metrics of the finished epoch: training numbers from
// acc, test and validation scores from evaluation passes.
func (r *Run) evaluate(ctx context.Context, model *graph.Model[float32], epoch, nb int, sched optim.Schedule, total, batch int, acc *Accum) (*Metrics, error) {
	s := &r.Spec
	lr := sched.LR(epoch*nb+nb-1, total)
	m := &Metrics{
		Epoch: epoch + 1, Steps: int64((epoch + 1) * nb), LR: lr, Rho: s.rhoAt(epoch, lr),
		TrainLoss: acc.LossSum / float64(max(acc.Images, 1)),
		TrainErr:  float64(acc.Errors) / float64(max(acc.Images, 1)),
	}
	if acc.TrainSecs > 0 {
		m.ImagesPerSec = float64(acc.Images) / acc.TrainSecs
	}
	if s.LabelNoise > 0 {
		e := float64(acc.ErrClean) / float64(max(acc.Images, 1))
		m.TrainErrClean = &e
	}
	if r.Data.Val != nil {
		v, err := Evaluate(ctx, model, r.Data.Val, r.Data.Norm, batch)
		if err != nil {
			return nil, err
		}
		m.ValLoss, m.ValErr = &v.Loss, &v.Err
	}
	t, err := Evaluate(ctx, model, r.Data.Test, r.Data.Norm, batch)
	if err != nil {
		return nil, err
	}
	m.TestLoss, m.TestErr = t.Loss, t.Err
	return m, nil
}

// rhoAt is ρ at a step of epoch with learning rate lr: 0 when that step is
// ERM (ρ = 0 or outside the SAM window).
func (s *Spec) rhoAt(epoch int, lr float64) float64 {
	if epoch < s.SAMFrom || (s.SAMUntil > 0 && epoch >= s.SAMUntil) {
		return 0
	}
	if s.RhoByLR {
		return s.Rho * lr
	}
	return s.Rho
}

// prepareOut creates the output folder and writes config.json (and the
// label-noise record), so that an unwritable folder fails before training.
func (r *Run) prepareOut() error {
	if r.Out == "" {
		return fmt.Errorf("train: no output folder")
	}
	if err := os.MkdirAll(r.Out, 0o755); err != nil {
		return fmt.Errorf("train: output folder: %w", err)
	}
	d := r.Data
	cfg := map[string]any{
		"spec":         r.Spec,
		"info":         r.Info,
		"data_sha256":  d.SHA256,
		"train_images": d.Train.Len(),
		"test_images":  d.Test.Len(),
	}
	if d.Val != nil {
		cfg["val_images"] = d.Val.Len()
	}
	if d.Norm != nil {
		cfg["norm"] = d.Norm
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("train: config: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(r.Out, ConfigFile), append(b, '\n')); err != nil {
		return fmt.Errorf("%w (is the output folder writable?)", err)
	}
	if r.Spec.LabelNoise > 0 {
		if err := d.Train.SaveLabels(filepath.Join(r.Out, LabelsFile)); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	if !r.Resume {
		return truncateMetrics(filepath.Join(r.Out, MetricsFile), 0)
	}
	return nil
}

func (r *Run) logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", args...)
	}
}
