//go:build unix

package dln

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the user+system CPU time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOneSAMStep measures one 1-SAM iteration (n = 20, d = 30, the paper's
// default problem): 20 ascent and 20 descent gradients through optim.SAM with
// M = 1. Time per 10^6 iterations = 10^6 × ns/op. Besides wall time it reports
// cpu-ns/op, the process's CPU time per iteration, which is what one core
// spends even when other processes share it (run with GOMAXPROCS=1).
func BenchmarkOneSAMStep(b *testing.B) {
	data, err := Generate(DataConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime(b)
	// EvalPoints 1 records only iterations 0, 1 and the last.
	if _, err := Run(context.Background(), data, RunConfig{
		Phases: []Phase{{OneSAM, 0.1, b.N}}, EvalPoints: 1}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(cpuTime(b)-c0)/float64(b.N), "cpu-ns/op")
}
