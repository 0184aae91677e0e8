package dln

import (
	"errors"
	"fmt"
	"math"
)

// Data is a regression problem: n training rows X (row-major n×d) with labels Y
// and nTest test rows XTest with labels YTest.
type Data struct {
	N, NTest, D int
	X, Y        []float64
	XTest       []float64
	YTest       []float64
	// BetaStar is the ground truth when the data were generated, nil when they
	// were read from files.
	BetaStar []float64
}

// DataConfig describes a synthetic sparse-regression problem. Zero values of N,
// NTest, D and K mean the paper's 20, 1000, 30 and 3.
type DataConfig struct {
	N, NTest, D int
	K           int    // sparsity of β*; must be in [1, D]
	Seed        uint32 // np.random.seed value
}

func (c DataConfig) withDefaults() DataConfig {
	if c.N == 0 {
		c.N = 20
	}
	if c.NTest == 0 {
		c.NTest = 1000
	}
	if c.D == 0 {
		c.D = 30
	}
	if c.K == 0 {
		c.K = 3
	}
	return c
}

// Generate draws a problem exactly as the authors' notebook
// (tml-epfl/understanding-sam, diagonal_linear_nets/diag_nets_sam.ipynb) does
// after np.random.seed(Seed): X ~ N(0, I) (n×d), then X_test (nTest×d), then
// β* ~ N(0, I) with all but the first K coordinates zeroed, made nonnegative and
// scaled to unit ℓ2 norm; labels are noise-free, y = Xβ*.
//
// np.random.multivariate_normal with an identity covariance returns its standard
// normal draws unchanged (x @ (sqrt(s)[:,None]*vt) with s = 1, vt = I), so X is
// the next n·d draws in row-major order; a test checks this against numpy.
func Generate(c DataConfig) (*Data, error) {
	c = c.withDefaults()
	switch {
	case c.N < 1:
		return nil, fmt.Errorf("dln: N = %d, want > 0", c.N)
	case c.NTest < 1:
		return nil, fmt.Errorf("dln: NTest = %d, want > 0", c.NTest)
	case c.D < 1:
		return nil, fmt.Errorf("dln: D = %d, want > 0", c.D)
	case c.K < 1 || c.K > c.D:
		return nil, fmt.Errorf("dln: K = %d, want in [1, D=%d]", c.K, c.D)
	}
	r := newNumpyRand(c.Seed)
	normals := func(m int) []float64 {
		v := make([]float64, m)
		for i := range v {
			v[i] = r.normFloat64()
		}
		return v
	}
	x := normals(c.N * c.D)
	xTest := normals(c.NTest * c.D)
	beta := normals(c.D)
	var norm float64
	for i := range beta {
		if i >= c.K {
			beta[i] = 0
		}
		beta[i] = math.Abs(beta[i])
		norm += beta[i] * beta[i]
	}
	norm = math.Sqrt(norm)
	if norm == 0 {
		return nil, errors.New("dln: drawn β* is zero")
	}
	for i := range beta {
		beta[i] /= norm
	}
	d := &Data{N: c.N, NTest: c.NTest, D: c.D, X: x, XTest: xTest, BetaStar: beta}
	d.Y = matVec(x, beta, c.N, c.D)
	d.YTest = matVec(xTest, beta, c.NTest, c.D)
	return d, nil
}

// Validate checks that the slices have the lengths N, NTest and D say and hold
// finite numbers.
func (d *Data) Validate() error {
	if d.N < 1 || d.NTest < 1 || d.D < 1 {
		return fmt.Errorf("dln: data sizes n=%d, nTest=%d, d=%d, want all > 0", d.N, d.NTest, d.D)
	}
	for _, s := range []struct {
		name string
		v    []float64
		want int
	}{
		{"X", d.X, d.N * d.D}, {"y", d.Y, d.N},
		{"X_test", d.XTest, d.NTest * d.D}, {"y_test", d.YTest, d.NTest},
	} {
		if len(s.v) != s.want {
			return fmt.Errorf("dln: %s has %d values, want %d", s.name, len(s.v), s.want)
		}
		for i, x := range s.v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("dln: %s[%d] = %v is not finite", s.name, i, x)
			}
		}
	}
	return nil
}

// matVec returns A b for a row-major m×k matrix A.
func matVec(a, b []float64, m, k int) []float64 {
	out := make([]float64, m)
	for i := range out {
		out[i] = dot(a[i*k:(i+1)*k], b)
	}
	return out
}

func dot(a, b []float64) float64 {
	var s float64
	for i, x := range a {
		s += x * b[i]
	}
	return s
}
