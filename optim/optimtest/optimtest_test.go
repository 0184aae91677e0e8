package optimtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/samtrain/samtrain/optim"
)

// TestHost runs the suite on the reference itself: every case must agree bit for bit.
func TestHost(t *testing.T) {
	Vectors[[]float32](t, optim.Host[float32]{}, slices.Clone, slices.Clone, 0)
}

// The broken implementations below differ from Host in one method each, the way a device
// implementation could go wrong.
type (
	host         = optim.Host[float32]
	fmaAxpy      struct{ host } // c·x not rounded before the addition
	scalar64     struct{ host } // scalar not converted to float32 first
	norm32       struct{ host } // norm accumulated in float32
	nesterovless struct{ host } // Nesterov ignored
	shuffled     struct{ host } // Gaussian draws in reverse index order
	keepsW       struct{ host } // AccumulateRestore forgets to restore w
)

func (fmaAxpy) AxpyInto(dst, y, x []float32, c float64) {
	for i := range dst {
		dst[i] = float32(math.FMA(float64(float32(c)), float64(x[i]), float64(y[i])))
	}
}

func (scalar64) ScaleInto(dst, x []float32, c float64) {
	for i := range dst {
		dst[i] = float32(c * float64(x[i]))
	}
}

func (norm32) Norm(x []float32) float64 {
	var s float32
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(float64(s))
}

func (nesterovless) SGD(w, g, buf []float32, u optim.SGDUpdate) {
	u.Nesterov = false
	host{}.SGD(w, g, buf, u)
}

func (shuffled) Gaussian(dst []float32, r *rand.Rand) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = float32(r.NormFloat64())
	}
}

func (keepsW) AccumulateRestore(acc, g, w, saved []float32, a float64) {
	for i := range acc {
		acc[i] += g[i] + float32(a)*w[i]
	}
}

// TestCatches checks that the suite reports each broken implementation, naming the
// broken method and only that one.
func TestCatches(t *testing.T) {
	for _, tc := range []struct {
		ops    optim.Vectors[[]float32]
		method string
	}{
		{fmaAxpy{}, "AxpyInto"},
		{scalar64{}, "ScaleInto"},
		{norm32{}, "Norm"},
		{nesterovless{}, "SGD"},
		{shuffled{}, "Gaussian"},
		{keepsW{}, "AccumulateRestore"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			var msgs []string
			s := &suite[[]float32]{ops: tc.ops, up: slices.Clone[[]float32], down: slices.Clone[[]float32],
				errorf: func(f string, a ...any) { msgs = append(msgs, fmt.Sprintf(f, a...)) }}
			s.run()
			if len(msgs) == 0 {
				t.Fatalf("no mismatch reported for a broken %s", tc.method)
			}
			for _, m := range msgs {
				if !strings.HasPrefix(m, tc.method) {
					t.Errorf("broken %s, but the suite reports %q", tc.method, m)
				}
			}
		})
	}
}

// TestTolerance: a relative tolerance admits a norm off in its last bits, not more.
func TestTolerance(t *testing.T) {
	s := &suite[[]float32]{tol: 1e-12}
	if !s.close64(1+1e-14, 1) || s.close64(1+1e-10, 1) {
		t.Error("close64 with tol 1e-12 misjudges 1e-14 and 1e-10")
	}
	if _, ok := s.close32([]float32{1, 2}, []float32{1, 2.0000002}); ok {
		t.Error("close32 with tol 1e-12 passes a float32 ulp")
	}
	s.tol = 0
	if e, ok := s.close32([]float32{1, float32(math.Copysign(0, -1))}, []float32{1, 0}); ok || e != 0 {
		t.Errorf("close32 with tol 0 on -0 against +0: error %v, ok %v; want 0, false (bits differ)", e, ok)
	}
}
