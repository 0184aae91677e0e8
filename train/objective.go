package train

import (
	"fmt"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/optim"
)

// Objective adapts a model and the current batch to an optim.GradFunc: a
// pass over examples [Lo, Hi) computes the gradient at the pass's weights on
// that slice of X and Labels with the pass's BatchNorm mode.
//
// GradBuffers is the GradFunc of optim.SAM[graph.Buffer] with the backend's
// Vectors, as Run and Bench use it: the optimizer steps the model's own
// weights (Params().Weights()) and nothing is copied, on the host or on a
// device (Model.GradBuffers). Grad is the GradFunc of optim.SAM[[]T] on
// weights in host memory (Model.GradAt: free for Model.Weights(), else the
// weights are uploaded and the gradient downloaded each pass). Both leave
// in the model the weights of the last pass, which for the model's own
// weights are the optimizer's final ones.
//
// On a backend that records failures instead of returning them (one with an
// Err() error method, as cuda.Backend), every pass checks it.
//
// Set X and Labels before each optimizer step; the Objective allocates
// nothing per step.
type Objective[T graph.Float] struct {
	Model  *graph.Model[T]
	X      []T   // the batch, n×C×H×W
	Labels []int // the batch's labels, len n

	// Clean, if non-nil, is called after every clean pass with the
	// pass's range and the logits of those examples (row-major,
	// (Hi−Lo)×classes, valid during the call only): the training loop
	// counts training errors from it.
	Clean func(lo, hi int, logits []T)

	logits []T
}

// GradBuffers is an optim.GradFunc[graph.Buffer]: w and grad are Buffers of
// the model's backend.
func (o *Objective[T]) GradBuffers(p optim.Pass, w, grad graph.Buffer) (float64, error) {
	x, labels, err := o.batch(p)
	if err != nil {
		return 0, err
	}
	loss, err := o.Model.GradBuffers(w, grad, x, labels, graph.BNMode(p.BN))
	return o.finish(p, loss, err)
}

// Grad is an optim.GradFunc[[]T]: w and grad are in host memory.
func (o *Objective[T]) Grad(p optim.Pass, w, grad []T) (float64, error) {
	x, labels, err := o.batch(p)
	if err != nil {
		return 0, err
	}
	loss, err := o.Model.GradAt(w, grad, x, labels, graph.BNMode(p.BN))
	return o.finish(p, loss, err)
}

// batch returns the examples of the pass p.
func (o *Objective[T]) batch(p optim.Pass) ([]T, []int, error) {
	if p.Lo < 0 || p.Hi > len(o.Labels) || p.Lo >= p.Hi {
		return nil, nil, fmt.Errorf("train: pass range [%d, %d) outside batch of %d", p.Lo, p.Hi, len(o.Labels))
	}
	in := o.Model.Input()
	per := in[0] * in[1] * in[2]
	return o.X[p.Lo*per : p.Hi*per], o.Labels[p.Lo:p.Hi], nil
}

// finish checks the device after the pass p, which returned loss and err,
// and calls Clean after a clean pass.
func (o *Objective[T]) finish(p optim.Pass, loss float64, err error) (float64, error) {
	m := o.Model
	if err != nil {
		return 0, err
	}
	if err := deviceErr(m); err != nil {
		return 0, err
	}
	if o.Clean != nil && p.Kind == optim.Clean {
		n := (p.Hi - p.Lo) * m.Classes()
		if cap(o.logits) < n {
			o.logits = make([]T, n)
		}
		o.logits = o.logits[:n]
		if err := m.Logits(o.logits); err != nil {
			return 0, err
		}
		if err := deviceErr(m); err != nil {
			return 0, err
		}
		o.Clean(p.Lo, p.Hi, o.logits)
	}
	return loss, nil
}
