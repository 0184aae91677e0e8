package cpu

import (
	"fmt"
	"math"

	"github.com/samtrain/samtrain/graph"
)

// Slice is the CPU backend's graph.Buffer: host memory.
type Slice[T Float] []T

// Len returns len(s).
func (s Slice[T]) Len() int { return len(s) }

// Backend is the pure-Go graph.Backend. Its zero value runs every kernel on
// one goroutine; Par sets the number of goroutines.
type Backend[T Float] struct {
	// Par is the number of goroutines a kernel may use; values below 1 mean 1.
	Par int
}

var (
	_ graph.Backend[float32] = (*Backend[float32])(nil)
	_ graph.Host[float64]    = (*Backend[float64])(nil)
)

func (b *Backend[T]) par() int { return max(1, b.Par) }

func s[T Float](b graph.Buffer) []T { return b.(Slice[T]) }

// Data returns the memory of buf.
func (b *Backend[T]) Data(buf graph.Buffer) []T { return buf.(Slice[T]) }

// Wrap returns v as a Buffer, sharing memory.
func (b *Backend[T]) Wrap(v []T) graph.Buffer { return Slice[T](v) }

// Alloc returns a zeroed buffer of n elements.
func (b *Backend[T]) Alloc(n int) graph.Buffer { return make(Slice[T], n) }

// Slice returns the view [lo, hi) of buf.
func (b *Backend[T]) Slice(buf graph.Buffer, lo, hi int) graph.Buffer {
	return Slice[T](s[T](buf)[lo:hi:hi])
}

// Upload copies src into dst.
func (b *Backend[T]) Upload(dst graph.Buffer, src []T) { mustCopy(s[T](dst), src) }

// Download copies src into dst.
func (b *Backend[T]) Download(dst []T, src graph.Buffer) { mustCopy(dst, s[T](src)) }

// Copy copies src into dst.
func (b *Backend[T]) Copy(dst, src graph.Buffer) { mustCopy(s[T](dst), s[T](src)) }

func mustCopy[T Float](dst, src []T) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("cpu: copy of %d elements into %d", len(src), len(dst)))
	}
	copy(dst, src)
}

// Fill sets every element of dst to v.
func (b *Backend[T]) Fill(dst graph.Buffer, v T) {
	d := s[T](dst)
	for i := range d {
		d[i] = v
	}
}

// Add sets dst = x + y.
func (b *Backend[T]) Add(dst, x, y graph.Buffer) {
	d, xs, ys := s[T](dst), s[T](x), s[T](y)
	xs, ys = xs[:len(d)], ys[:len(d)]
	b.split(len(d), func(lo, hi int) {
		dd, xx, yy := d[lo:hi], xs[lo:hi], ys[lo:hi]
		for i := range dd {
			dd[i] = xx[i] + yy[i]
		}
	})
}

// minSplit is the element count below which element-wise kernels stay on
// one goroutine (starting one costs about as much as a few thousand adds).
const minSplit = 1 << 15

// split runs f over [0, n) in Par contiguous chunks when n is large.
func (b *Backend[T]) split(n int, f func(lo, hi int)) {
	if n < minSplit {
		f(0, n)
		return
	}
	parallelRange(b.par(), n, func(_, lo, hi int) { f(lo, hi) })
}

// Axpby sets y = a·x + c·y.
func (b *Backend[T]) Axpby(y graph.Buffer, a T, x graph.Buffer, c T) {
	ys, xs := s[T](y), s[T](x)
	xs = xs[:len(ys)]
	for i := range ys {
		ys[i] = a*xs[i] + c*ys[i]
	}
}

// Gemm sets C = alpha·op(A)·op(B) + beta·C.
func (b *Backend[T]) Gemm(transA, transB bool, m, n, k int, alpha T, a, bb graph.Buffer, beta T, c graph.Buffer) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	Gemm(b.par(), transA, transB, m, n, k, alpha, s[T](a), lda, s[T](bb), ldb, beta, s[T](c), n)
}

// ConvWorkspaceLen is the scratch the Conv2d kernels need.
func (b *Backend[T]) ConvWorkspaceLen(p graph.ConvShape) int {
	return toParams(p).WorkspaceLen(b.par())
}

