package cuda_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/samtrain/samtrain/cuda"
	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
)

// Select picks the device from a --device flag; "auto" falls back to the CPU with one line.
func ExampleSelect() {
	open := func() (*cuda.Device, error) {
		return nil, errors.New("cuda: cannot load libcuda.so.1 (tried libcuda.so.1)")
	}
	_, useCUDA, note, err := cuda.Select("auto", open)
	fmt.Println(useCUDA, err)
	fmt.Println(note)
	// Output:
	// false <nil>
	// device: cpu, because CUDA is unavailable: cuda: cannot load libcuda.so.1 (tried libcuda.so.1)
}

// SizeClass shows how the caching allocator rounds requests.
func ExampleSizeClass() {
	for _, n := range []uint64{100, 1000, 5000, 3 << 20} {
		fmt.Println(n, cuda.SizeClass(n))
	}
	// Output:
	// 100 512
	// 1000 1024
	// 5000 5120
	// 3145728 3145728
}

// SAM steps with weights, gradients and optimizer state on the GPU: optim.SAM and
// optim.SGD over graph.Buffer with the Backend's Vectors. Only the loss and the gradient
// norms come back to the host. (Not run: it needs a GPU.)
func ExampleBackend_Vectors() {
	d, err := cuda.Open(cuda.Config{Dirs: cuda.SearchDirs("/", os.Getenv)})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	b, err := cuda.NewBackend(d)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	m, err := resnet.New[float32](b, resnet.Config{}, 1)
	if err != nil {
		log.Fatal(err)
	}
	vec := b.Vectors()
	sam := &optim.SAM[graph.Buffer]{
		Base: &optim.SGD[graph.Buffer]{LR: 0.1, Momentum: 0.9, WeightDecay: 5e-4, Vec: vec},
		Vec:  vec, Rho: 0.05, M: 32,
	}
	const per = 3 * 32 * 32
	x, labels := make([]float32, 128*per), make([]int, 128) // one batch
	grad := func(p optim.Pass, w, g graph.Buffer) (float64, error) {
		return m.GradBuffers(w, g, x[p.Lo*per:p.Hi*per], labels[p.Lo:p.Hi], graph.BNMode(p.BN))
	}
	w := m.Params().Weights() // stepped in place, on the device
	st, err := sam.Step(w, 128, grad)
	if err == nil {
		err = b.Err()
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Loss, st.GradNorm)
}

// A model's gradient on the GPU: the graph runs on a Backend, only the batch goes up and the
// loss comes down. (Not run: it needs a GPU.)
func ExampleBackend() {
	d, err := cuda.Open(cuda.Config{Dirs: cuda.SearchDirs("/", os.Getenv)})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	b, err := cuda.NewBackend(d)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	m, err := resnet.New[float32](b, resnet.Config{}, 1) // PreAct ResNet-18, CIFAR-10
	if err != nil {
		log.Fatal(err)
	}
	x, labels := make([]float32, 128*3*32*32), make([]int, 128)
	loss, err := m.Grad(x, labels, graph.BNUpdate)
	if err == nil {
		err = b.Err()
	}
	if err != nil {
		log.Fatal(err)
	}
	conv1, _ := m.Params().Grad("conv1.weight") // downloaded from the device
	fmt.Println(loss, len(conv1))
}
