package cpu

import (
	"github.com/samtrain/samtrain/graph"
)

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
