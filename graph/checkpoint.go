package graph

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/samtrain/samtrain/safetensors"
)

// Tensors returns every parameter and buffer as a safetensors tensor named
// as in the store (PyTorch state_dict names): parameters and running
// statistics in T's dtype (F32 or F64), counters (names ending in
// "num_batches_tracked") as I64, as PyTorch stores them.
func (p *Params[T]) Tensors() map[string]safetensors.Tensor {
	ts := make(map[string]safetensors.Tensor, len(p.entries))
	for _, e := range p.entries {
		v := make([]T, e.Len)
		p.b.Download(v, p.view(e))
		ts[e.Name] = toTensor(e, v)
	}
	return ts
}

func toTensor[T Float](e Entry, v []T) safetensors.Tensor {
	if isCounter(e.Name) {
		iv := make([]int64, len(v))
		for i, x := range v {
			iv[i] = int64(math.Round(float64(x)))
		}
		return safetensors.Int64(e.Shape, iv)
	}
	switch s := any(v).(type) {
	case []float32:
		return safetensors.Float32(e.Shape, s)
	case []float64:
		return safetensors.Float64(e.Shape, s)
	}
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return safetensors.Float64(e.Shape, f)
}

func isCounter(name string) bool { return strings.HasSuffix(name, "num_batches_tracked") }

// SetTensors sets every parameter and buffer from ts (F32, F64, I32 or I64
// tensors, converted to T). Every entry of the store must be present with
// its shape; extra tensors are an error too, so that a checkpoint of
// another network is not half-loaded. Nothing is changed on error.
func (p *Params[T]) SetTensors(ts map[string]safetensors.Tensor) error {
	vals := make([][]T, len(p.entries))
	for i, e := range p.entries {
		t, ok := ts[e.Name]
		if !ok {
			return fmt.Errorf("graph: checkpoint lacks %s", e.Name)
		}
		if !slices.Equal(t.Shape, e.Shape) {
			return fmt.Errorf("graph: checkpoint %s has shape %v, want %v", e.Name, t.Shape, e.Shape)
		}
		f, err := t.Float64s()
		if err != nil {
			return fmt.Errorf("graph: checkpoint %s: %w", e.Name, err)
		}
		v := make([]T, len(f))
		for j, x := range f {
			v[j] = T(x)
		}
		vals[i] = v
	}
	if len(ts) != len(p.entries) {
		for name := range ts {
			if _, ok := p.index[name]; !ok {
				return fmt.Errorf("graph: checkpoint has unknown tensor %s", name)
			}
		}
	}
	for i, e := range p.entries {
		p.b.Upload(p.view(e), vals[i])
	}
	return nil
}

// SaveFile writes every parameter and buffer to path as safetensors,
// atomically.
func (p *Params[T]) SaveFile(path string) error {
	if err := safetensors.WriteFile(path, p.Tensors(), map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("graph: save %s: %w", path, err)
	}
	return nil
}

// LoadFile sets every parameter and buffer from the safetensors file at
// path (see SetTensors).
func (p *Params[T]) LoadFile(path string) error {
	ts, _, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("graph: load: %w", err)
	}
	if err := p.SetTensors(ts); err != nil {
		return fmt.Errorf("%w (file %s)", err, path)
	}
	return nil
}
