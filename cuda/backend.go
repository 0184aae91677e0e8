package cuda

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/samtrain/samtrain/graph"
)

var _ graph.Backend[float32] = (*Backend)(nil)

// Buffer is float32 device memory handed out by a Backend: an allocation or a view of one
// (Backend.Slice). It implements graph.Buffer.
type Buffer struct {
	p DevicePtr
	n int
}

// Len is the number of float32 elements.
func (b *Buffer) Len() int { return b.n }

// Ptr is the device address of the first element.
func (b *Buffer) Ptr() DevicePtr { return b.p }

// stagingSlots is the number of pinned host buffers Upload cycles through: an upload waits
// only for the copy queued stagingSlots uploads before it, which in a training step is the
// previous step's.
const stagingSlots = 4

type staging struct {
	h    *HostBuffer
	done *Event
	used bool
}

// Backend runs the kernels of graph.Backend[float32] on one CUDA device: cuBLAS SGEMM,
// cuDNN convolutions and the project's kernels (kernels/*.cu), all queued in order on one
// stream of its own. Only Download waits for the device; Upload stages the host data in
// pinned memory and queues an asynchronous copy (it waits only for the copy queued
// stagingSlots uploads earlier, to reuse its pinned buffer). The labels of the
// cross-entropy kernels are uploaded into a device buffer the Backend owns, only when they
// differ from the last ones.
//
// The graph.Backend methods return no errors. Sizes that do not match are bugs of the
// caller and panic, as graph.Backend says. A failed library call (out of memory, a launch
// failure) is data: the first one is kept and returned by Err, every later call does
// nothing, and Download fills its destination with NaN so that a loss read from the device
// shows the failure. Callers check Err after each step.
//
// A Backend is not safe for concurrent use.
type Backend struct {
	d     *Device
	k     *Kernels
	s     *Stream
	block int // threads per block of every launch: a power of two <= 1024

	allocs []DevicePtr // every Alloc, freed by Close
	stage  [stagingSlots]staging
	next   int // the staging slot of the next upload

	labels     DevicePtr // device copy of lastLabels
	labelsCap  int
	lastLabels []int32

	vec *Vectors // the optimizers' arithmetic, made by the first Vectors call

	err error
}

// NewBackend compiles (or loads from the disk cache) the project's kernels on d and creates
// the Backend's stream. d must outlive the Backend.
func NewBackend(d *Device) (*Backend, error) {
	k, err := d.Kernels()
	if err != nil {
		return nil, err
	}
	s, err := d.NewStream()
	if err != nil {
		return nil, fmt.Errorf("cuda: backend stream: %w", err)
	}
	return &Backend{d: d, k: k, s: s, block: blockSize}, nil
}

// Device returns the device the Backend runs on.
func (b *Backend) Device() *Device { return b.d }

// Stream returns the stream on which the Backend queues all its work, so that other work on
// the same buffers (an optimizer's kernels) can be ordered with it.
func (b *Backend) Stream() *Stream { return b.s }

// Kernels returns the compiled kernels, to queue more work (an optimizer's) on Stream with
// the Buffers' device pointers (Buffer.Ptr).
func (b *Backend) Kernels() *Kernels { return b.k }

// Err returns the first failed library call, or nil.
func (b *Backend) Err() error { return b.err }

// Synchronize waits for the work queued so far and returns Err.
func (b *Backend) Synchronize() error {
	if b.err == nil {
		b.fail(b.s.Synchronize())
	}
	return b.err
}

// Close waits for the queued work and frees every Buffer the Backend allocated, its pinned
// staging buffers and its stream. Buffers must not be used afterwards.
func (b *Backend) Close() error {
	err := b.s.Synchronize()
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	for _, p := range b.allocs {
		keep(b.d.Free(p))
	}
	b.allocs = nil
	if b.labels != 0 {
		keep(b.d.Free(b.labels))
		b.labels, b.labelsCap, b.lastLabels = 0, 0, nil
	}
	for i := range b.stage {
		st := &b.stage[i]
		if st.h != nil {
			keep(st.h.Free())
		}
		if st.done != nil {
			keep(st.done.Close())
		}
		*st = staging{}
	}
	keep(b.s.Close())
	if err != nil {
		return fmt.Errorf("cuda: close backend: %w", err)
	}
	return nil
}

// fail keeps the first error.
func (b *Backend) fail(err error) {
	if err != nil && b.err == nil {
		b.err = err
	}
}

// buf returns x as a *Buffer with at least n elements; anything else is a broken invariant.
func (b *Backend) buf(what string, x graph.Buffer, n int) *Buffer {
	d, ok := x.(*Buffer)
	if !ok {
		panic(fmt.Sprintf("cuda: %s: buffer %T is not from a cuda.Backend", what, x))
	}
	if d.n < n {
		panic(fmt.Sprintf("cuda: %s: buffer of %d elements, need %d", what, d.n, n))
	}
	return d
}

// dims panics unless every size is positive and their product fits a C int.
func dims(what string, v ...int) int {
	p := 1
	for _, x := range v {
		if x < 1 || p > math.MaxInt32/x {
			panic(fmt.Sprintf("cuda: %s: bad sizes %v", what, v))
		}
		p *= x
	}
	return p
}

// launch queues kernel name on the Backend's stream.
func (b *Backend) launch(name string, grid int, args ...any) {
	if b.err != nil {
		return
	}
	b.fail(b.s.Launch(b.k.fn[name], Dim3{uint32(grid), 1, 1}, Dim3{uint32(b.block), 1, 1}, 0, args...))
}

// each queues an element-wise (grid-stride) kernel over n items.
func (b *Backend) each(name string, n int, args ...any) {
	g := (n + b.block - 1) / b.block
	b.launch(name, min(max(g, 1), b.k.maxGrid), args...)
}

