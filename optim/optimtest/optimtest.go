// Package optimtest is the conformance suite of optim.Vectors: every method of an
// implementation against optim.Host[float32], the reference arithmetic of the optimizers,
// on random float32 inputs of several lengths. optim.Host[float32] runs it in this
// package's tests; a device implementation (cuda.Vectors) runs it in its own, as
// graph/backendtest does for graph.Backend.
//
// Error policy: mismatches are reported with t.Errorf naming the method, its scalars and
// the length; the suite never stops at the first one.
package optimtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/samtrain/samtrain/optim"
)

// Sizes are the vector lengths the suite uses: empty, one element, and lengths that are
// not multiples of any power-of-two block (and, above 256, cover several blocks of a
// device launch).
var Sizes = []int{0, 1, 7, 33, 300, 1025}

// Vectors checks every method of ops against optim.Host[float32]: each case draws random
// float32 vectors (with a few exact zeros), hands the same values to both (through
// fromHost, which must return a new vector holding a copy of its argument), calls the
// method on both, and compares every vector argument afterwards (through toHost, which
// returns a copy of a vector's elements) and the returned norm. Element-wise cases include
// outputs that alias an input, as SAM uses them.
//
// A vector passes when max|got − want| ≤ tol·max|want| (exactly equal bits with tol 0), a
// norm when |got − want| ≤ tol·|want|. An implementation that rounds as Host does passes
// with tol 0 except for its norms, whose float64 sums may be grouped differently (about
// 1e-15 relative): 1e-12 checks that.
func Vectors[V any](t *testing.T, ops optim.Vectors[V], fromHost func([]float32) V, toHost func(V) []float32, tol float64) {
	t.Helper()
	s := &suite[V]{ops: ops, up: fromHost, down: toHost, tol: tol, errorf: t.Errorf}
	s.run()
}

// suite holds the implementation under test; errorf reports a mismatch (t.Errorf, or a
// recorder in this package's own tests).
type suite[V any] struct {
	ops    optim.Vectors[V]
	up     func([]float32) V
	down   func(V) []float32
	tol    float64
	errorf func(format string, args ...any)
}

// vcase is one call, on k vectors, written once for Host and once for the implementation
// under test; each returns the norm the method returns (0 for the others).
type vcase[V any] struct {
	name string
	k    int
	host func(h optim.Host[float32], x [][]float32) float64
	ops  func(o optim.Vectors[V], x []V) float64
}

func (s *suite[V]) run() {
	var zero V
	if n := s.ops.Len(zero); n != 0 {
		s.errorf("Len(zero value) = %d, want 0 (optim's \"not allocated\")", n)
	}
	for _, n := range Sizes {
		v := s.ops.New(n)
		if got := s.ops.Len(v); got != n {
			s.errorf("Len(New(%d)) = %d", n, got)
		}
		if got := s.down(v); len(got) != n || slices.ContainsFunc(got, func(x float32) bool { return x != 0 }) {
			s.errorf("New(%d) = %v, want %d zeros", n, got, n)
		}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, n := range Sizes {
		for _, c := range s.cases() {
			s.check(c, n, rng)
		}
		s.gaussian(n)
	}
}

// check runs c on random vectors of n elements.
func (s *suite[V]) check(c vcase[V], n int, rng *rand.Rand) {
	want := make([][]float32, c.k)
	vs := make([]V, c.k)
	for i := range want {
		want[i] = randVec(rng, n)
		vs[i] = s.up(want[i])
	}
	for i := range vs {
		if got := s.down(vs[i]); !slices.Equal(got, want[i]) {
			s.errorf("%s, n=%d: vector %d reads back as %v after fromHost(%v): bad hooks", c.name, n, i, got, want[i])
			return
		}
	}
	hn := c.host(optim.Host[float32]{}, want)
	gn := c.ops(s.ops, vs)
	if !s.close64(gn, hn) {
		s.errorf("%s, n=%d: returned %v, Host %v", c.name, n, gn, hn)
	}
	for i := range vs {
		got := s.down(vs[i])
		if e, ok := s.close32(got, want[i]); !ok {
			s.errorf("%s, n=%d: vector %d differs from Host's: relative error %.3g (tol %g)", c.name, n, i, e, s.tol)
		}
	}
}

// gaussian checks that Gaussian draws what Host draws from the same generator, and as
// many values.
func (s *suite[V]) gaussian(n int) {
	r1, r2 := rand.New(rand.NewPCG(3, uint64(n))), rand.New(rand.NewPCG(3, uint64(n)))
	want := make([]float32, n)
	optim.Host[float32]{}.Gaussian(want, r1)
	v := s.up(make([]float32, n))
	s.ops.Gaussian(v, r2)
	if e, ok := s.close32(s.down(v), want); !ok {
		s.errorf("Gaussian, n=%d: relative error %.3g to Host's draws", n, e)
	}
	if a, b := r1.Uint64(), r2.Uint64(); a != b {
		s.errorf("Gaussian, n=%d: the generator is not left where Host leaves it", n)
	}
}

// randVec returns n standard normal float32 values, every fifth one an exact zero.
func randVec(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		if i%5 != 3 {
			v[i] = float32(rng.NormFloat64())
		}
	}
	return v
}