// Conv2dForward sets y = x ⋆ w.
func (b *Backend[T]) Conv2dForward(p graph.ConvShape, x, w, y, work graph.Buffer) {
	Conv2dForward(b.par(), toParams(p), s[T](x), s[T](w), s[T](y), s[T](work))
}

// Conv2dBackwardData sets dx from dy.
func (b *Backend[T]) Conv2dBackwardData(p graph.ConvShape, w, dy, dx, work graph.Buffer) {
	Conv2dBackwardData(b.par(), toParams(p), s[T](w), s[T](dy), s[T](dx), s[T](work))
}

// Conv2dBackwardFilter sets dw from x and dy.
func (b *Backend[T]) Conv2dBackwardFilter(p graph.ConvShape, x, dy, dw, work graph.Buffer) {
	Conv2dBackwardFilter(b.par(), toParams(p), s[T](x), s[T](dy), s[T](dw), s[T](work))
}

// ReLU sets y = max(x, 0).
func (b *Backend[T]) ReLU(x, y graph.Buffer) {
	xs, ys := s[T](x), s[T](y)
	xs = xs[:len(ys)]
	b.split(len(ys), func(lo, hi int) {
		if x32, ok := any(xs).([]float32); ok {
			relu32(x32[lo:hi], any(ys).([]float32)[lo:hi])
			return
		}
		yy := ys[lo:hi]
		for i, v := range xs[lo:hi] {
			yy[i] = max(v, 0)
		}
	})
}

// relu32 is ReLU for float32 without branches: the sign bit, spread by an
// arithmetic shift, masks negative inputs (and −0) to +0.
func relu32(x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		bits := math.Float32bits(v)
		y[i] = math.Float32frombits(bits &^ uint32(int32(bits)>>31))
	}
}

// ReLUBackward sets dx = dy where y > 0, else 0.
func (b *Backend[T]) ReLUBackward(y, dy, dx graph.Buffer) {
	ys, dys, dxs := s[T](y), s[T](dy), s[T](dx)
	ys, dys = ys[:len(dxs)], dys[:len(dxs)]
	b.split(len(dxs), func(lo, hi int) {
		if y32, ok := any(ys).([]float32); ok {
			reluBackward32(y32[lo:hi], any(dys).([]float32)[lo:hi], any(dxs).([]float32)[lo:hi])
			return
		}
		dd, gg := dxs[lo:hi], dys[lo:hi]
		for i, v := range ys[lo:hi] {
			if v > 0 {
				dd[i] = gg[i]
			} else {
				dd[i] = 0
			}
		}
	})
}

// reluBackward32 is ReLUBackward for float32 without branches (the sign of
// y is random, so a branch mispredicts half the time). y is a ReLU output,
// so y ≥ 0 and y > 0 exactly when its bits are not 0: (bits−1)>>31
// (arithmetic) is all ones for y = 0 and 0 otherwise.
func reluBackward32(y, dy, dx []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	for i, v := range y {
		zero := uint32((int32(math.Float32bits(v)) - 1) >> 31)
		dx[i] = math.Float32frombits(math.Float32bits(dy[i]) &^ zero)
	}
}

// Moments sets the per-row mean, biased variance and 1/sqrt(var+eps) of x
// viewed as outer×rows×inner. Sums are accumulated in float64.
func (b *Backend[T]) Moments(outer, rows, inner int, x graph.Buffer, eps float64, mean, variance, invStd graph.Buffer) {
	xs, ms, vs, is := s[T](x), s[T](mean), s[T](variance), s[T](invStd)
	cnt := float64(outer * inner)
	parallelRange(b.par(), rows, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			var sum float64
			for o := 0; o < outer; o++ {
				for _, v := range xs[(o*rows+r)*inner : (o*rows+r+1)*inner] {
					sum += float64(v)
				}
			}
			mu := sum / cnt
			var ss float64
			for o := 0; o < outer; o++ {
				for _, v := range xs[(o*rows+r)*inner : (o*rows+r+1)*inner] {
					d := float64(v) - mu
					ss += d * d
				}
			}
			v := ss / cnt
			ms[r], vs[r], is[r] = T(mu), T(v), T(1/math.Sqrt(v+eps))
		}
	})
}