// Alloc returns a zeroed buffer of n elements.
func (b *Backend) Alloc(n int) graph.Buffer {
	if n < 0 || n > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: Alloc(%d)", n))
	}
	buf := &Buffer{n: n}
	if b.err != nil {
		return buf
	}
	p, err := b.d.Alloc(uint64(max(n, 1)) * 4)
	if err != nil {
		b.fail(fmt.Errorf("cuda: backend alloc of %d floats: %w", n, err))
		return buf
	}
	b.allocs = append(b.allocs, p)
	buf.p = p
	if n > 0 {
		b.fail(b.s.Fill32(p, 0, uint64(n)))
	}
	return buf
}

// Free gives x, a buffer returned by Alloc (or by Vectors.New), back to the device's caching
// allocator before Close: for buffers made during training, such as the copy of the
// momentum that optim.SGD.State returns for a checkpoint. Work queued before Free may still
// use x; the allocator hands the memory out again only to work queued later (all of the
// Backend's work is on its one stream). x and its slices must not be used afterwards. A
// buffer that is not a live allocation of this Backend (a Slice view, another Backend's, one
// freed already) is an error, and nothing is freed.
func (b *Backend) Free(x graph.Buffer) error {
	d, ok := x.(*Buffer)
	if !ok || d == nil {
		return fmt.Errorf("cuda: Free of %T, not a *cuda.Buffer", x)
	}
	for i, p := range b.allocs {
		if p == d.p && p != 0 {
			b.allocs = append(b.allocs[:i], b.allocs[i+1:]...)
			d.p, d.n = 0, 0
			if err := b.d.Free(p); err != nil {
				return fmt.Errorf("cuda: backend free: %w", err)
			}
			return nil
		}
	}
	return fmt.Errorf("cuda: Free of a buffer at %#x that is not a live allocation of this Backend", uint64(d.p))
}

// Slice returns the view [lo, hi) of x, sharing its memory.
func (b *Backend) Slice(x graph.Buffer, lo, hi int) graph.Buffer {
	d := b.buf("Slice", x, 0)
	if lo < 0 || hi < lo || hi > d.n {
		panic(fmt.Sprintf("cuda: Slice [%d, %d) of %d elements", lo, hi, d.n))
	}
	return &Buffer{p: d.p + DevicePtr(lo)*4, n: hi - lo}
}

// Upload copies src into dst (len(src) == dst.Len()) through a pinned staging buffer and an
// asynchronous copy on the Backend's stream; src may be reused at once.
func (b *Backend) Upload(dst graph.Buffer, src []float32) {
	d := b.buf("Upload", dst, len(src))
	if len(src) != d.n {
		panic(fmt.Sprintf("cuda: Upload of %d elements into %d", len(src), d.n))
	}
	if len(src) > 0 {
		b.upload(d.p, unsafe.Slice((*byte)(unsafe.Pointer(&src[0])), 4*len(src)))
	}
}

// upload queues a copy of src to dst through the next staging slot.
func (b *Backend) upload(dst DevicePtr, src []byte) {
	if b.err != nil {
		return
	}
	st := &b.stage[b.next]
	b.next = (b.next + 1) % len(b.stage)
	if st.used {
		// The copy queued stagingSlots uploads ago reads this buffer until it runs.
		if err := st.done.Synchronize(); err != nil {
			b.fail(err)
			return
		}
	}
	if st.done == nil {
		e, err := b.d.NewEvent()
		if err != nil {
			b.fail(err)
			return
		}
		st.done = e
	}
	n := uint64(len(src))
	if st.h == nil || st.h.Size() < n {
		if st.h != nil {
			if err := st.h.Free(); err != nil {
				b.fail(err)
				return
			}
			st.h = nil
		}
		h, err := b.d.AllocHost(SizeClass(n))
		if err != nil {
			b.fail(err)
			return
		}
		st.h = h
	}
	copy(st.h.Bytes(), src)
	if err := b.s.Upload(dst, st.h, 0, n); err != nil {
		b.fail(err)
		return
	}
	b.fail(st.done.Record(b.s))
	st.used = true
}

// Download waits for the work queued so far and copies src into dst (len(dst) ==
// src.Len()). After a failure (see Err) it fills dst with NaN.
func (b *Backend) Download(dst []float32, src graph.Buffer) {
	d := b.buf("Download", src, len(dst))
	if len(dst) != d.n {
		panic(fmt.Sprintf("cuda: Download of %d elements into %d", d.n, len(dst)))
	}
	if b.err == nil {
		b.fail(b.s.Synchronize())
	}
	if b.err == nil {
		b.fail(CopyFromDevice(b.d, dst, d.p))
	}
	if b.err != nil {
		nan := float32(math.NaN())
		for i := range dst {
			dst[i] = nan
		}
	}
}

// Copy copies src into dst (dst.Len() == src.Len()).
func (b *Backend) Copy(dst, src graph.Buffer) {
	s := b.buf("Copy", src, 0)
	d := b.buf("Copy", dst, s.n)
	if d.n != s.n {
		panic(fmt.Sprintf("cuda: Copy of %d elements into %d", s.n, d.n))
	}
	if s.n > 0 && b.err == nil {
		b.fail(b.s.Copy(d.p, s.p, uint64(s.n)*4))
	}
}

// Fill sets every element of dst to v.
func (b *Backend) Fill(dst graph.Buffer, v float32) {
	d := b.buf("Fill", dst, 0)
	if d.n > 0 && b.err == nil {
		b.fail(b.s.Fill32(d.p, math.Float32bits(v), uint64(d.n)))
	}
}
