package dln

import (
	"context"
	"testing"
)

// BenchmarkOneSAMStep measures one 1-SAM iteration (n = 20, d = 30, the paper's
// default problem): 20 ascent and 20 descent gradients through optim.SAM with
// M = 1. Time per 10^6 iterations = 10^6 × ns/op.
func BenchmarkOneSAMStep(b *testing.B) {
	data, err := Generate(DataConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	// EvalPoints 1 records only iterations 0, 1 and the last.
	if _, err := Run(context.Background(), data, RunConfig{
		Phases: []Phase{{OneSAM, 0.1, b.N}}, EvalPoints: 1}); err != nil {
		b.Fatal(err)
	}
}
