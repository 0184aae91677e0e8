package train_test

import (
	"context"
	"fmt"

	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/train"
)

// ExampleBench times ERM, n-SAM and m-SAM (m = 4) steps of a tiny ResNet on
// batches of 8; samtrain bench prints the same results as a table.
func ExampleBench() {
	model, err := resnet.New[float32](&cpu.Backend[float32]{Par: 1}, resnet.Config{Width: 2, Input: [3]int{3, 8, 8}}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	methods := train.BenchMethods(8, 0.05, []int{8, 4})
	res, err := train.Bench(context.Background(), model, train.BenchConfig{Batch: 8, Steps: 2}, methods)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Printf("%s m=%d: %d passes per step, %d timed steps, images/s > 0: %v\n",
			r.Name, r.M, r.Passes, len(r.StepSeconds), r.ImagesPerSec > 0)
	}
	// Output:
	// ERM m=0: 1 passes per step, 2 timed steps, images/s > 0: true
	// n-SAM m=8: 2 passes per step, 2 timed steps, images/s > 0: true
	// m-SAM m=4: 4 passes per step, 2 timed steps, images/s > 0: true
}
