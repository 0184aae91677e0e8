package cpu_test

import (
	"testing"

	"github.com/samtrain/samtrain/graph/backendtest"
	"github.com/samtrain/samtrain/graph/cpu"
)

func TestBackendConformance(t *testing.T) {
	t.Run("float64", func(t *testing.T) { backendtest.Run(t, &cpu.Backend[float64]{Par: 2}, 1e-12) })
	t.Run("float64/serial", func(t *testing.T) { backendtest.Run(t, &cpu.Backend[float64]{}, 1e-12) })
	t.Run("float32", func(t *testing.T) { backendtest.Run(t, &cpu.Backend[float32]{Par: 2}, 1e-5) })
}
