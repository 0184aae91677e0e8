package cifar

import (
	"context"
	"fmt"
	"sync"
)

// Loader produces the batches of one Split, epoch by epoch. Fill in the
// fields and call Epoch; a Loader is not changed by iterating and may be
// shared by consecutive iterators.
//
// All randomness comes from Seed: the order of epoch e is a permutation
// drawn from (Seed, e), and the crop offsets and flips of batch b of epoch e
// from (Seed, e, b). To checkpoint, save Seed and the Epoch and Pos of the
// last batch consumed; to resume, call Epoch(ctx, epoch, pos+1) on a Loader
// with the same fields, and the remaining batches are identical.
type Loader struct {
	// Split is the data to iterate over; required.
	Split *Split
	// BatchSize is the number of images per batch; must be positive.
	BatchSize int
	// Seed keys every random choice of the Loader.
	Seed uint64
	// Shuffle draws a new order of the images each epoch; false keeps the
	// order of Split (for evaluation).
	Shuffle bool
	// Augment applies the standard augmentation: a random 32×32 crop of
	// the image zero-padded by 4 pixels, then a horizontal flip with
	// probability 1/2. Padded pixels are black (byte 0) before scaling.
	Augment bool
	// Norm, if not nil, normalises each channel after scaling to [0, 1].
	Norm *Norm
	// DropLast drops a last batch smaller than BatchSize.
	DropLast bool
	// Workers is the number of background goroutines that fill batches;
	// zero means 1.
	Workers int
	// Prefetch is the number of batches prepared ahead of the consumer;
	// zero means 2.
	Prefetch int
}

// Batch is one batch of images and labels. Its slices are reused: a Batch
// returned by Iter.Batch is valid until the next call of Next or Close.
type Batch struct {
	Epoch int // epoch this batch belongs to
	Pos   int // position of the batch in its epoch, from 0
	// Images holds Len() images of Channels×Height×Width float32 values
	// (NCHW): pixel/255, then normalised by Loader.Norm if set.
	Images []float32
	// Labels holds the label of each image (Split.Labels, noisy under
	// label noise).
	Labels []int
	// Clean holds the clean label of each image (Split.Clean).
	Clean []int
	// Index holds the position of each image in Loader.Split.
	Index []int
}

// Len returns the number of images in b.
func (b *Batch) Len() int { return len(b.Labels) }

// Batches returns the number of batches in an epoch.
func (l *Loader) Batches() int {
	if l.BatchSize <= 0 || l.Split == nil {
		return 0
	}
	n := l.Split.Len()
	if l.DropLast {
		return n / l.BatchSize
	}
	return (n + l.BatchSize - 1) / l.BatchSize
}

// Order returns the order of the images of Split in the given epoch: the
// Split positions of the images of batch b are Order(epoch)[b*BatchSize:].
func (l *Loader) Order(epoch int) []int {
	n := l.Split.Len()
	if !l.Shuffle {
		p := make([]int, n)
		for i := range p {
			p[i] = i
		}
		return p
	}
	return newRand(l.Seed, streamShuffle, epoch, 0).Perm(n)
}

// Iter yields the batches of one epoch; see Loader.Epoch.
type Iter struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	order  chan chan *Batch
	free   chan *Batch
	cur    *Batch
	err    error
	ended  bool // set by the dispatcher before closing order when it finished all batches
}

type job struct {
	pos int
	b   *Batch
	res chan *Batch
}

