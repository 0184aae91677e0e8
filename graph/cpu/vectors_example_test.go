package cpu_test

import (
	"fmt"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/optim"
)

func ExampleBackend_Vectors() {
	// One SGD step w ← w − 0.5·g on a weight Buffer, in place.
	b := &cpu.Backend[float32]{}
	w, g := b.Alloc(3), b.Alloc(3)
	b.Upload(w, []float32{1, 2, 3})
	b.Upload(g, []float32{2, 2, -2})
	sgd := &optim.SGD[graph.Buffer]{LR: 0.5, Vec: b.Vectors()}
	if err := sgd.Update(w, g); err != nil {
		fmt.Println(err)
	}
	fmt.Println(b.Data(w))
	// Output: [0 1 4]
}
