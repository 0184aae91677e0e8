//go:build unix

package benchmarks

import (
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
	"github.com/samtrain/samtrain/train"
)

// BenchmarkSAMStep measures one optimizer step of the paper's PreAct
// ResNet-18 (10 classes, BatchNorm, float32, 2 goroutines per kernel) at
// batch 128 on random inputs, through train.Objective and optim.SAM around
// SGD (momentum 0.9, weight decay 5e-4 as an L2 term): ERM (ρ = 0, one
// pass), n-SAM (m = 128) and m-SAM for m = 64, 32, 8 (m = B/4 is 32), at
// width 16 (quick) and 64 (the paper's). It reports images/s and the
// process CPU time per step (cpu-s/op, user + system, all threads: on a
// machine shared with other work a steadier measure of the step's cost than
// wall time); the SAM/ERM ratios are in benchmarks/README.md.
// samtrain bench measures the same steps from the command line.
func BenchmarkSAMStep(b *testing.B) {
	const batch = 128
	for _, width := range []int{16, 64} {
		for _, m := range train.BenchMethods(batch, 0.05, []int{64, 32, 8}) {
			name := m.Name
			if m.Rho > 0 {
				name += "/m=" + strconv.Itoa(m.M)
			}
			b.Run("width="+strconv.Itoa(width)+"/"+name, func(b *testing.B) {
				be := &cpu.Backend[float32]{Par: 2}
				model, err := resnet.New[float32](be, resnet.Config{Width: width}, 1)
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, 2))
				x := make([]float32, batch*3*32*32)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				labels := make([]int, batch)
				for i := range labels {
					labels[i] = rng.IntN(10)
				}
				obj := &train.Objective[float32]{Model: model, X: x, Labels: labels}
				vec := be.Vectors() // as train does: the optimizer steps the model's own weight buffer
				opt := &optim.SAM[graph.Buffer]{
					Base: &optim.SGD[graph.Buffer]{LR: 0.01, Momentum: 0.9, WeightDecay: 5e-4, Vec: vec},
					Vec:  vec, Rho: m.Rho, M: m.M,
				}
				w := model.Params().Weights()
				step := func() {
					if _, err := opt.Step(w, batch, obj.GradBuffers); err != nil {
						b.Fatal(err)
					}
				}
				step() // build the graphs and allocate outside the timing
				c0 := cpuSeconds(b)
				b.ResetTimer()
				for b.Loop() {
					step()
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
				b.ReportMetric((cpuSeconds(b)-c0)/float64(b.N), "cpu-s/op")
			})
		}
	}
}

// cpuSeconds returns the CPU time (user + system) the process has used.
func cpuSeconds(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)*1e-6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
