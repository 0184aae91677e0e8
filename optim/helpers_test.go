package optim

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// quad returns the GradFunc of f(w) = ½wᵀAw (the same for every example), with A row-major n×n.
// It counts its calls in *calls when calls is not nil.
func quad[T Float](a []float64, calls *int) GradFunc[[]T] {
	return func(p Pass, w, g []T) (float64, error) {
		if calls != nil {
			*calls++
		}
		n := len(w)
		var loss float64
		for i := range n {
			var s float64
			for k := range n {
				s += a[i*n+k] * float64(w[k])
			}
			g[i] = T(s)
			loss += 0.5 * float64(w[i]) * s
		}
		return loss, nil
	}
}

// leastSquares returns the GradFunc of the mean of ℓ_i(w) = ½(x_iᵀw − y_i)² over [p.Lo, p.Hi),
// x row-major with len(w) columns.
func leastSquares[T Float](x, y []float64) GradFunc[[]T] {
	return func(p Pass, w, g []T) (float64, error) {
		d := len(w)
		for k := range g {
			g[k] = 0
		}
		var loss float64
		n := float64(p.Hi - p.Lo)
		for i := p.Lo; i < p.Hi; i++ {
			r := -y[i]
			for k := range d {
				r += x[i*d+k] * float64(w[k])
			}
			loss += 0.5 * r * r / n
			for k := range d {
				g[k] += T(r * x[i*d+k] / n)
			}
		}
		return loss, nil
	}
}

// lsGrad is the test's own gradient of the mean least-squares loss over [lo, hi) at w.
func lsGrad(x, y, w []float64, lo, hi int) []float64 {
	d := len(w)
	g := make([]float64, d)
	for i := lo; i < hi; i++ {
		r := -y[i]
		for k := range d {
			r += x[i*d+k] * w[k]
		}
		for k := range d {
			g[k] += r * x[i*d+k] / float64(hi-lo)
		}
	}
	return g
}

func checkClose[T Float](t *testing.T, name string, got []T, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*math.Max(1, math.Abs(want[i]))) {
			t.Errorf("%s[%d] = %.17g, want %.17g (diff %.3g, tol %.3g)", name, i, got[i], want[i], d, tol)
		}
	}
}

func checkBits[T Float](t *testing.T, name string, got, want []T) {
	t.Helper()
	for i := range want {
		if math.Float64bits(float64(got[i])) != math.Float64bits(float64(want[i])) {
			t.Errorf("%s[%d] = %.17g, want %.17g bit for bit", name, i, got[i], want[i])
		}
	}
}

// torchFixtures is testdata/torch_fixtures.json, written by testdata/gen_torch.py.
type torchFixtures struct {
	A   [][]float64
	X   [][]float64
	Y   []float64
	SGD []struct {
		Name        string
		LR          float64
		Momentum    float64
		Dampening   float64
		Nesterov    bool
		WeightDecay float64 `json:"weight_decay"`
		W0          []float64
		Traj        [][]float64
	}
	SAM []struct {
		Name         string
		M            int
		Rho          float64
		Decay        string
		WeightDecay  float64 `json:"weight_decay"`
		Unnormalized bool
		LR           float64
		Momentum     float64
		W0           []float64
		Traj         [][]float64
	}
}

func loadTorch(t *testing.T) *torchFixtures {
	t.Helper()
	b, err := os.ReadFile("testdata/torch_fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f torchFixtures
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func flatten(m [][]float64) []float64 {
	var out []float64
	for _, r := range m {
		out = append(out, r...)
	}
	return out
}
