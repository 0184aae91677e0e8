package cuda

import (
	"errors"
	"fmt"
	"testing"
)

// fakeMemory hands out increasing addresses up to a limit and records what is live.
type fakeMemory struct {
	next, used, limit uint64
	live              map[DevicePtr]uint64
	frees             int
}

func newFakeMemory(limit uint64) *fakeMemory {
	return &fakeMemory{next: 1 << 20, limit: limit, live: make(map[DevicePtr]uint64)}
}

func (m *fakeMemory) malloc(size uint64) (DevicePtr, error) {
	if m.used+size > m.limit {
		return 0, &Error{API: Driver, Call: "cuMemAlloc_v2", Code: 2, Name: "CUDA_ERROR_OUT_OF_MEMORY"}
	}
	p := DevicePtr(m.next)
	m.next += size
	m.used += size
	m.live[p] = size
	return p, nil
}

func (m *fakeMemory) free(p DevicePtr) error {
	size, ok := m.live[p]
	if !ok {
		return fmt.Errorf("fake: free of unknown %#x", uintptr(p))
	}
	delete(m.live, p)
	m.used -= size
	m.frees++
	return nil
}

func TestSizeClass(t *testing.T) {
	for _, tc := range []struct{ n, want uint64 }{
		{1, 512}, {512, 512}, {513, 640}, // 513: power of two below is 512, step 128
		{1000, 1024}, {1024, 1024}, {1025, 1280},
		{3 << 20, 3 << 20}, {(3 << 20) + 1, (3 << 20) + (512 << 10)},
	} {
		if got := SizeClass(tc.n); got != tc.want {
			t.Errorf("SizeClass(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	for n := uint64(1); n < 1<<16; n += 7 {
		if c := SizeClass(n); c < n || (n > 512 && float64(c) > 1.25*float64(n)+1) {
			t.Fatalf("SizeClass(%d) = %d: outside [n, 1.25n]", n, c)
		}
	}
}

func TestAllocatorReuse(t *testing.T) {
	mem := newFakeMemory(1 << 30)
	a := newAllocator(mem)
	p, err := a.Alloc(1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Free(p); err != nil {
		t.Fatal(err)
	}
	q, err := a.Alloc(900) // same class (1024): the freed block comes back
	if err != nil {
		t.Fatal(err)
	}
	if q != p {
		t.Errorf("second alloc %#x, want the freed block %#x", q, p)
	}
	r, _ := a.Alloc(5000) // another class: a new block
	if r == p {
		t.Error("different size class reused the same block")
	}
	st := a.Stats()
	if st.Mallocs != 2 || st.Hits != 1 || st.InUse != 1024+SizeClass(5000) || st.Cached != 0 {
		t.Errorf("stats %+v", st)
	}
	if err := a.Free(r); err != nil {
		t.Fatal(err)
	}
	if err := a.Free(r); err == nil {
		t.Error("double free accepted")
	}
	if err := a.Free(12345); err == nil {
		t.Error("free of a pointer never allocated accepted")
	}
	if _, err := a.Alloc(0); err == nil {
		t.Error("alloc of 0 bytes accepted")
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if len(mem.live) != 1 || mem.live[q] != 1024 {
		t.Errorf("after Release the raw memory holds %v, want only the block in use", mem.live)
	}
}

func TestAllocatorOutOfMemory(t *testing.T) {
	mem := newFakeMemory(4096)
	a := newAllocator(mem)
	var ps []DevicePtr
	for range 4 {
		p, err := a.Alloc(1000) // class 1024: four fit
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps[:2] {
		a.Free(p)
	}
	// 2048 bytes cached in class 1024; a 2048-byte class needs them freed first.
	p, err := a.Alloc(2000)
	if err != nil {
		t.Fatalf("alloc needing the cache released: %v", err)
	}
	if st := a.Stats(); st.Cached != 0 || st.InUse != 2*1024+2048 || mem.frees != 2 {
		t.Errorf("stats %+v, %d raw frees", st, mem.frees)
	}
	_, err = a.Alloc(600)
	if !errors.Is(err, ErrOutOfMemory) {
		t.Errorf("alloc past the limit: %v, want ErrOutOfMemory", err)
	}
	a.Free(p)
}
