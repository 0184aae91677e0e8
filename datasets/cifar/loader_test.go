package cifar

import (
	"context"
	"errors"
	"math"
	"testing"
)

// collect returns copies of all batches of one epoch from batch start on.
func collect(t *testing.T, l *Loader, epoch, start int) []Batch {
	t.Helper()
	it, err := l.Epoch(context.Background(), epoch, start)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []Batch
	for it.Next() {
		b := it.Batch()
		out = append(out, Batch{
			Epoch:  b.Epoch,
			Pos:    b.Pos,
			Images: append([]float32(nil), b.Images...),
			Labels: append([]int(nil), b.Labels...),
			Clean:  append([]int(nil), b.Clean...),
			Index:  append([]int(nil), b.Index...),
		})
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func equalBatches(a, b []Batch) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Epoch != b[i].Epoch || a[i].Pos != b[i].Pos || !equalInts(a[i].Labels, b[i].Labels) || !equalInts(a[i].Clean, b[i].Clean) || !equalInts(a[i].Index, b[i].Index) {
			return false
		}
		for j := range a[i].Images {
			if a[i].Images[j] != b[i].Images[j] {
				return false
			}
		}
	}
	return true
}

func TestLoaderPlain(t *testing.T) {
	s := testSplit(t, CIFAR10, 23)
	for _, tc := range []struct {
		drop  bool
		sizes []int
	}{{false, []int{10, 10, 3}}, {true, []int{10, 10}}} {
		l := &Loader{Split: s, BatchSize: 10, DropLast: tc.drop}
		bs := collect(t, l, 0, 0)
		if len(bs) != len(tc.sizes) || l.Batches() != len(tc.sizes) {
			t.Fatalf("DropLast %v: %d batches (Batches() %d), want %d", tc.drop, len(bs), l.Batches(), len(tc.sizes))
		}
		k := 0
		for p, b := range bs {
			if b.Len() != tc.sizes[p] || len(b.Images) != b.Len()*ImageBytes || b.Pos != p {
				t.Fatalf("batch %d: %d images, %d floats, pos %d", p, b.Len(), len(b.Images), b.Pos)
			}
			for j, i := range b.Index {
				if i != k {
					t.Fatalf("unshuffled batch %d image %d has index %d, want %d", p, j, i, k)
				}
				k++
				if b.Labels[j] != s.Labels[i] {
					t.Fatalf("label mismatch")
				}
				for q, v := range s.Image(i) {
					if got, want := b.Images[j*ImageBytes+q], float32(float64(v)/255); got != want {
						t.Fatalf("pixel %d of image %d = %v, want %v", q, i, got, want)
					}
				}
			}
		}
	}
}

func TestLoaderShuffleAugment(t *testing.T) {
	s, err := testSplit(t, CIFAR10, 300).WithLabelNoise(0.5, 8)
	if err != nil {
		t.Fatal(err)
	}
	base := Loader{Split: s, BatchSize: 32, Seed: 5, Shuffle: true, Augment: true}
	one := base
	one.Workers = 1
	many := base
	many.Workers, many.Prefetch = 3, 5
	e0 := collect(t, &one, 0, 0)
	if !equalBatches(e0, collect(t, &many, 0, 0)) {
		t.Fatal("batches depend on the number of workers")
	}
	// Every image exactly once per epoch.
	seen := make([]int, s.Len())
	for _, b := range e0 {
		for j, i := range b.Index {
			seen[i]++
			if b.Labels[j] != s.Labels[i] || b.Clean[j] != s.Clean[i] {
				t.Fatalf("image %d: labels %d/%d, want %d/%d", i, b.Labels[j], b.Clean[j], s.Labels[i], s.Clean[i])
			}
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("image %d seen %d times in an epoch", i, n)
		}
	}
	// Resuming at batch 4 of epoch 1 gives the tail of epoch 1.
	e1 := collect(t, &one, 1, 0)
	if !equalBatches(e1[4:], collect(t, &many, 1, 4)) {
		t.Fatal("resumed epoch differs from the uninterrupted one")
	}
	if equalInts(e0[0].Index, e1[0].Index) {
		t.Error("epochs 0 and 1 start with the same images")
	}
	other := one
	other.Seed = 6
	if equalBatches(e0, collect(t, &other, 0, 0)) {
		t.Error("seeds 5 and 6 give the same epoch")
	}
	if len(collect(t, &one, 2, one.Batches())) != 0 {
		t.Error("starting at the end yields batches")
	}
}

// TestLoaderAugmentDistribution recovers each image's crop and flip by
// matching it against the 162 candidates of augmentRef, and checks that all
// 81 offsets occur and flips happen about half of the time.
func TestLoaderAugmentDistribution(t *testing.T) {
	s := testSplit(t, CIFAR10, 200)
	l := &Loader{Split: s, BatchSize: 50, Seed: 9, Shuffle: true, Augment: true}
	offsets := map[[2]int]int{}
	flips, n := 0, 0
	for epoch := range 5 {
		for _, b := range collect(t, l, epoch, 0) {
			for j, i := range b.Index {
				got := b.Images[j*ImageBytes : (j+1)*ImageBytes]
				dy, dx, flip, ok := findCrop(got, s.Image(i))
				if !ok {
					t.Fatalf("image %d of epoch %d is no crop/flip of its source", j, epoch)
				}
				offsets[[2]int{dy, dx}]++
				if flip {
					flips++
				}
				n++
			}
		}
	}
	if len(offsets) != 81 {
		t.Errorf("%d distinct offsets in %d images, want 81", len(offsets), n)
	}
	// Binomial(1000, 1/2): 4.5 standard deviations is 71.
	if d := math.Abs(float64(flips) - float64(n)/2); d > 4.5*math.Sqrt(float64(n)/4) {
		t.Errorf("%d flips in %d images", flips, n)
	}
}

