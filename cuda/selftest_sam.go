package cuda

import (
	"fmt"
	"math"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
)

// samSteps checks the optimizers' device path: Vectors.Norm of a long vector against a
// float64 sum, then one n-SAM and one m-SAM step of a PreAct ResNet-18 with
// optim.SAM[graph.Buffer] and optim.SGD[graph.Buffer] on b.Vectors() (weights, gradients,
// saved weights, accumulated gradient and momentum on the device) against
// optim.SAM[[]float64] on graph/cpu in float64, from the same (float32) weights and batch.
// Checks: the weights after the step, the momentum buffer (after a first step, the SAM
// gradient with the L2 term: the strict measure) and the step's loss, perturbed loss and
// gradient norm.
func (st *selfTest) samSteps(b *Backend, small bool) {
	st.vectorsNorm(b)
	cfg, n := resnet.Config{Width: 4}, 8
	if small {
		cfg, n = resnet.Config{Width: 2, Input: [3]int{3, 16, 16}}, 4
	}
	in := cfg.Input
	if in == [3]int{} {
		in = [3]int{3, 32, 32}
	}
	per := in[0] * in[1] * in[2]
	x, x64 := st.randn(n*per, 1)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = st.r.IntN(10)
	}
	for _, m := range []int{0, n / 2} {
		name := "sam_step/n-SAM"
		if m > 0 {
			name = fmt.Sprintf("sam_step/m-SAM_m%d", m)
		}
		st.samStep(b, name, cfg, m, n, per, x, x64, labels)
		if b.Err() != nil {
			return // the Backend's error is sticky: a second step would repeat it
		}
	}
}

// samStep makes one SAM step with micro-batch m on the device and on the float64 CPU
// reference and records the checks name/weights, name/momentum, name/loss, name/perturbed_loss
// and name/grad_norm.
func (st *selfTest) samStep(b *Backend, name string, cfg resnet.Config, m, n, per int, x []float32, x64 []float64, labels []int) {
	fail := func(err error) { st.check(name, nil, nil, err) }
	const seed, lr, mu, wd, rho = 13, 0.1, 0.9, 5e-4, 0.05
	ref, err := resnet.New[float64](&cpu.Backend[float64]{Par: 2}, cfg, seed)
	if err != nil {
		fail(err)
		return
	}
	dm, err := resnet.New[float32](b, cfg, seed)
	if err != nil {
		fail(err)
		return
	}
	w64 := ref.Weights()
	w32 := to32(w64) // rounds the reference's weights to the device's
	state := ref.Params().SaveState()
	b.Upload(dm.Params().State(), to32(state))
	if err := ref.Params().RestoreState(state); err != nil {
		fail(err)
		return
	}

	vec := b.Vectors()
	dw := dm.Params().Weights() // stepped in place, as train does
	b.Upload(dw, w32)
	dsgd := &optim.SGD[graph.Buffer]{LR: lr, Momentum: mu, WeightDecay: wd, Vec: vec}
	dsam := &optim.SAM[graph.Buffer]{Base: dsgd, Vec: vec, Rho: rho, M: m}
	ds, err := dsam.Step(dw, n, func(p optim.Pass, w, g graph.Buffer) (float64, error) {
		return dm.GradBuffers(w, g, x[p.Lo*per:p.Hi*per], labels[p.Lo:p.Hi], graph.BNMode(p.BN))
	})
	if err == nil {
		err = b.Err()
	}
	if err != nil {
		fail(fmt.Errorf("device step: %w", err))
		return
	}
	gotW := make([]float32, len(w32))
	b.Download(gotW, dw)
	mom := dsgd.StateView().Momentum
	gotM := make([]float32, vec.Len(mom))
	b.Download(gotM, mom)
	if err := b.Err(); err != nil {
		fail(err)
		return
	}

	hsgd := &optim.SGD[[]float64]{LR: lr, Momentum: mu, WeightDecay: wd}
	hsam := &optim.SAM[[]float64]{Base: hsgd, Rho: rho, M: m}
	hs, err := hsam.Step(w64, n, func(p optim.Pass, w, g []float64) (float64, error) {
		return ref.GradAt(w, g, x64[p.Lo*per:p.Hi*per], labels[p.Lo:p.Hi], graph.BNMode(p.BN))
	})
	if err != nil {
		fail(fmt.Errorf("reference step: %w", err))
		return
	}
	st.check64(name+"/weights", gotW, w64)
	st.check64(name+"/momentum", gotM, hsgd.State().Momentum)
	st.check64(name+"/loss", []float32{float32(ds.Loss)}, []float64{hs.Loss})
	st.check64(name+"/perturbed_loss", []float32{float32(ds.PerturbedLoss)}, []float64{hs.PerturbedLoss})
	st.check64(name+"/grad_norm", []float32{float32(ds.GradNorm)}, []float64{hs.GradNorm})
}

// vectorsNorm checks Vectors.Norm (float64 block partial sums and their float64 total) on a
// vector whose length is no multiple of the block size and spans every block of the grid.
func (st *selfTest) vectorsNorm(b *Backend) {
	n := 1_000_003/st.div | 1
	x, x64 := st.randn(n, 1)
	vec := b.Vectors()
	v := vec.New(n)
	b.Upload(v, x)
	got := vec.Norm(v)
	var s float64
	for _, e := range x64 {
		s += e * e
	}
	c := Check{Name: "vectors/norm", Tol: selfTestTol}
	if err := b.Err(); err != nil {
		c.Err, c.RelErr = err.Error(), math.MaxFloat64
	} else {
		c.RelErr = math.Abs(got-math.Sqrt(s)) / math.Sqrt(s)
		c.Pass = c.RelErr <= c.Tol
	}
	st.checks = append(st.checks, c)
}
