package cuda_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/samtrain/samtrain/cuda"
	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/nets/resnet"
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

// A SAM ascent step on the device: the squared norm stays on the GPU, the weights are saved
// and restored by copy. (Not run: it needs a GPU.)
func Example() {
	cache, _ := cuda.DefaultCacheDir()
	d, err := cuda.Open(cuda.Config{Dirs: cuda.SearchDirs("/", os.Getenv), CacheDir: cache})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	k, err := d.Kernels()
	if err != nil {
		log.Fatal(err)
	}
	s, err := d.NewStream()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	const n = 1 << 20
	w, _ := d.Alloc(n * 4)
	g, _ := d.Alloc(n * 4)
	saved, _ := d.Alloc(n * 4)
	norm2, _ := d.Alloc(4)
	_ = s.Copy(saved, w, n*4)
	_ = k.SumSquares(s, g, n, norm2)
	_ = k.SAMPerturb(s, w, g, norm2, 0.05, 1e-12, n)
	// ... gradient at the perturbed weights into g ...
	_ = s.Copy(w, saved, n*4)
	if err := s.Synchronize(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(d)
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
