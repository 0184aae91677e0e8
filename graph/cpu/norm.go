package cpu

import (
	"github.com/samtrain/samtrain/graph"
	"math"
)

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
