package graph

import (
	"testing"

	"gorgonia.org/gorgonia"
)

// TestGorgoniaImports guards the go4.org/unsafe/assume-no-moving-gc pin in
// go.mod: the 2022 version that gorgonia.org/tensor pulls in panics in its
// init on Go >= 1.22, which would kill this test binary before it runs.
func TestGorgoniaImports(t *testing.T) {
	g := gorgonia.NewGraph()
	x := gorgonia.NewScalar(g, gorgonia.Float64, gorgonia.WithValue(2.0), gorgonia.WithName("x"))
	if got, want := x.Value().Data().(float64), 2.0; got != want {
		t.Fatalf("scalar value = %v, want %v", got, want)
	}
}
