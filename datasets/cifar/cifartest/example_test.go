package cifartest_test

import (
	"fmt"

	"github.com/samtrain/samtrain/datasets/cifar/cifartest"
)

func ExampleData() {
	d := cifartest.Data(16, 8)
	fmt.Println(d.Train.Len(), d.Test.Len(), len(d.Train.Image(0)))
	// Output: 16 8 3072
}
