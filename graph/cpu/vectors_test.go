package cpu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/optim"
)

// TestVectors checks each method of Backend.Vectors on small Buffers against results
// worked out by hand (every value below is exact in float32), for float32 and float64.
func TestVectors(t *testing.T) {
	t.Run("float32", testVectors[float32])
	t.Run("float64", testVectors[float64])
}

func testVectors[T Float](t *testing.T) {
	b := &Backend[T]{}
	v := b.Vectors()
	if n := v.Len(nil); n != 0 {
		t.Errorf("Len(nil) = %d, want 0", n)
	}
	if nb := v.New(5); v.Len(nb) != 5 || slices.ContainsFunc(b.Data(nb), func(x T) bool { return x != 0 }) {
		t.Errorf("New(5) = %v, want 5 zeros", b.Data(nb))
	}

	// The buffers of every case start as x, y, z and zero; want lists all four afterwards.
	x := []float64{1, -2, 3, 4}
	y := []float64{0.5, 1, -1, 2}
	z := []float64{2, 0, 1, -3}
	zero := []float64{0, 0, 0, 0}
	noNorm := math.NaN()
	type bufs = [4]graph.Buffer
	cases := []struct {
		name string
		op   func(v optim.Vectors[graph.Buffer], a bufs) float64 // returns a norm or NaN
		want [4][]float64
		norm float64
	}{
		{"Copy", func(v optim.Vectors[graph.Buffer], a bufs) float64 { v.Copy(a[3], a[0]); return noNorm },
			[4][]float64{x, y, z, x}, noNorm},
		{"Scale", func(v optim.Vectors[graph.Buffer], a bufs) float64 { v.Scale(a[0], 2); return noNorm },
			[4][]float64{{2, -4, 6, 8}, y, z, zero}, noNorm},
		{"ScaleInto", func(v optim.Vectors[graph.Buffer], a bufs) float64 { v.ScaleInto(a[3], a[0], 0.5); return noNorm },
			[4][]float64{x, y, z, {0.5, -1, 1.5, 2}}, noNorm},
		{"AxpyInto", func(v optim.Vectors[graph.Buffer], a bufs) float64 { v.AxpyInto(a[3], a[1], a[0], 2); return noNorm },
			[4][]float64{x, y, z, {2.5, -3, 5, 10}}, noNorm},
		{"AxpyInto in place", func(v optim.Vectors[graph.Buffer], a bufs) float64 { v.AxpyInto(a[1], a[1], a[0], 2); return noNorm },
			[4][]float64{x, {2.5, -3, 5, 10}, z, zero}, noNorm},
		{"AddInto", func(v optim.Vectors[graph.Buffer], a bufs) float64 { v.AddInto(a[3], a[0], a[1]); return noNorm },
			[4][]float64{x, y, z, {1.5, -1, 2, 6}}, noNorm},
		{"Norm", func(v optim.Vectors[graph.Buffer], a bufs) float64 { return v.Norm(a[0]) },
			[4][]float64{x, y, z, zero}, math.Sqrt(30)},
		{"AddScaledNorm", func(v optim.Vectors[graph.Buffer], a bufs) float64 { return v.AddScaledNorm(a[1], a[0], 1) },
			[4][]float64{x, {1.5, -1, 2, 6}, z, zero}, math.Sqrt(43.25)},
		{"AddScaledNorm a=0", func(v optim.Vectors[graph.Buffer], a bufs) float64 { return v.AddScaledNorm(a[1], a[0], 0) },
			[4][]float64{x, y, z, zero}, math.Sqrt(6.25)},
		{"AddScaledRestore", func(v optim.Vectors[graph.Buffer], a bufs) float64 {
			v.AddScaledRestore(a[1], a[0], a[2], 1)
			return noNorm
		}, [4][]float64{z, {1.5, -1, 2, 6}, z, zero}, noNorm},
		{"AccumulateRestore", func(v optim.Vectors[graph.Buffer], a bufs) float64 {
			v.AccumulateRestore(a[2], a[1], a[0], a[3], 1) // acc z, g y, w x, saved zero
			return noNorm
		}, [4][]float64{zero, y, {3.5, -1, 3, 3}, zero}, noNorm},
		{"PerturbUnnormalized", func(v optim.Vectors[graph.Buffer], a bufs) float64 {
			v.Copy(a[3], a[0]) // w holds saved on entry
			return v.PerturbUnnormalized(a[3], a[0], a[1], 1, 0.5)
		}, [4][]float64{x, {1.5, -1, 2, 6}, z, {1.75, -2.5, 4, 7}}, math.Sqrt(43.25)},
		{"AdaptiveNorm", func(v optim.Vectors[graph.Buffer], a bufs) float64 { return v.AdaptiveNorm(a[1], a[0], 1) },
			[4][]float64{x, y, z, zero}, math.Sqrt(126)}, // (|x|+1)⊙y = (1, 3, −4, 10)
		{"AdaptiveInto", func(v optim.Vectors[graph.Buffer], a bufs) float64 {
			v.AdaptiveInto(a[3], a[1], a[0], 1, 0.5)
			return noNorm
		},
			[4][]float64{x, y, z, {1, 4.5, -8, 25}}, noNorm},
		{"SGD plain", func(v optim.Vectors[graph.Buffer], a bufs) float64 {
			v.SGD(a[0], a[1], nil, optim.SGDUpdate{LR: 0.5, Shrink: 1})
			return noNorm
		}, [4][]float64{{0.75, -2.5, 3.5, 3}, y, z, zero}, noNorm},
		{"SGD momentum first", func(v optim.Vectors[graph.Buffer], a bufs) float64 {
			v.SGD(a[0], a[1], a[3], optim.SGDUpdate{LR: 0.5, Shrink: 1, Momentum: true, Mu: 0.5, Damp: 1, First: true})
			return noNorm
		}, [4][]float64{{0.75, -2.5, 3.5, 3}, y, z, y}, noNorm},
		{"SGD momentum", func(v optim.Vectors[graph.Buffer], a bufs) float64 {
			// b ← 0.5·z + y = (1.5, 1, −0.5, 0.5); w ← x − 0.5·b.
			v.SGD(a[0], a[1], a[2], optim.SGDUpdate{LR: 0.5, Shrink: 1, Momentum: true, Mu: 0.5, Damp: 1})
			return noNorm
		}, [4][]float64{{0.25, -2.5, 3.25, 3.75}, y, {1.5, 1, -0.5, 0.5}, zero}, noNorm},
	}
	for _, c := range cases {
		var a bufs
		for i, s := range [][]float64{x, y, z, zero} {
			a[i] = b.Alloc(len(s))
			b.Upload(a[i], conv[T](s))
		}
		norm := c.op(v, a)
		if !(math.IsNaN(c.norm) && math.IsNaN(norm)) && math.Abs(norm-c.norm) > 1e-15*c.norm {
			t.Errorf("%s: norm %v, want %v", c.name, norm, c.norm)
		}
		for i := range a {
			if got, want := b.Data(a[i]), conv[T](c.want[i]); !slices.Equal(got, want) {
				t.Errorf("%s: buffer %d is %v, want %v", c.name, i, got, want)
			}
		}
	}

	// Gaussian draws r.NormFloat64() in index order.
	g := v.New(3)
	v.Gaussian(g, rand.New(rand.NewPCG(1, 2)))
	r := rand.New(rand.NewPCG(1, 2))
	want := []T{T(r.NormFloat64()), T(r.NormFloat64()), T(r.NormFloat64())}
	if got := b.Data(g); !slices.Equal(got, want) {
		t.Errorf("Gaussian: %v, want %v", got, want)
	}
}

