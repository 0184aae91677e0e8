// Package backendtest is the conformance suite of graph.Backend: every
// kernel of an implementation against a plain float64 loop written here.
// The CPU backend runs it in its tests; a GPU backend runs it when a device
// is present.
//
// Error policy: mismatches are reported with t.Errorf naming the kernel and
// the shape; a kernel that panics fails the test.
package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/samtrain/samtrain/graph"
)

// suite holds the backend under test and a random source.
type suite[T graph.Float] struct {
	t   *testing.T
	b   graph.Backend[T]
	rng *rand.Rand
	tol float64
}

// Run checks every kernel of b against the reference loops on random
// inputs of several shapes (batch 1, odd sizes, stride 2, padding). A result
// passes when ‖got − want‖ ≤ tol·max(‖want‖, 1e-30); tol is about 1e-12 for
// float64 and 1e-5 for float32 backends.
func Run[T graph.Float](t *testing.T, b graph.Backend[T], tol float64) {
	s := &suite[T]{t: t, b: b, rng: rand.New(rand.NewPCG(1, 2)), tol: tol}
	t.Run("Gemm", s.gemm)
	t.Run("Conv2d", s.conv)
	t.Run("Elementwise", s.elementwise)
	t.Run("Norm", s.norm)
	t.Run("Pool", s.pool)
	t.Run("CrossEntropy", s.xent)
}

func (s *suite[T]) rand(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = s.rng.NormFloat64()
	}
	return v
}

func (s *suite[T]) up(v []float64) graph.Buffer {
	w := make([]T, len(v))
	for i, x := range v {
		w[i] = T(x)
	}
	buf := s.b.Alloc(len(v))
	s.b.Upload(buf, w)
	return buf
}

// round returns v rounded to T, so references start from the same inputs.
func (s *suite[T]) round(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(T(x))
	}
	return out
}

func (s *suite[T]) down(b graph.Buffer) []float64 {
	w := make([]T, b.Len())
	s.b.Download(w, b)
	v := make([]float64, len(w))
	for i, x := range w {
		v[i] = float64(x)
	}
	return v
}

func (s *suite[T]) check(t *testing.T, what string, got graph.Buffer, want []float64) {
	t.Helper()
	g := s.down(got)
	if len(g) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(g), len(want))
	}
	var num, den float64
	for i := range want {
		num += (g[i] - want[i]) * (g[i] - want[i])
		den += want[i] * want[i]
	}
	if math.Sqrt(num) > s.tol*max(math.Sqrt(den), 1e-30) {
		t.Errorf("%s: relative error %.3g", what, math.Sqrt(num)/math.Sqrt(den))
	}
}

func (s *suite[T]) gemm(t *testing.T) {
	for _, tc := range []struct{ m, n, k int }{{1, 1, 1}, {5, 7, 3}, {17, 9, 33}, {64, 65, 31}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				a, b, c := s.round(s.rand(tc.m*tc.k)), s.round(s.rand(tc.k*tc.n)), s.round(s.rand(tc.m*tc.n))
				const alpha, beta = 0.5, -1.5
				want := make([]float64, len(c))
				for i := 0; i < tc.m; i++ {
					for j := 0; j < tc.n; j++ {
						var acc float64
						for p := 0; p < tc.k; p++ {
							av, bv := a[i*tc.k+p], b[p*tc.n+j]
							if ta {
								av = a[p*tc.m+i]
							}
							if tb {
								bv = b[j*tc.k+p]
							}
							acc += av * bv
						}
						want[i*tc.n+j] = alpha*acc + beta*c[i*tc.n+j]
					}
				}
				cb := s.up(c)
				s.b.Gemm(ta, tb, tc.m, tc.n, tc.k, alpha, s.up(a), s.up(b), beta, cb)
				s.check(t, fmt.Sprintf("%v transA=%v transB=%v", tc, ta, tb), cb, want)
			}
		}
	}
}

// at is x[n,c,i,j] of an N×C×H×W tensor, 0 outside the image.
func at(x []float64, c, h, w, n, ch, i, j int) float64 {
	if i < 0 || i >= h || j < 0 || j >= w {
		return 0
	}
	return x[((n*c+ch)*h+i)*w+j]
}

