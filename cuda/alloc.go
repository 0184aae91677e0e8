package cuda

import (
	"errors"
	"fmt"
	"math/bits"
	"sync"
)

// memory is the raw memory under an Allocator: cuMemAlloc/cuMemFree on a device, a fake in
// tests.
type memory interface {
	malloc(size uint64) (DevicePtr, error)
	free(p DevicePtr) error
}

// Allocator is a caching allocator: freed blocks go to a free list per size class and are
// handed out again instead of calling cuMemAlloc, which synchronises the device. When the
// device runs out of memory, the cached blocks are freed and the allocation retried once.
//
// Blocks are reused in the order work is issued, so all work using the allocator must be
// issued on one stream, or its streams synchronised before a block is freed (as in PyTorch's
// allocator, which keeps one pool per stream).
type Allocator struct {
	mu    sync.Mutex
	mem   memory
	pools map[uint64][]DevicePtr // free blocks by size class
	live  map[DevicePtr]uint64   // size class of every block handed out
	stats AllocatorStats
}

// AllocatorStats counts what an Allocator did.
type AllocatorStats struct {
	InUse   uint64 // bytes in blocks handed out (rounded to size classes)
	Cached  uint64 // bytes in free blocks kept for reuse
	Mallocs int    // calls to the raw allocator
	Hits    int    // allocations served from the free lists
}

// newAllocator returns an allocator over mem.
func newAllocator(mem memory) *Allocator {
	return &Allocator{mem: mem, pools: make(map[uint64][]DevicePtr), live: make(map[DevicePtr]uint64)}
}

// SizeClass returns the block size used for a request of n bytes: at least 512 bytes, and
// above that n rounded up to a quarter of its power of two, so at most 25% is wasted with four
// classes per doubling.
func SizeClass(n uint64) uint64 {
	const minBlock = 512
	if n <= minBlock {
		return minBlock
	}
	p := uint64(1) << (63 - bits.LeadingZeros64(n-1)) // largest power of two below n
	step := p / 4
	return (n + step - 1) / step * step
}

// Alloc returns a block of at least size bytes.
func (a *Allocator) Alloc(size uint64) (DevicePtr, error) {
	if size == 0 {
		return 0, errors.New("cuda: alloc of 0 bytes")
	}
	if size > 1<<48 {
		return 0, fmt.Errorf("cuda: alloc of %d bytes: too large", size)
	}
	c := SizeClass(size)
	a.mu.Lock()
	defer a.mu.Unlock()
	if free := a.pools[c]; len(free) > 0 {
		p := free[len(free)-1]
		a.pools[c] = free[:len(free)-1]
		a.live[p] = c
		a.stats.Cached -= c
		a.stats.InUse += c
		a.stats.Hits++
		return p, nil
	}
	p, err := a.mem.malloc(c)
	if errors.Is(err, ErrOutOfMemory) && a.stats.Cached > 0 {
		if rerr := a.releaseLocked(); rerr != nil {
			return 0, errors.Join(err, rerr)
		}
		p, err = a.mem.malloc(c)
	}
	if err != nil {
		return 0, fmt.Errorf("cuda: alloc %d bytes (%d in use): %w", size, a.stats.InUse, err)
	}
	a.stats.Mallocs++
	a.live[p] = c
	a.stats.InUse += c
	return p, nil
}

// Free returns p, which Alloc handed out, to its free list.
func (a *Allocator) Free(p DevicePtr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.live[p]
	if !ok {
		return fmt.Errorf("cuda: free of %#x, which is not an allocated block", uintptr(p))
	}
	delete(a.live, p)
	a.pools[c] = append(a.pools[c], p)
	a.stats.InUse -= c
	a.stats.Cached += c
	return nil
}

// Release frees all cached blocks; blocks in use are untouched.
func (a *Allocator) Release() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.releaseLocked()
}

func (a *Allocator) releaseLocked() error {
	var errs []error
	for c, free := range a.pools {
		for _, p := range free {
			if err := a.mem.free(p); err != nil {
				errs = append(errs, err)
			}
			a.stats.Cached -= c
		}
		delete(a.pools, c)
	}
	return errors.Join(errs...)
}

// Stats returns the allocator's counters.
func (a *Allocator) Stats() AllocatorStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}