// InvStd sets invStd = 1/sqrt(variance+eps).
func (b *Backend[T]) InvStd(variance graph.Buffer, eps float64, invStd graph.Buffer) {
	vs, is := s[T](variance), s[T](invStd)
	for i, v := range vs {
		is[i] = T(1 / math.Sqrt(float64(v)+eps))
	}
}

// statIndex returns the statistics index of (n, c): c with groups 0, else
// n·G + c/(C/G).
func statIndex(n, c, channels, groups int) int {
	if groups == 0 {
		return c
	}
	return n*groups + c/(channels/groups)
}

// Normalize sets y = (x − mean)·invStd·scale[c] + bias[c].
func (b *Backend[T]) Normalize(n, c, hw, groups int, x, mean, invStd, scale, bias, y graph.Buffer) {
	xs, ms, is, sc, bs, ys := s[T](x), s[T](mean), s[T](invStd), s[T](scale), s[T](bias), s[T](y)
	parallelRange(b.par(), n*c, func(_, lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			ch := nc % c
			k := statIndex(nc/c, ch, c, groups)
			a := is[k] * sc[ch]
			off := bs[ch] - ms[k]*a
			yr, xr := ys[nc*hw:(nc+1)*hw], xs[nc*hw:(nc+1)*hw]
			for i, v := range xr {
				yr[i] = v*a + off
			}
		}
	})
}

// NormScaleGrad sets dscale[c] = Σ dy·x̂.
func (b *Backend[T]) NormScaleGrad(n, c, hw, groups int, x, mean, invStd, dy, dscale graph.Buffer) {
	xs, ms, is, dys, ds := s[T](x), s[T](mean), s[T](invStd), s[T](dy), s[T](dscale)
	parallelRange(b.par(), c, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var acc float64
			for i := 0; i < n; i++ {
				k := statIndex(i, ch, c, groups)
				mu, is := float64(ms[k]), float64(is[k])
				var sum float64
				off := (i*c + ch) * hw
				for j, v := range xs[off : off+hw] {
					sum += float64(dys[off+j]) * (float64(v) - mu)
				}
				acc += sum * is
			}
			ds[ch] = T(acc)
		}
	})
}

// ChannelSum sets db[c] = Σ_{n,hw} dy.
func (b *Backend[T]) ChannelSum(n, c, hw int, dy, db graph.Buffer) {
	dys, ds := s[T](dy), s[T](db)
	parallelRange(b.par(), c, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var acc float64
			for i := 0; i < n; i++ {
				off := (i*c + ch) * hw
				for _, v := range dys[off : off+hw] {
					acc += float64(v)
				}
			}
			ds[ch] = T(acc)
		}
	})
}

// BatchNormBackward sets dx for batch normalisation.
func (b *Backend[T]) BatchNormBackward(n, c, hw int, batch bool, x, mean, invStd, scale, dy, dscale, dbias, dx graph.Buffer) {
	xs, ms, is, sc, dys, dsc, dbs, dxs := s[T](x), s[T](mean), s[T](invStd), s[T](scale), s[T](dy), s[T](dscale), s[T](dbias), s[T](dx)
	m := T(n * hw)
	parallelRange(b.par(), n*c, func(_, lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			ch := nc % c
			off := nc * hw
			dyr, dxr := dys[off:off+hw], dxs[off:off+hw]
			k := sc[ch] * is[ch]
			if !batch {
				for i, v := range dyr {
					dxr[i] = k * v
				}
				continue
			}
			mu, istd := ms[ch], is[ch]
			gs, bsum := dsc[ch]/m, dbs[ch]/m
			xr := xs[off : off+hw]
			for i, v := range dyr {
				xh := (xr[i] - mu) * istd
				dxr[i] = k * (v - bsum - xh*gs)
			}
		}
	})
}

