package train

import (
	"fmt"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/optim"
)

// Objective adapts a model and the current batch to optim.GradFunc: a pass
// over examples [Lo, Hi) runs Model.GradAt at the pass's weights on that
// slice of X and Labels with the pass's BatchNorm mode. The weights the
// optimizer steps may be the model's own (Model.Weights, on a host backend:
// nothing is copied) or any host slice of NumWeights elements (a copy, as on
// a device backend: uploaded before each pass, the gradient downloaded
// after it). In the second case the model holds the weights of the last
// pass, not the optimizer's final ones: upload those before evaluating.
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

// Grad is an optim.GradFunc.
func (o *Objective[T]) Grad(p optim.Pass, w, grad []T) (float64, error) {
	m := o.Model
	if p.Lo < 0 || p.Hi > len(o.Labels) || p.Lo >= p.Hi {
		return 0, fmt.Errorf("train: pass range [%d, %d) outside batch of %d", p.Lo, p.Hi, len(o.Labels))
	}
	per := m.Input()[0] * m.Input()[1] * m.Input()[2]
	loss, err := m.GradAt(w, grad, o.X[p.Lo*per:p.Hi*per], o.Labels[p.Lo:p.Hi], graph.BNMode(p.BN))
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