// Epoch starts background goroutines that prepare the batches of the given
// epoch from batch start on (0 for a whole epoch) and returns an iterator
// over them. Call Close when done, even after Next returned false.
// Cancelling ctx stops the goroutines; Next then returns false and Err the
// context's error.
func (l *Loader) Epoch(ctx context.Context, epoch, start int) (*Iter, error) {
	switch {
	case l.Split == nil || l.Split.Len() == 0:
		return nil, fmt.Errorf("cifar: loader has no images")
	case l.BatchSize <= 0:
		return nil, fmt.Errorf("cifar: loader BatchSize %d, want > 0", l.BatchSize)
	case epoch < 0:
		return nil, fmt.Errorf("cifar: epoch %d, want >= 0", epoch)
	case start < 0 || start > l.Batches():
		return nil, fmt.Errorf("cifar: start batch %d, want 0…%d", start, l.Batches())
	case l.Workers < 0 || l.Prefetch < 0:
		return nil, fmt.Errorf("cifar: loader Workers %d, Prefetch %d, want >= 0", l.Workers, l.Prefetch)
	case len(l.Split.Images) != l.Split.Len()*ImageBytes:
		return nil, fmt.Errorf("cifar: split has %d image bytes for %d labels", len(l.Split.Images), l.Split.Len())
	}
	workers, prefetch := max(l.Workers, 1), l.Prefetch
	if prefetch == 0 {
		prefetch = 2
	}
	nbuf := prefetch + workers + 1
	ctx, cancel := context.WithCancel(ctx)
	it := &Iter{
		ctx:    ctx,
		cancel: cancel,
		order:  make(chan chan *Batch, nbuf),
		free:   make(chan *Batch, nbuf),
	}
	for range nbuf {
		it.free <- &Batch{
			Images: make([]float32, 0, l.BatchSize*ImageBytes),
			Labels: make([]int, 0, l.BatchSize),
			Clean:  make([]int, 0, l.BatchSize),
			Index:  make([]int, 0, l.BatchSize),
		}
	}
	order := l.Order(epoch)
	t := newLUT(l.Norm)
	jobs := make(chan job, workers)
	nb := l.Batches()

	it.wg.Add(1 + workers)
	go func() {
		defer it.wg.Done()
		defer close(it.order)
		defer close(jobs)
		for pos := start; pos < nb; pos++ {
			var b *Batch
			select {
			case b = <-it.free:
			case <-ctx.Done():
				return
			}
			j := job{pos: pos, b: b, res: make(chan *Batch, 1)}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
			select {
			case it.order <- j.res:
			case <-ctx.Done():
				return
			}
		}
		it.ended = true
	}()
	for range workers {
		go func() {
			defer it.wg.Done()
			for j := range jobs {
				lo := j.pos * l.BatchSize
				hi := min(lo+l.BatchSize, len(order))
				l.fill(j.b, epoch, j.pos, order[lo:hi], t)
				j.res <- j.b
			}
		}()
	}
	return it, nil
}

// fill writes into b the images at Split positions idx of batch pos.
func (l *Loader) fill(b *Batch, epoch, pos int, idx []int, t *lut) {
	n := len(idx)
	b.Epoch, b.Pos = epoch, pos
	b.Images = b.Images[:n*ImageBytes]
	b.Labels = b.Labels[:n]
	b.Clean = b.Clean[:n]
	b.Index = b.Index[:n]
	s := l.Split
	if !l.Augment {
		for k, i := range idx {
			augment(b.Images[k*ImageBytes:(k+1)*ImageBytes], s.Image(i), pad, pad, false, t)
			b.Labels[k], b.Clean[k], b.Index[k] = s.Labels[i], s.Clean[i], i
		}
		return
	}
	r := newRand(l.Seed, streamAugment, epoch, pos)
	for k, i := range idx {
		dy, dx, flip := r.IntN(2*pad+1), r.IntN(2*pad+1), r.Uint64()&1 == 1
		augment(b.Images[k*ImageBytes:(k+1)*ImageBytes], s.Image(i), dy, dx, flip, t)
		b.Labels[k], b.Clean[k], b.Index[k] = s.Labels[i], s.Clean[i], i
	}
}

// Next makes the next batch available through Batch and reports whether
// there was one. It waits only if the background goroutines are behind.
func (it *Iter) Next() bool {
	if it.cur != nil {
		it.free <- it.cur // never blocks: free holds every buffer
		it.cur = nil
	}
	if it.err != nil {
		return false
	}
	res, ok := <-it.order
	if !ok {
		if !it.ended {
			it.err = fmt.Errorf("cifar: loader: %w", context.Cause(it.ctx))
		}
		return false
	}
	select {
	case it.cur = <-res:
		return true
	case <-it.ctx.Done():
		it.err = fmt.Errorf("cifar: loader: %w", context.Cause(it.ctx))
		return false
	}
}

// Batch returns the current batch; valid until the next call of Next or Close.
func (it *Iter) Batch() *Batch { return it.cur }

// Err returns the error that ended the iteration early, if any.
func (it *Iter) Err() error { return it.err }

// Close stops the background goroutines and waits for them. It may be
// called more than once.
func (it *Iter) Close() {
	it.cancel()
	it.wg.Wait()
	it.cur = nil
}
