package train

import (
	"fmt"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/optim"
)

// Objective adapts a model and the current batch to optim.GradFunc: a pass
// over examples [Lo, Hi) runs Model.Grad on that slice of X and Labels with
// the pass's BatchNorm mode. The optimizer must step Model.Weights() itself,
// so that the model sees every perturbation.
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
	if len(w) == 0 || &w[0] != &m.Weights()[0] {
		return 0, fmt.Errorf("train: optimizer weights are not the model's")
	}
	if p.Lo < 0 || p.Hi > len(o.Labels) || p.Lo >= p.Hi {
		return 0, fmt.Errorf("train: pass range [%d, %d) outside batch of %d", p.Lo, p.Hi, len(o.Labels))
	}
	per := m.Input()[0] * m.Input()[1] * m.Input()[2]
	loss, err := m.Grad(o.X[p.Lo*per:p.Hi*per], o.Labels[p.Lo:p.Hi], graph.BNMode(p.BN))
	if err != nil {
		return 0, err
	}
	if g := m.Gradient(); &grad[0] != &g[0] {
		copy(grad, g)
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
		o.Clean(p.Lo, p.Hi, o.logits)
	}
	return loss, nil
}
