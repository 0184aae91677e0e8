package cpu

import (
	"fmt"

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
