package cpu

import (
	"github.com/samtrain/samtrain/graph"
	"math"
)

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
