package safetensors_test

import (
	"bytes"
	"fmt"

	"github.com/samtrain/samtrain/safetensors"
)

func Example() {
	var buf bytes.Buffer
	err := safetensors.Encode(&buf, map[string]safetensors.Tensor{
		"linear.bias": safetensors.Float32([]int{2}, []float32{0.5, -1}),
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ts, _, err := safetensors.Decode(buf.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := ts["linear.bias"].Float64s()
	fmt.Println(ts["linear.bias"].Dtype, ts["linear.bias"].Shape, v)
	// Output: F32 [2] [0.5 -1]
}