func findCrop(got []float32, img []byte) (dy, dx int, flip, ok bool) {
	// Like augmentRef without normalisation, stopping at the first mismatch.
	pixel := func(c, y, x, dy, dx int, flip bool) float32 {
		if flip {
			x = Width - 1 - x
		}
		sy, sx := y+dy-pad, x+dx-pad
		if sy < 0 || sy >= Height || sx < 0 || sx >= Width {
			return 0
		}
		return float32(float64(img[c*Height*Width+sy*Width+sx]) / 255)
	}
	for dy := range 2*pad + 1 {
		for dx := range 2*pad + 1 {
			for _, flip := range []bool{false, true} {
				match := true
				for i := 0; i < ImageBytes && match; i++ {
					c, y, x := i/(Height*Width), (i/Width)%Height, i%Width
					match = pixel(c, y, x, dy, dx, flip) == got[i]
				}
				if match {
					return dy, dx, flip, true
				}
			}
		}
	}
	return 0, 0, false, false
}

func TestLoaderBuffersReused(t *testing.T) {
	s := testSplit(t, CIFAR10, 100)
	l := &Loader{Split: s, BatchSize: 5, Augment: true, Workers: 2, Prefetch: 1}
	it, err := l.Epoch(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	bufs := map[*float32]bool{}
	for it.Next() {
		bufs[&it.Batch().Images[0]] = true
	}
	// Prefetch + Workers + 1 buffers, for 20 batches.
	if len(bufs) > 4 {
		t.Errorf("%d distinct image buffers, want at most 4", len(bufs))
	}
}

func TestLoaderCancel(t *testing.T) {
	s := testSplit(t, CIFAR10, 100)
	l := &Loader{Split: s, BatchSize: 5, Augment: true}
	ctx, cancel := context.WithCancel(context.Background())
	it, err := l.Epoch(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !it.Next() {
		t.Fatal("no first batch")
	}
	cancel()
	n := 0
	for it.Next() {
		n++
	}
	// At most the prefetched batches can still arrive.
	if n > 4 {
		t.Errorf("%d batches after cancel", n)
	}
	if !errors.Is(it.Err(), context.Canceled) {
		t.Errorf("Err() = %v, want context.Canceled", it.Err())
	}
	it.Close()
	it.Close()

	// Close without draining must not hang.
	it, err = l.Epoch(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	it.Next()
	it.Close()
}

func TestLoaderErrors(t *testing.T) {
	s := testSplit(t, CIFAR10, 10)
	for _, tc := range []struct {
		name         string
		l            Loader
		epoch, start int
	}{
		{"no split", Loader{BatchSize: 2}, 0, 0},
		{"zero batch", Loader{Split: s}, 0, 0},
		{"negative epoch", Loader{Split: s, BatchSize: 2}, -1, 0},
		{"start past end", Loader{Split: s, BatchSize: 2}, 0, 6},
		{"negative start", Loader{Split: s, BatchSize: 2}, 0, -1},
		{"negative workers", Loader{Split: s, BatchSize: 2, Workers: -1}, 0, 0},
		{"bad split", Loader{Split: &Split{Kind: CIFAR10, Labels: []int{1}, Images: []byte{1}}, BatchSize: 2}, 0, 0},
	} {
		if _, err := tc.l.Epoch(context.Background(), tc.epoch, tc.start); err == nil {
			t.Errorf("%s: nil error", tc.name)
		}
	}
}

// BenchmarkAugment measures the augmentation kernel alone on one
// goroutine: crop, flip, scale and normalise into float32.
func BenchmarkAugment(b *testing.B) {
	s := testSplit(b, CIFAR10, 256)
	t := newLUT(&Norm{Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}})
	dst := make([]float32, ImageBytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		augment(dst, s.Image(i%256), i%9, (i/9)%9, i%2 == 0, t)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkLoader measures the whole pipeline (shuffle, augmentation,
// normalisation, prefetch) with one worker: run with -cpu 1 to hold it to
// one core.
func BenchmarkLoader(b *testing.B) {
	s := testSplit(b, CIFAR10, 5000)
	l := &Loader{Split: s, BatchSize: 128, Seed: 1, Shuffle: true, Augment: true, Workers: 1,
		Norm: &Norm{Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.25, 0.25, 0.25}}}
	b.ResetTimer()
	images := 0
	for epoch := 0; images < b.N; epoch++ {
		it, err := l.Epoch(context.Background(), epoch, 0)
		if err != nil {
			b.Fatal(err)
		}
		for images < b.N && it.Next() {
			images += it.Batch().Len()
		}
		it.Close()
	}
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
}