// close32 returns max|got − want| / max|want| and whether it is within tol (bits equal
// with tol 0).
func (s *suite[V]) close32(got, want []float32) (float64, bool) {
	if len(got) != len(want) {
		return math.Inf(1), false
	}
	var num, den float64
	same := true
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			same = false
		}
		num = max(num, math.Abs(float64(got[i])-float64(want[i])))
		den = max(den, math.Abs(float64(want[i])))
	}
	if same {
		return 0, true
	}
	e := num / max(den, math.SmallestNonzeroFloat64)
	if math.IsNaN(e) {
		e = math.Inf(1)
	}
	return e, s.tol > 0 && e <= s.tol
}

// close64 says whether the norm got is within tol of want (equal with tol 0).
func (s *suite[V]) close64(got, want float64) bool {
	if got == want {
		return true
	}
	return s.tol > 0 && math.Abs(got-want) <= s.tol*math.Abs(want)
}

// cases lists the calls checked at every length: every method, the special scalars Host
// treats apart (a = 0), scalars that float32 cannot hold exactly, and aliased outputs.
func (s *suite[V]) cases() []vcase[V] {
	type H = optim.Host[float32]
	type O = optim.Vectors[V]
	var cs []vcase[V]
	add := func(name string, k int, h func(H, [][]float32) float64, o func(O, []V) float64) {
		cs = append(cs, vcase[V]{name, k, h, o})
	}
	add("Copy", 2, func(h H, x [][]float32) float64 { h.Copy(x[0], x[1]); return 0 },
		func(o O, x []V) float64 { o.Copy(x[0], x[1]); return 0 })
	add("Norm", 1, func(h H, x [][]float32) float64 { return h.Norm(x[0]) },
		func(o O, x []V) float64 { return o.Norm(x[0]) })
	add("AddInto", 3, func(h H, x [][]float32) float64 { h.AddInto(x[0], x[1], x[2]); return 0 },
		func(o O, x []V) float64 { o.AddInto(x[0], x[1], x[2]); return 0 })
	add("AddInto(dst=y)", 2, func(h H, x [][]float32) float64 { h.AddInto(x[0], x[1], x[0]); return 0 },
		func(o O, x []V) float64 { o.AddInto(x[0], x[1], x[0]); return 0 })
	for _, c := range []float64{0.1, -1.0 / 3, 0} {
		name := func(m string) string { return fmt.Sprintf("%s(c=%v)", m, c) }
		add(name("Scale"), 1, func(h H, x [][]float32) float64 { h.Scale(x[0], c); return 0 },
			func(o O, x []V) float64 { o.Scale(x[0], c); return 0 })
		add(name("ScaleInto"), 2, func(h H, x [][]float32) float64 { h.ScaleInto(x[0], x[1], c); return 0 },
			func(o O, x []V) float64 { o.ScaleInto(x[0], x[1], c); return 0 })
		add(name("AxpyInto"), 3, func(h H, x [][]float32) float64 { h.AxpyInto(x[0], x[1], x[2], c); return 0 },
			func(o O, x []V) float64 { o.AxpyInto(x[0], x[1], x[2], c); return 0 })
		add(name("AxpyInto(dst=y)"), 2, func(h H, x [][]float32) float64 { h.AxpyInto(x[0], x[0], x[1], c); return 0 },
			func(o O, x []V) float64 { o.AxpyInto(x[0], x[0], x[1], c); return 0 })
	}
	for _, a := range []float64{0, 5e-4, -0.7} {
		name := func(m string) string { return fmt.Sprintf("%s(a=%v)", m, a) }
		add(name("AddScaledNorm"), 2, func(h H, x [][]float32) float64 { return h.AddScaledNorm(x[0], x[1], a) },
			func(o O, x []V) float64 { return o.AddScaledNorm(x[0], x[1], a) })
		add(name("AddScaledRestore"), 3, func(h H, x [][]float32) float64 { h.AddScaledRestore(x[0], x[1], x[2], a); return 0 },
			func(o O, x []V) float64 { o.AddScaledRestore(x[0], x[1], x[2], a); return 0 })
		add(name("AccumulateRestore"), 4, func(h H, x [][]float32) float64 { h.AccumulateRestore(x[0], x[1], x[2], x[3], a); return 0 },
			func(o O, x []V) float64 { o.AccumulateRestore(x[0], x[1], x[2], x[3], a); return 0 })
		for _, c := range []float64{0.05, 1.0 / 3} {
			// w holds saved on entry, as SAM calls it: both start by copying saved into w.
			add(fmt.Sprintf("PerturbUnnormalized(a=%v, c=%v)", a, c), 3,
				func(h H, x [][]float32) float64 {
					h.Copy(x[0], x[1])
					return h.PerturbUnnormalized(x[0], x[1], x[2], a, c)
				},
				func(o O, x []V) float64 {
					o.Copy(x[0], x[1])
					return o.PerturbUnnormalized(x[0], x[1], x[2], a, c)
				})
		}
	}
	for _, eta := range []float64{0, 0.01} {
		name := func(m string) string { return fmt.Sprintf("%s(eta=%v)", m, eta) }
		add(name("AdaptiveNorm"), 2, func(h H, x [][]float32) float64 { return h.AdaptiveNorm(x[0], x[1], eta) },
			func(o O, x []V) float64 { return o.AdaptiveNorm(x[0], x[1], eta) })
		add(name("AdaptiveInto"), 3, func(h H, x [][]float32) float64 { h.AdaptiveInto(x[0], x[1], x[2], eta, 0.3); return 0 },
			func(o O, x []V) float64 { o.AdaptiveInto(x[0], x[1], x[2], eta, 0.3); return 0 })
		add(name("AdaptiveInto(dst=g)"), 2, func(h H, x [][]float32) float64 { h.AdaptiveInto(x[0], x[0], x[1], eta, 0.3); return 0 },
			func(o O, x []V) float64 { o.AdaptiveInto(x[0], x[0], x[1], eta, 0.3); return 0 })
	}
	for _, u := range sgdUpdates() {
		add(fmt.Sprintf("SGD(%+v)", u), 3, func(h H, x [][]float32) float64 { h.SGD(x[0], x[1], x[2], u); return 0 },
			func(o O, x []V) float64 { o.SGD(x[0], x[1], x[2], u); return 0 })
	}
	// Without momentum the buffer is unused, and may be the zero V.
	plain := optim.SGDUpdate{LR: 0.1, WD: 5e-4, Shrink: 1}
	add("SGD(no momentum, nil buffer)", 2, func(h H, x [][]float32) float64 { h.SGD(x[0], x[1], nil, plain); return 0 },
		func(o O, x []V) float64 {
			var zero V
			o.SGD(x[0], x[1], zero, plain)
			return 0
		})
	return cs
}

// sgdUpdates covers every branch of Host's SGD: plain, coupled and decoupled decay; the
// first momentum update and later ones; dampening and Nesterov.
func sgdUpdates() []optim.SGDUpdate {
	lr := 0.1
	shrink := 1 - lr*5e-4
	var us []optim.SGDUpdate
	for _, d := range []struct{ wd, shrink float64 }{{0, 1}, {5e-4, 1}, {0, shrink}} {
		us = append(us, optim.SGDUpdate{LR: lr, WD: d.wd, Shrink: d.shrink})
		for _, first := range []bool{true, false} {
			for _, m := range []struct {
				damp     float64
				nesterov bool
			}{{1, false}, {0.9, false}, {1, true}} {
				us = append(us, optim.SGDUpdate{LR: lr, WD: d.wd, Shrink: d.shrink, Momentum: true,
					Mu: 0.9, Damp: m.damp, First: first, Nesterov: m.nesterov})
			}
		}
	}
	return us
}
