package cpu

import (
	"github.com/samtrain/samtrain/graph"
)

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
