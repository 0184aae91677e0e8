package optimtest_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/samtrain/samtrain/optim"
	"github.com/samtrain/samtrain/optim/optimtest"
)

// An implementation runs the suite in a test of its own package, with hooks that copy host
// values into a new vector and read a vector back; for host slices both are slices.Clone
// (cuda's test uploads into a new device buffer and downloads). The suite uses these
// lengths.
func ExampleVectors() {
	testHost := func(t *testing.T) {
		optimtest.Vectors(t, optim.Host[float32]{}, slices.Clone[[]float32], slices.Clone[[]float32], 0)
	}
	_ = testHost // func TestHost(t *testing.T) { ... } in a _test.go file
	fmt.Println(optimtest.Sizes)
	// Output: [0 1 7 33 300 1025]
}
