package resnet_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
)

// Example builds the paper's PreAct ResNet-18 for CIFAR-10 and takes one
// plain SGD step on a random batch. The parameter counts are PyTorch's for
// the same models (testdata/gen_fixtures.py).
func Example() {
	for _, cfg := range []resnet.Config{{}, {Arch: resnet.ResNet18}, {Arch: resnet.ResNet34, Classes: 100}} {
		m, err := resnet.New[float32](&cpu.Backend[float32]{Par: 2}, cfg, 1)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(cfg.Arch, m.Params().NumWeights(), "weights in", len(m.Params().Entries()), "tensors")
	}

	// A narrow network for a quick step.
	m, err := resnet.New[float32](&cpu.Backend[float32]{Par: 2}, resnet.Config{Width: 8}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 4*3*32*32)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	labels := []int{3, 1, 4, 1}
	loss, err := m.Grad(x, labels, graph.BNUpdate) // writes m.Gradient()
	if err != nil {
		fmt.Println(err)
		return
	}
	w, g := m.Weights(), m.Gradient()
	for i := range w {
		w[i] -= 0.1 * g[i] // the model reads its weights from w
	}
	after, err := m.Grad(x, labels, graph.BNFrozen)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("loss went down:", after < loss)
	// Output:
	// preact-resnet18 11172170 weights in 107 tensors
	// resnet18 11173962 weights in 122 tensors
	// resnet34 21328292 weights in 218 tensors
	// loss went down: true
}