func conv[T Float](s []float64) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}

// TestVectorsSAM checks that optim.SAM over Buffers with Backend.Vectors steps the
// weights exactly as optim.SAM over the same memory as []float32 with optim.Host, for
// m-SAM with SGD momentum, on the quadratic loss ½·Σ_i c_i·w_i² (gradient c⊙w).
func TestVectorsSAM(t *testing.T) {
	c := []float32{1, 3, 0.5, 2, 7}
	w0 := []float32{0.3, -1.2, 2, 0.7, -0.1}
	grad := func(w, g []float32) float64 {
		var loss float64
		for i := range w {
			g[i] = c[i] * w[i]
			loss += 0.5 * float64(c[i]*w[i]*w[i])
		}
		return loss
	}
	b := &Backend[float32]{}
	v := b.Vectors()
	base := &optim.SGD[graph.Buffer]{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01, Vec: v}
	sam := &optim.SAM[graph.Buffer]{Base: base, Vec: v, Rho: 0.05, M: 2}
	refBase := &optim.SGD[[]float32]{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01}
	ref := &optim.SAM[[]float32]{Base: refBase, Rho: 0.05, M: 2}
	w := b.Alloc(len(w0))
	b.Upload(w, w0)
	rw := slices.Clone(w0)
	for step := range 3 {
		st, err := sam.Step(w, 4, func(_ optim.Pass, w, g graph.Buffer) (float64, error) {
			return grad(b.Data(w), b.Data(g)), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		rst, err := ref.Step(rw, 4, func(_ optim.Pass, w, g []float32) (float64, error) { return grad(w, g), nil })
		if err != nil {
			t.Fatal(err)
		}
		if st != rst || !slices.Equal(b.Data(w), rw) {
			t.Errorf("step %d: %v with stats %+v, want %v with %+v", step, b.Data(w), st, rw, rst)
		}
	}
	m, rm := base.State().Momentum, refBase.State().Momentum
	if !slices.Equal(b.Data(m), rm) {
		t.Errorf("momentum %v, want %v", b.Data(m), rm)
	}
}