func (s *suite[T]) conv(t *testing.T) {
	for _, p := range []graph.ConvShape{
		{N: 1, C: 1, H: 3, W: 3, K: 1, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 2, C: 3, H: 7, W: 6, K: 4, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 3, C: 5, H: 8, W: 8, K: 6, R: 1, S: 1, StrideH: 2, StrideW: 2},
		{N: 2, C: 16, H: 9, W: 9, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	} {
		oh, ow := p.OutH(), p.OutW()
		x, w := s.round(s.rand(p.N*p.C*p.H*p.W)), s.round(s.rand(p.K*p.C*p.R*p.S))
		dy := s.round(s.rand(p.N * p.K * oh * ow))
		y := make([]float64, len(dy))
		dx := make([]float64, len(x))
		dw := make([]float64, len(w))
		for n := 0; n < p.N; n++ {
			for k := 0; k < p.K; k++ {
				for i := 0; i < oh; i++ {
					for j := 0; j < ow; j++ {
						yi := ((n*p.K+k)*oh+i)*ow + j
						for c := 0; c < p.C; c++ {
							for r := 0; r < p.R; r++ {
								for q := 0; q < p.S; q++ {
									ii, jj := i*p.StrideH-p.PadH+r, j*p.StrideW-p.PadW+q
									wi := ((k*p.C+c)*p.R+r)*p.S + q
									xv := at(x, p.C, p.H, p.W, n, c, ii, jj)
									y[yi] += w[wi] * xv
									dw[wi] += dy[yi] * xv
									if ii >= 0 && ii < p.H && jj >= 0 && jj < p.W {
										dx[((n*p.C+c)*p.H+ii)*p.W+jj] += w[wi] * dy[yi]
									}
								}
							}
						}
					}
				}
			}
		}
		work := s.b.Alloc(max(1, s.b.ConvWorkspaceLen(p)))
		yb, dxb, dwb := s.b.Alloc(len(y)), s.b.Alloc(len(dx)), s.b.Alloc(len(dw))
		xb, wb, dyb := s.up(x), s.up(w), s.up(dy)
		s.b.Conv2dForward(p, xb, wb, yb, work)
		s.b.Conv2dBackwardData(p, wb, dyb, dxb, work)
		s.b.Conv2dBackwardFilter(p, xb, dyb, dwb, work)
		s.check(t, fmt.Sprintf("forward %+v", p), yb, y)
		s.check(t, fmt.Sprintf("backward data %+v", p), dxb, dx)
		s.check(t, fmt.Sprintf("backward filter %+v", p), dwb, dw)
	}
}

func (s *suite[T]) elementwise(t *testing.T) {
	for _, n := range []int{37, 70001} { // small, and large enough to be split over goroutines
		s.elementwiseN(t, n)
	}
}

func (s *suite[T]) elementwiseN(t *testing.T, n int) {
	a, b, y := s.round(s.rand(n)), s.round(s.rand(n)), s.round(s.rand(n))
	add, axpby, relu, drelu := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range a {
		add[i] = a[i] + b[i]
		axpby[i] = 0.25*a[i] - 2*y[i]
		relu[i] = max(a[i], 0)
		if relu[i] > 0 {
			drelu[i] = b[i]
		}
	}
	out := s.b.Alloc(n)
	s.b.Add(out, s.up(a), s.up(b))
	s.check(t, "Add", out, add)
	yb := s.up(y)
	s.b.Axpby(yb, 0.25, s.up(a), -2)
	s.check(t, "Axpby", yb, axpby)
	s.b.ReLU(s.up(a), out)
	s.check(t, "ReLU", out, relu)
	s.b.ReLUBackward(s.up(relu), s.up(b), out)
	s.check(t, "ReLUBackward", out, drelu)
	s.b.Fill(out, 3)
	full := make([]float64, n)
	for i := range full {
		full[i] = 3
	}
	s.check(t, "Fill", out, full)
	s.b.Copy(out, s.up(a))
	s.check(t, "Copy", out, a)
	s.check(t, "Slice", s.b.Slice(s.up(a), 3, 9), a[3:9])
}

// normRef computes the statistics, output and gradients of a normalisation
// of x (N×C×HW) with G groups (G = 0: per channel over the batch, with
// batch statistics if batch, else with the given mean and invStd).
type normRef struct {
	mean, variance, invStd, y, dscale, dbias, dx []float64
}

func refNorm(n, c, hw, groups int, x, scale, bias, dy []float64, eps float64) normRef {
	stat := func(i, ch int) int {
		if groups == 0 {
			return ch
		}
		return i*groups + ch/(c/groups)
	}
	k := c
	if groups > 0 {
		k = n * groups
	}
	r := normRef{mean: make([]float64, k), variance: make([]float64, k), invStd: make([]float64, k),
		y: make([]float64, len(x)), dscale: make([]float64, c), dbias: make([]float64, c), dx: make([]float64, len(x))}
	cnt := make([]float64, k)
	each := func(f func(i, ch, idx, st int)) {
		for i := 0; i < n; i++ {
			for ch := 0; ch < c; ch++ {
				for j := 0; j < hw; j++ {
					f(i, ch, (i*c+ch)*hw+j, stat(i, ch))
				}
			}
		}
	}
	each(func(_, _, idx, st int) { r.mean[st] += x[idx]; cnt[st]++ })
	for i := range r.mean {
		r.mean[i] /= cnt[i]
	}
	each(func(_, _, idx, st int) { d := x[idx] - r.mean[st]; r.variance[st] += d * d })
	for i := range r.variance {
		r.variance[i] /= cnt[i]
		r.invStd[i] = 1 / math.Sqrt(r.variance[i]+eps)
	}
	xh := func(idx, st int) float64 { return (x[idx] - r.mean[st]) * r.invStd[st] }
	each(func(_, ch, idx, st int) {
		r.y[idx] = xh(idx, st)*scale[ch] + bias[ch]
		r.dscale[ch] += dy[idx] * xh(idx, st)
		r.dbias[ch] += dy[idx]
	})
	// dx = invStd·(a − mean(a) − x̂·mean(a·x̂)) with a = scale·dy, means per statistic.
	sa, sax := make([]float64, k), make([]float64, k)
	each(func(_, ch, idx, st int) { a := scale[ch] * dy[idx]; sa[st] += a; sax[st] += a * xh(idx, st) })
	each(func(_, ch, idx, st int) {
		a := scale[ch] * dy[idx]
		r.dx[idx] = r.invStd[st] * (a - sa[st]/cnt[st] - xh(idx, st)*sax[st]/cnt[st])
	})
	return r
}

func (s *suite[T]) norm(t *testing.T) {
	const eps = 1e-5
	for _, tc := range []struct{ n, c, hw, groups int }{{1, 2, 9, 0}, {3, 4, 5, 0}, {2, 6, 7, 3}, {1, 4, 4, 1}, {3, 6, 1, 2}} {
		name := fmt.Sprint(tc)
		x, scale, bias, dy := s.round(s.rand(tc.n*tc.c*tc.hw)), s.round(s.rand(tc.c)), s.round(s.rand(tc.c)), s.round(s.rand(tc.n*tc.c*tc.hw))
		r := refNorm(tc.n, tc.c, tc.hw, tc.groups, x, scale, bias, dy, eps)
		k := len(r.mean)
		mean, variance, invStd := s.b.Alloc(k), s.b.Alloc(k), s.b.Alloc(k)
		outer, rows, inner := tc.n, tc.c, tc.hw
		if tc.groups > 0 {
			outer, rows, inner = 1, k, tc.c/tc.groups*tc.hw
		}
		xb, dyb, sb := s.up(x), s.up(dy), s.up(scale)
		s.b.Moments(outer, rows, inner, xb, eps, mean, variance, invStd)
		s.check(t, name+" mean", mean, r.mean)
		s.check(t, name+" variance", variance, r.variance)
		s.check(t, name+" invStd", invStd, r.invStd)
		inv2 := s.b.Alloc(k)
		s.b.InvStd(variance, eps, inv2)
		s.check(t, name+" InvStd", inv2, r.invStd)
		y := s.b.Alloc(len(x))
		s.b.Normalize(tc.n, tc.c, tc.hw, tc.groups, xb, mean, invStd, sb, s.up(bias), y)
		s.check(t, name+" Normalize", y, r.y)
		ds, db, dx := s.b.Alloc(tc.c), s.b.Alloc(tc.c), s.b.Alloc(len(x))
		s.b.NormScaleGrad(tc.n, tc.c, tc.hw, tc.groups, xb, mean, invStd, dyb, ds)
		s.check(t, name+" NormScaleGrad", ds, r.dscale)
		s.b.ChannelSum(tc.n, tc.c, tc.hw, dyb, db)
		s.check(t, name+" ChannelSum", db, r.dbias)
		if tc.groups > 0 {
			s.b.GroupNormBackward(tc.n, tc.c, tc.hw, tc.groups, xb, mean, invStd, sb, dyb, dx)
			s.check(t, name+" GroupNormBackward", dx, r.dx)
			continue
		}
		s.b.BatchNormBackward(tc.n, tc.c, tc.hw, true, xb, mean, invStd, sb, dyb, ds, db, dx)
		s.check(t, name+" BatchNormBackward batch", dx, r.dx)
		fixed := make([]float64, len(x))
		for i := range fixed {
			ch := i / tc.hw % tc.c
			fixed[i] = scale[ch] * r.invStd[ch] * dy[i]
		}
		s.b.BatchNormBackward(tc.n, tc.c, tc.hw, false, xb, mean, invStd, sb, dyb, ds, db, dx)
		s.check(t, name+" BatchNormBackward fixed", dx, fixed)
	}
}

func (s *suite[T]) pool(t *testing.T) {
	const rows, hw, cols = 6, 5, 3
	x, dy := s.round(s.rand(rows*hw)), s.round(s.rand(rows))
	y, dx := make([]float64, rows), make([]float64, rows*hw)
	for i := 0; i < rows; i++ {
		for j := 0; j < hw; j++ {
			y[i] += x[i*hw+j] / hw
			dx[i*hw+j] = dy[i] / hw
		}
	}
	yb, dxb := s.b.Alloc(rows), s.b.Alloc(rows*hw)
	s.b.AvgPool(rows, hw, s.up(x), yb)
	s.check(t, "AvgPool", yb, y)
	s.b.AvgPoolBackward(rows, hw, s.up(dy), dxb)
	s.check(t, "AvgPoolBackward", dxb, dx)

	m, v := s.round(s.rand(rows*cols)), s.round(s.rand(cols))
	added, sums := make([]float64, rows*cols), make([]float64, cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			added[i*cols+j] = m[i*cols+j] + v[j]
			sums[j] += m[i*cols+j]
		}
	}
	mb, sb := s.up(m), s.b.Alloc(cols)
	s.b.SumRows(rows, cols, mb, sb)
	s.check(t, "SumRows", sb, sums)
	s.b.AddRowVector(rows, cols, mb, s.up(v))
	s.check(t, "AddRowVector", mb, added)
}

