package train

import (
	"math/rand/v2"
	"testing"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
)

// BenchmarkSAMStepPath compares one m-SAM step (m = 8, batch 32, four
// passes) of a width-8 PreAct ResNet-18 on graph/cpu (float32, 2 goroutines
// per kernel) through the two GradFuncs of Objective: "buffers" is what Run
// and Bench do (optim.SAM[graph.Buffer] with the backend's Vectors on
// Params().Weights(), Objective.GradBuffers), "host" the host path it
// replaced (optim.SAM[[]float32] on Model.Weights(), Objective.Grad). Both
// run the same kernels on the same memory; the difference is the interface
// calls of Vectors.
func BenchmarkSAMStepPath(b *testing.B) {
	const batch, m = 32, 8
	for _, path := range []string{"host", "buffers"} {
		b.Run(path, func(b *testing.B) {
			be := &cpu.Backend[float32]{Par: 2}
			model, err := resnet.New[float32](be, resnet.Config{Arch: resnet.PreActResNet18, Width: 8}, 1)
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
			obj := &Objective[float32]{Model: model, X: x, Labels: labels}
			var step func() error
			switch path {
			case "host":
				opt := &optim.SAM[[]float32]{Base: &optim.SGD[[]float32]{LR: 0.01, Momentum: 0.9, WeightDecay: 5e-4}, Rho: 0.05, M: m}
				w := model.Weights()
				step = func() error { _, err := opt.Step(w, batch, obj.Grad); return err }
			default:
				vec := be.Vectors()
				opt := &optim.SAM[graph.Buffer]{Base: &optim.SGD[graph.Buffer]{LR: 0.01, Momentum: 0.9, WeightDecay: 5e-4, Vec: vec}, Vec: vec, Rho: 0.05, M: m}
				w := model.Params().Weights()
				step = func() error { _, err := opt.Step(w, batch, obj.GradBuffers); return err }
			}
			if err := step(); err != nil { // build the graphs and allocate outside the timing
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if err := step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
			b.ReportMetric(float64(model.Params().NumWeights()), "weights")
		})
	}
}
