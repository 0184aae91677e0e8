package cpu

import (
	"github.com/samtrain/samtrain/graph"
	"math"
)

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
