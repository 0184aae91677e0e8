package train

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/datasets/cifar/cifartest"
	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
)

// TestRecomputeBN checks the recomputed running mean of the first
// BatchNorm of PreAct ResNet-18 (layer1.0.bn1, fed by conv1) against the
// mean of conv1's output over all images, computed here with plain loops:
// the equal-weight average of per-batch means over batches that cover the
// split is the mean over the split.
func TestRecomputeBN(t *testing.T) {
	const n, c, k = 16, 3, 2 // images, input channels, conv1 channels (width 2)
	s, err := cifar.Decode(cifar.CIFAR10, cifartest.Records(n, 5))
	if err != nil {
		t.Fatal(err)
	}
	m, err := resnet.New[float32](&cpu.Backend[float32]{Par: 1}, resnet.Config{Arch: resnet.PreActResNet18, Width: k}, 3)
	if err != nil {
		t.Fatal(err)
	}
	w, err := m.Params().Get("conv1.weight") // k×c×3×3, stride 1, padding 1
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, k)
	for img := range n {
		x := s.Image(img)
		for o := range k {
			for i := range 32 {
				for j := range 32 {
					var v float64
					for ci := range c {
						for r := range 3 {
							for q := range 3 {
								ii, jj := i+r-1, j+q-1
								if ii < 0 || ii >= 32 || jj < 0 || jj >= 32 {
									continue
								}
								v += float64(w[((o*c+ci)*3+r)*3+q]) * float64(x[ci*1024+ii*32+jj]) / 255
							}
						}
					}
					want[o] += v / (n * 32 * 32)
				}
			}
		}
	}
	for _, tc := range []struct{ batch, batches, used int }{{16, 1, 1}, {8, 2, 2}, {4, 9, 4}} {
		got, err := RecomputeBN(context.Background(), m, s, nil, tc.batch, tc.batches, 1)
		if err != nil || got != tc.used {
			t.Fatalf("batch %d: %d batches used (%v), want %d", tc.batch, got, err, tc.used)
		}
		mean, _ := m.Params().Get("layer1.0.bn1.running_mean")
		for o := range k {
			if d := math.Abs(float64(mean[o]) - want[o]); d > 1e-5*math.Max(1, math.Abs(want[o])) {
				t.Errorf("batch %d: running_mean[%d] = %v, want %v", tc.batch, o, mean[o], want[o])
			}
		}
		cnt, _ := m.Params().Get("layer1.0.bn1.num_batches_tracked")
		if cnt[0] != float32(tc.used) {
			t.Errorf("batch %d: num_batches_tracked %v, want %d", tc.batch, cnt[0], tc.used)
		}
	}
	if _, err := RecomputeBN(context.Background(), m, s, nil, 32, 1, 1); err == nil {
		t.Errorf("batch larger than the split: no error")
	}
}

// TestInterpolationEnds checks that t = 0 and t = 1 give the two models'
// weights exactly and that the points are scored on every image.
func TestInterpolationEnds(t *testing.T) {
	d := cifartest.Data(16, 6)
	be := &cpu.Backend[float32]{Par: 1}
	var ws [2][]float32
	for i := range ws {
		m, err := resnet.New[float32](be, resnet.Config{Arch: resnet.PreActResNet18, Width: 2}, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		ws[i] = append([]float32(nil), m.Weights()...)
	}
	m, _ := resnet.New[float32](be, resnet.Config{Arch: resnet.PreActResNet18, Width: 2}, 9)
	ip := &Interpolation{Model: m, A: ws[0], B: ws[1], Train: d.Train, Test: d.Test, Batch: 8, BNBatches: 2}
	for i, tt := range []float64{0, 1} {
		p, err := ip.At(context.Background(), tt)
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range m.Weights() {
			if v != ws[i][j] {
				t.Fatalf("t=%v: weight %d is %v, want %v", tt, j, v, ws[i][j])
			}
		}
		if p.T != tt || p.Train.N != 16 || p.Test.N != 6 || math.IsNaN(p.Test.Loss) {
			t.Errorf("t=%v: point %+v", tt, p)
		}
	}
	p, err := ip.At(context.Background(), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Weights()[0]; math.Abs(float64(w)-(float64(ws[0][0])+float64(ws[1][0]))/2) > 1e-7 {
		t.Errorf("t=0.5: weight 0 is %v, want the midpoint of %v and %v (%+v)", w, ws[0][0], ws[1][0], p)
	}
}

// TestInterpolationDeviceLike checks that Interpolation needs no host
// access: on deviceLike (graph/cpu's kernels behind Buffers only) a point
// has the weights and scores of the same point on graph/cpu.
func TestInterpolationDeviceLike(t *testing.T) {
	d := cifartest.Data(16, 6)
	cfg := resnet.Config{Arch: resnet.PreActResNet18, Width: 2}
	var ws [2][]float32
	for i := range ws {
		m, err := resnet.New[float32](&cpu.Backend[float32]{}, cfg, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		ws[i] = m.Weights()
	}
	var pts [2]Point
	var weights [2][]float32
	for i, be := range []graph.Backend[float32]{&cpu.Backend[float32]{Par: 1}, newDeviceLike(nil)} {
		m, err := resnet.New[float32](be, cfg, 9)
		if err != nil {
			t.Fatal(err)
		}
		ip := &Interpolation{Model: m, A: ws[0], B: ws[1], Train: d.Train, Test: d.Test, Batch: 8, BNBatches: 2}
		if pts[i], err = ip.At(context.Background(), 0.25); err != nil {
			t.Fatal(err)
		}
		weights[i] = make([]float32, m.Params().NumWeights())
		be.Download(weights[i], m.Params().Weights())
	}
	if pts[0] != pts[1] || !slices.Equal(weights[0], weights[1]) {
		t.Errorf("point %+v on deviceLike, %+v on graph/cpu (weights equal: %v)", pts[1], pts[0], slices.Equal(weights[0], weights[1]))
	}
}