func (s *suite[T]) xent(t *testing.T) {
	const n, k = 5, 7
	z := s.round(s.rand(n * k))
	for i := range z {
		z[i] *= 10 // large logits exercise the max-shifted log-sum-exp
	}
	z = s.round(z)
	labels := []int32{0, 6, 3, 3, 1}
	const g = 0.75
	var loss float64
	dz := make([]float64, n*k)
	for i := 0; i < n; i++ {
		mx := math.Inf(-1)
		for _, v := range z[i*k : (i+1)*k] {
			mx = max(mx, v)
		}
		var se float64
		for _, v := range z[i*k : (i+1)*k] {
			se += math.Exp(v - mx)
		}
		lse := mx + math.Log(se)
		loss += (lse - z[i*k+int(labels[i])]) / n
		for j := 0; j < k; j++ {
			dz[i*k+j] = g / n * math.Exp(z[i*k+j]-lse)
		}
		dz[i*k+int(labels[i])] -= g / n
	}
	zb, lb, db := s.up(z), s.b.Alloc(1), s.b.Alloc(n*k)
	s.b.SoftmaxCrossEntropy(n, k, zb, labels, lb)
	s.check(t, "SoftmaxCrossEntropy", lb, []float64{loss})
	s.b.SoftmaxCrossEntropyBackward(n, k, zb, labels, s.up([]float64{g}), db)
	s.check(t, "SoftmaxCrossEntropyBackward", db, dz)
}
