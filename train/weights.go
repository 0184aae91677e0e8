package train

import (
	"fmt"

	"github.com/samtrain/samtrain/graph"
)

// hostWeights is the optimizer's view of a model's flat weights. On a host
// backend (graph/cpu) it is the model's own slice (Model.Weights), so every
// change the optimizer makes is the model's at once. On a device backend
// (cuda.Backend) it is a host copy: Objective.Grad uploads it before every
// gradient pass (Model.GradAt), and push uploads it before anything else
// reads the device weights (evaluation, checkpoints), since after a SAM step
// the device holds the perturbed weights of the step's last pass.
type hostWeights[T graph.Float] struct {
	m      *graph.Model[T]
	w      []T
	shared bool // w is the model's own memory
}

// newHostWeights returns the host view of m's weights, holding their
// current values.
func newHostWeights[T graph.Float](m *graph.Model[T]) *hostWeights[T] {
	if w := m.Weights(); w != nil {
		return &hostWeights[T]{m: m, w: w, shared: true}
	}
	h := &hostWeights[T]{m: m, w: make([]T, m.Params().NumWeights())}
	h.pull()
	return h
}

// pull copies the model's weights into the host view (after loading a
// checkpoint into the model).
func (h *hostWeights[T]) pull() {
	if !h.shared {
		p := h.m.Params()
		p.Backend().Download(h.w, p.Weights())
	}
}

// push copies the host view into the model's weights.
func (h *hostWeights[T]) push() {
	if !h.shared {
		p := h.m.Params()
		p.Backend().Upload(p.Weights(), h.w)
	}
}

// failer is a backend whose kernels record a failed device call instead of
// returning it (cuda.Backend): the loops ask after each step.
type failer interface{ Err() error }

// deviceErr returns the first failed call of m's backend, wrapped, or nil
// (always nil on a host backend).
func deviceErr[T graph.Float](m *graph.Model[T]) error {
	if f, ok := m.Params().Backend().(failer); ok {
		if err := f.Err(); err != nil {
			return fmt.Errorf("train: device: %w", err)
		}
	}
	return nil
}
