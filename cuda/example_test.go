package cuda_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/samtrain/samtrain/cuda"
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
