package train

import (
	"context"
	"fmt"
	"strings"

	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/graph"
)

// bnMomentum is the BatchNorm momentum of the networks (PyTorch's default,
// set by graph.NewBuilder), as the float32 kernels apply it.
const bnMomentum = float64(float32(0.1))

// RecomputeBN replaces the BatchNorm running statistics of m by their
// average over the first batches batches of size batch of s (shuffled with
// seed, not augmented), as torch.optim.swa_utils.update_bn does (momentum
// None: an equal-weight average of the per-batch mean and unbiased
// variance). Each batch is a forward and backward pass in train mode
// (BNUpdate) from zeroed statistics, whose update m·μ_b recovers μ_b; the
// gradient is discarded. batches is capped at the number of whole batches of
// s. Parameters are not changed. It returns the number of batches used.
func RecomputeBN(ctx context.Context, m *graph.Model[float32], s *cifar.Split, norm *cifar.Norm, batch, batches int, seed uint64) (int, error) {
	p := m.Params()
	if p.NumState() == 0 {
		return 0, nil // GroupNorm: no running statistics
	}
	if batches <= 0 || batch <= 0 {
		return 0, fmt.Errorf("train: recompute BatchNorm: %d batches of %d: want positive numbers", batches, batch)
	}
	l := &cifar.Loader{Split: s, BatchSize: batch, Seed: seed, Shuffle: true, Norm: norm, DropLast: true, Workers: 1, Prefetch: 2}
	batches = min(batches, l.Batches())
	if batches == 0 {
		return 0, fmt.Errorf("train: recompute BatchNorm: %d images make no batch of %d", s.Len(), batch)
	}
	it, err := l.Epoch(ctx, 0, 0)
	if err != nil {
		return 0, fmt.Errorf("train: recompute BatchNorm: %w", err)
	}
	defer it.Close()
	zero := make([]float32, len(p.SaveState()))
	sum := make([]float64, len(zero))
	n := 0
	for n < batches && it.Next() {
		b := it.Batch()
		if err := p.RestoreState(zero); err != nil {
			return 0, err
		}
		if _, err := m.Grad(b.Images, b.Labels, graph.BNUpdate); err != nil {
			return 0, fmt.Errorf("train: recompute BatchNorm: %w", err)
		}
		for i, v := range p.SaveState() {
			sum[i] += float64(v)
		}
		n++
	}
	if err := it.Err(); err != nil {
		return 0, fmt.Errorf("train: recompute BatchNorm: %w", err)
	}
	avg := make([]float32, len(sum))
	for i, v := range sum {
		avg[i] = float32(v / float64(n) / bnMomentum)
	}
	for _, e := range p.Entries() {
		if e.Buffer && strings.HasSuffix(e.Name, "num_batches_tracked") {
			for i := range e.Len {
				avg[e.Off+i] = float32(n)
			}
		}
	}
	return n, p.RestoreState(avg)
}

// Point is one model of an interpolation: (1−T)·A + T·B.
type Point struct {
	T     float64 `json:"t"`
	Train Score   `json:"train"`
	Test  Score   `json:"test"`
}

// Interpolation evaluates the models on the line through two trained
// models A and B of one network: w(t) = (1−t)·w_A + t·w_B for the trained
// parameters; the BatchNorm statistics of each point are recomputed with
// RecomputeBN (they are not interpolated).
type Interpolation struct {
	Model     *graph.Model[float32] // the network, on any backend; its weights are overwritten
	A, B      []float32             // the flat weights of the two ends (Params().Weights(), downloaded)
	Train     *cifar.Split          // training images: BatchNorm statistics and the train score
	Test      *cifar.Split
	Norm      *cifar.Norm
	Batch     int    // images per pass
	BNBatches int    // batches of Train for the BatchNorm statistics of each point
	Seed      uint64 // order of the BatchNorm batches

	w []float32 // the weights of the current point, uploaded into Model
}

// At evaluates the point t: it sets the model's weights to (1−t)·A + t·B
// (computed in float64 on the host, rounded once, uploaded), recomputes the
// BatchNorm statistics and scores the model on Train and Test.
func (ip *Interpolation) At(ctx context.Context, t float64) (Point, error) {
	p := ip.Model.Params()
	n := p.NumWeights()
	if len(ip.A) != n || len(ip.B) != n {
		return Point{}, fmt.Errorf("train: interpolate: weights of %d and %d elements for a model of %d", len(ip.A), len(ip.B), n)
	}
	if len(ip.w) != n {
		ip.w = make([]float32, n)
	}
	for i := range ip.w {
		ip.w[i] = float32((1-t)*float64(ip.A[i]) + t*float64(ip.B[i]))
	}
	p.Backend().Upload(p.Weights(), ip.w)
	if err := deviceErr(ip.Model); err != nil {
		return Point{}, err
	}
	if _, err := RecomputeBN(ctx, ip.Model, ip.Train, ip.Norm, ip.Batch, ip.BNBatches, ip.Seed); err != nil {
		return Point{}, err
	}
	pt := Point{T: t}
	var err error
	if pt.Train, err = Evaluate(ctx, ip.Model, ip.Train, ip.Norm, ip.Batch); err != nil {
		return Point{}, err
	}
	if pt.Test, err = Evaluate(ctx, ip.Model, ip.Test, ip.Norm, ip.Batch); err != nil {
		return Point{}, err
	}
	return pt, nil
}
