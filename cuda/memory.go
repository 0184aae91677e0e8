package cuda

import (
	"fmt"
	"unsafe"
)

// Elem is an element type that can be copied to and from the device.
type Elem interface {
	~float32 | ~float64 | ~int32 | ~uint32 | ~int64 | ~uint64 | ~uint8
}

func byteSize[T Elem](s []T) uint64 {
	var z T
	return uint64(len(s)) * uint64(unsafe.Sizeof(z))
}

// CopyToDevice copies src into device memory at dst and returns when the copy is done
// (synchronous: src may be reused at once). Batches should use pinned HostBuffers and
// Stream.Upload instead.
func CopyToDevice[T Elem](d *Device, dst DevicePtr, src []T) error {
	if len(src) == 0 {
		return nil
	}
	return d.do(func() error {
		return d.drv.check("cuMemcpyHtoD_v2", d.drv.cuMemcpyHtoD(dst, unsafe.Pointer(&src[0]), byteSize(src)))
	})
}

// CopyFromDevice copies len(dst) elements from device memory at src into dst, waiting for
// the copy (and the work before it on the legacy default stream).
func CopyFromDevice[T Elem](d *Device, dst []T, src DevicePtr) error {
	if len(dst) == 0 {
		return nil
	}
	return d.do(func() error {
		return d.drv.check("cuMemcpyDtoH_v2", d.drv.cuMemcpyDtoH(unsafe.Pointer(&dst[0]), src, byteSize(dst)))
	})
}

// HostBuffer is page-locked host memory (cuMemHostAlloc), which the device reads and writes
// asynchronously: batches are staged here and uploaded with Stream.Upload while the device
// computes.
type HostBuffer struct {
	d    *Device
	p    unsafe.Pointer
	size uint64
}

// AllocHost returns size bytes of pinned host memory.
func (d *Device) AllocHost(size uint64) (*HostBuffer, error) {
	if size == 0 {
		return nil, fmt.Errorf("cuda: pinned alloc of 0 bytes")
	}
	h := &HostBuffer{d: d, size: size}
	const portable = 1 // CU_MEMHOSTALLOC_PORTABLE: pinned for every context
	err := d.do(func() error {
		return d.drv.check("cuMemHostAlloc", d.drv.cuMemHostAlloc(&h.p, size, portable))
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// Size returns the buffer's size in bytes.
func (h *HostBuffer) Size() uint64 { return h.size }

// Bytes returns the buffer as bytes; the slice is invalid after Free.
func (h *HostBuffer) Bytes() []byte { return unsafe.Slice((*byte)(h.p), h.size) }

// Float32s returns the buffer as float32s; the slice is invalid after Free.
func (h *HostBuffer) Float32s() []float32 { return unsafe.Slice((*float32)(h.p), h.size/4) }

// Int32s returns the buffer as int32s; the slice is invalid after Free.
func (h *HostBuffer) Int32s() []int32 { return unsafe.Slice((*int32)(h.p), h.size/4) }

// Free releases the buffer; work using it must be finished.
func (h *HostBuffer) Free() error {
	if h.p == nil {
		return nil
	}
	err := h.d.do(func() error { return h.d.drv.check("cuMemFreeHost", h.d.drv.cuMemFreeHost(h.p)) })
	h.p = nil
	return err
}

func (h *HostBuffer) span(off, n uint64) (unsafe.Pointer, error) {
	if h.p == nil {
		return nil, fmt.Errorf("cuda: pinned buffer used after Free")
	}
	if off > h.size || n > h.size-off {
		return nil, fmt.Errorf("cuda: bytes [%d, %d) outside pinned buffer of %d", off, off+n, h.size)
	}
	return unsafe.Add(h.p, off), nil
}

// Upload queues a copy of n bytes from h at byte offset off to dst.
func (s *Stream) Upload(dst DevicePtr, h *HostBuffer, off, n uint64) error {
	p, err := h.span(off, n)
	if err != nil {
		return err
	}
	return s.d.do(func() error {
		return s.d.drv.check("cuMemcpyHtoDAsync_v2", s.d.drv.cuMemcpyHtoDAsync(dst, p, n, s.h))
	})
}

// Download queues a copy of n bytes from src to h at byte offset off.
func (s *Stream) Download(h *HostBuffer, off uint64, src DevicePtr, n uint64) error {
	p, err := h.span(off, n)
	if err != nil {
		return err
	}
	return s.d.do(func() error {
		return s.d.drv.check("cuMemcpyDtoHAsync_v2", s.d.drv.cuMemcpyDtoHAsync(p, src, n, s.h))
	})
}

// Copy queues a copy of n bytes from src to dst, both in device memory (SAM's restore).
func (s *Stream) Copy(dst, src DevicePtr, n uint64) error {
	return s.d.do(func() error {
		return s.d.drv.check("cuMemcpyDtoDAsync_v2", s.d.drv.cuMemcpyDtoDAsync(dst, src, n, s.h))
	})
}

// Fill32 queues setting n 32-bit words at dst to v (0 for zeros, math.Float32bits(x) for x).
func (s *Stream) Fill32(dst DevicePtr, v uint32, n uint64) error {
	return s.d.do(func() error {
		return s.d.drv.check("cuMemsetD32Async", s.d.drv.cuMemsetD32Async(dst, v, n, s.h))
	})
}