// GroupNormBackward sets dx for group normalisation.
func (b *Backend[T]) GroupNormBackward(n, c, hw, groups int, x, mean, invStd, scale, dy, dx graph.Buffer) {
	xs, ms, is, sc, dys, dxs := s[T](x), s[T](mean), s[T](invStd), s[T](scale), s[T](dy), s[T](dx)
	cg := c / groups
	m := float64(cg * hw)
	parallelRange(b.par(), n*groups, func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			mu, istd := float64(ms[k]), float64(is[k])
			base := k * cg * hw // (n·G+g)·(C/G)·HW = offset of channel g·cg of sample n
			var sa, sax float64
			for j := 0; j < cg; j++ {
				g := float64(sc[(k%groups)*cg+j])
				off := base + j*hw
				for i, v := range dys[off : off+hw] {
					a := g * float64(v)
					sa += a
					sax += a * (float64(xs[off+i]) - mu) * istd
				}
			}
			sa /= m
			sax /= m
			for j := 0; j < cg; j++ {
				g := float64(sc[(k%groups)*cg+j])
				off := base + j*hw
				for i, v := range dys[off : off+hw] {
					xh := (float64(xs[off+i]) - mu) * istd
					dxs[off+i] = T(istd * (g*float64(v) - sa - xh*sax))
				}
			}
		}
	})
}

// AvgPool sets y[i] = mean of row i of x.
func (b *Backend[T]) AvgPool(rows, hw int, x, y graph.Buffer) {
	xs, ys := s[T](x), s[T](y)
	for i := 0; i < rows; i++ {
		var sum T
		for _, v := range xs[i*hw : (i+1)*hw] {
			sum += v
		}
		ys[i] = sum / T(hw)
	}
}

// AvgPoolBackward sets dx[i·hw+j] = dy[i]/hw.
func (b *Backend[T]) AvgPoolBackward(rows, hw int, dy, dx graph.Buffer) {
	dys, dxs := s[T](dy), s[T](dx)
	for i := 0; i < rows; i++ {
		v := dys[i] / T(hw)
		r := dxs[i*hw : (i+1)*hw]
		for j := range r {
			r[j] = v
		}
	}
}

// AddRowVector adds v to every row of y.
func (b *Backend[T]) AddRowVector(rows, cols int, y, v graph.Buffer) {
	ys, vs := s[T](y), s[T](v)
	for i := 0; i < rows; i++ {
		r := ys[i*cols : (i+1)*cols]
		for j := range r {
			r[j] += vs[j]
		}
	}
}

// SumRows sets sum[j] = Σ_i y[i·cols+j].
func (b *Backend[T]) SumRows(rows, cols int, y, sum graph.Buffer) {
	ys, ss := s[T](y), s[T](sum)
	clear(ss[:cols])
	for i := 0; i < rows; i++ {
		for j, v := range ys[i*cols : (i+1)*cols] {
			ss[j] += v
		}
	}
}

// SoftmaxCrossEntropy sets loss[0] to the mean cross-entropy of softmax(z).
func (b *Backend[T]) SoftmaxCrossEntropy(n, k int, z graph.Buffer, labels []int32, loss graph.Buffer) {
	zs := s[T](z)
	var sum float64
	for i := 0; i < n; i++ {
		r := zs[i*k : (i+1)*k]
		sum += logSumExp(r) - float64(r[labels[i]])
	}
	s[T](loss)[0] = T(sum / float64(n))
}

func logSumExp[T Float](r []T) float64 {
	mx := math.Inf(-1)
	for _, v := range r {
		mx = max(mx, float64(v))
	}
	var e float64
	for _, v := range r {
		e += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(e)
}

// SoftmaxCrossEntropyBackward sets dz = g/n·(softmax(z) − onehot).
func (b *Backend[T]) SoftmaxCrossEntropyBackward(n, k int, z graph.Buffer, labels []int32, g, dz graph.Buffer) {
	zs, dzs := s[T](z), s[T](dz)
	scale := float64(s[T](g)[0]) / float64(n)
	for i := 0; i < n; i++ {
		r, d := zs[i*k:(i+1)*k], dzs[i*k:(i+1)*k]
		lse := logSumExp(r)
		for j, v := range r {
			d[j] = T(math.Exp(float64(v)-lse) * scale)
		}
		d[labels[i]] -= T(scale)
	}
}
