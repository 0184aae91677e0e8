package train

import (
	"fmt"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/optim"
)

// vectorizer is a backend that does the optimizers' arithmetic on its own
// Buffers: graph/cpu and cuda.Backend.
type vectorizer interface {
	Vectors() optim.Vectors[graph.Buffer]
}

// Vectors returns the arithmetic of optim.SAM and optim.SGD on b's Buffers
// (b's Vectors method), with which they step a model's own weights
// (Params().Weights()) where they live: in host memory on graph/cpu, on the
// device on cuda.Backend. A backend without a Vectors method is an error.
func Vectors[T graph.Float](b graph.Backend[T]) (optim.Vectors[graph.Buffer], error) {
	v, ok := b.(vectorizer)
	if !ok {
		return nil, fmt.Errorf("train: backend %T has no Vectors() optim.Vectors[graph.Buffer] method: the optimizer cannot step its weights", b)
	}
	return v.Vectors(), nil
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
