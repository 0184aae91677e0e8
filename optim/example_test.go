package optim_test

import (
	"fmt"

	"github.com/samtrain/samtrain/optim"
)

// One SAM step on two examples with per-example losses ℓ_i(w) = ½(x_i·w − y_i)²,
// x = (1, 2), y = (2, −1), from w = 1 with γ = ρ = 0.1. The per-example gradients at w
// are −1 and 6. n-SAM perturbs both examples by ρ·sign(2.5) = +0.1 and descends along the
// mean gradient at 1.1, (−0.9 + 6.4)/2 = 2.75; 1-SAM (M = 1) perturbs each example along
// its own gradient, to 0.9 and 1.1, and descends along (−1.1 + 6.4)/2 = 2.65.
func ExampleSAM() {
	x, y := []float64{1, 2}, []float64{2, -1}
	grad := func(p optim.Pass, w, g []float64) (float64, error) {
		var loss, dw float64
		for i := p.Lo; i < p.Hi; i++ {
			r := x[i]*w[0] - y[i]
			loss += 0.5 * r * r
			dw += r * x[i]
		}
		n := float64(p.Hi - p.Lo)
		g[0] = dw / n
		return loss / n, nil
	}
	for _, m := range []int{0, 1} {
		sam := &optim.SAM[[]float64]{Base: &optim.SGD[[]float64]{LR: 0.1}, Rho: 0.1, M: m}
		w := []float64{1}
		st, err := sam.Step(w, len(x), grad)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("M=%d: w = %.4f, loss %.4f, perturbed loss %.4f\n", m, w[0], st.Loss, st.PerturbedLoss)
	}
	// Output:
	// M=0: w = 0.7250, loss 2.5000, perturbed loss 2.7625
	// M=1: w = 0.7350, loss 2.5000, perturbed loss 2.8625
}

// A training loop: the loop owns time. It sets the learning rate from a schedule before
// each step and the epoch before each epoch; here SAM is switched on for the last two of
// four epochs (the paper's ERM→SAM switch), with ρ proportional to the learning rate.
func ExampleSchedule() {
	const epochs, perEpoch = 4, 2
	sgd := &optim.SGD[[]float32]{LR: 0.1, Momentum: 0.9, WeightDecay: 5e-4}
	sam := &optim.SAM[[]float32]{Base: sgd, Rho: 0.5, RhoByLR: true, FromEpoch: 2}
	sched := optim.Piecewise{Base: 0.1}
	w := []float32{1, -1}
	grad := func(p optim.Pass, w, g []float32) (float64, error) { // f(w) = ½‖w‖²
		copy(g, w)
		return 0.5 * float64(w[0]*w[0]+w[1]*w[1]), nil
	}
	for epoch := range epochs {
		sam.Epoch = epoch
		for i := range perEpoch {
			step := epoch*perEpoch + i
			sgd.LR = sched.LR(step, epochs*perEpoch)
			if _, err := sam.Step(w, 128, grad); err != nil {
				fmt.Println(err)
				return
			}
		}
		fmt.Printf("epoch %d: lr %.3f, sam %v\n", epoch, sgd.LR, sam.Active())
	}
	// Output:
	// epoch 0: lr 0.100, sam false
	// epoch 1: lr 0.010, sam false
	// epoch 2: lr 0.001, sam true
	// epoch 3: lr 0.001, sam true
}
