package cpu_test

import (
	"math/rand/v2"
	"testing"

	"github.com/samtrain/samtrain/graph/cpu"
)

// BenchmarkReLUBackward times ReLUBackward on 1M float32 elements whose
// signs are random (half the outputs 0), one goroutine.
func BenchmarkReLUBackward(b *testing.B) {
	const n = 1 << 20
	be := &cpu.Backend[float32]{}
	rng := rand.New(rand.NewPCG(1, 1))
	x, dy := make(cpu.Slice[float32], n), make(cpu.Slice[float32], n)
	for i := range x {
		x[i], dy[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	y, dx := make(cpu.Slice[float32], n), make(cpu.Slice[float32], n)
	be.ReLU(x, y)
	b.SetBytes(3 * 4 * n)
	for b.Loop() {
		be.ReLUBackward(y, dy, dx)
	}
}

// BenchmarkReLU times ReLU on 1M float32 elements of random sign, one
// goroutine.
func BenchmarkReLU(b *testing.B) {
	const n = 1 << 20
	be := &cpu.Backend[float32]{}
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := make(cpu.Slice[float32], n), make(cpu.Slice[float32], n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	b.SetBytes(2 * 4 * n)
	for b.Loop() {
		be.ReLU(x, y)
	}
}
