package dln_test

import (
	"context"
	"fmt"

	"github.com/samtrain/samtrain/experiments/dln"
)

// Example trains the paper's default problem with GD and with 1-SAM and compares
// the sparsity of the solutions and their effective α.
func Example() {
	data, err := dln.Generate(dln.DataConfig{}) // n=20, d=30, k=3, np.random.seed(0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []dln.Phase{{Method: dln.GD, Iters: 10000}, {Method: dln.OneSAM, Rho: 0.3, Iters: 10000}} {
		res, err := dln.Run(context.Background(), data, dln.RunConfig{Phases: []dln.Phase{p}})
		if err != nil {
			fmt.Println(err)
			return
		}
		alpha, _, err := dln.EffectiveAlpha(data.X, data.Y, data.N, data.D, res.Beta)
		if err != nil {
			fmt.Println(err)
			return
		}
		exact, _ := dln.Support(res.Beta, data.BetaStar, 1e-2)
		fmt.Printf("%-5s test loss %.0e, support recovered: %v, effective alpha %.0e\n", p.Method, res.Test, exact, alpha)
	}
	// Output:
	// GD    test loss 2e-02, support recovered: false, effective alpha 5e-02
	// 1-SAM test loss 1e-08, support recovered: true, effective alpha 3e-05
}
