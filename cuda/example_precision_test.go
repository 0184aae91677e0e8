package cuda_test

import (
	"fmt"

	"github.com/samtrain/samtrain/cuda"
)

// ParsePrecision reads --precision; PrecisionTol is how loosely the self-test judges a
// check in each precision (u = 2^-11 for TF32, 2^-8 for bfloat16).
func ExampleParsePrecision() {
	for _, s := range []string{"fp32", "tf32", "bf16", "fp16"} {
		p, err := cuda.ParsePrecision(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		tol, _ := cuda.PrecisionTol("conv_3x3_s1_fwd", p)
		fmt.Printf("%v: convolution checked to %.1e\n", p, tol)
	}
	// Output:
	// fp32: convolution checked to 1.0e-04
	// tf32: convolution checked to 3.9e-03
	// bf16: convolution checked to 3.1e-02
	// cuda: unknown precision "fp16": want one of fp32, tf32, bf16
}

// A Backend whose convolutions and GEMMs run in bfloat16 mixed precision: set before the
// model is built, as the command does for --precision bf16. (Not run: it needs a GPU.)
func ExampleBackend_SetPrecision() {
	d, err := cuda.Open(cuda.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	b, err := cuda.NewBackend(d)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	if err := b.SetPrecision(cuda.BF16); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Precision())
}
