package graph_test

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
)

// Example defines a small network with the Builder, trains it for a few
// SGD steps on one batch, and saves and restores BatchNorm statistics.
func Example() {
	build := func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
		h := b.ReLU(b.BatchNorm2d("bn", b.Conv2d("conv", x, 4, 3, 2, 1)))
		return b.Linear("fc", b.GlobalAvgPool(h), 3)
	}
	m, err := graph.NewModel[float64](&cpu.Backend[float64]{}, [3]int{2, 6, 6}, build, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range m.Params().Entries() {
		fmt.Println(e.Name, e.Shape, e.Buffer)
	}
	x := make([]float64, 2*2*6*6)
	for i := range x {
		x[i] = float64(i%11) - 5
	}
	labels := []int{0, 2}
	saved := m.Params().SaveState() // BatchNorm running statistics
	first, _ := m.Grad(x, labels, graph.BNUpdate)
	var last float64
	for range 20 {
		w, g := m.Weights(), m.Gradient()
		for i := range w {
			w[i] -= 0.5 * g[i]
		}
		last, _ = m.Grad(x, labels, graph.BNUpdate)
	}
	fmt.Println("loss decreased:", last < first)
	if err := m.Params().RestoreState(saved); err != nil {
		fmt.Println(err)
	}
	v, _ := m.Params().Get("bn.running_var")
	fmt.Println("restored running_var:", v)
	// Output:
	// conv.weight [4 2 3 3] false
	// bn.weight [4] false
	// bn.bias [4] false
	// bn.running_mean [4] true
	// bn.running_var [4] true
	// bn.num_batches_tracked [] true
	// fc.weight [3 4] false
	// fc.bias [3] false
	// loss decreased: true
	// restored running_var: [1 1 1 1]
}
