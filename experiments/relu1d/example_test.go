package relu1d_test

import (
	"context"
	"fmt"

	"github.com/samtrain/samtrain/experiments/relu1d"
)

// Example fits the paper's 12 points with a small network and a short run and
// counts the kinks of the fitted function inside the data range.
func Example() {
	res, err := relu1d.Train(context.Background(), relu1d.Config{Hidden: 20, Seed: 1, LR: 5e-4, MaxSteps: 20000})
	if err != nil {
		fmt.Println(err)
		return
	}
	x, y := relu1d.Points()
	net := &relu1d.Net{H: 20, X: x, Y: y}
	kinks := net.Kinks(res.Params, x[0], x[len(x)-1], 0.1, 1e-3)
	fmt.Printf("%d steps, loss %.2f, %d kinks\n", res.Steps, res.Loss, len(kinks))
	// Output: 20000 steps, loss 0.30, 13 kinks
}
