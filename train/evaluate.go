package train

import (
	"context"
	"fmt"
	"math"

	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/graph"
)

// Score is a model's mean cross-entropy loss and error rate on a split.
type Score struct {
	Loss float64 `json:"loss"`
	Err  float64 `json:"err"` // fraction of images misclassified, in [0, 1]
	N    int     `json:"n"`   // images evaluated
}

// Evaluate returns the loss and error of m on s (against s.Labels), with
// BatchNorm in eval mode (running statistics), in batches of batch images,
// normalised by norm if not nil, on m's backend (host or device: only the
// images go up and the logits come down). The loss is computed in float64 from the
// float32 logits: log Σ_k exp z_k − z_label, with the maximum subtracted.
func Evaluate(ctx context.Context, m *graph.Model[float32], s *cifar.Split, norm *cifar.Norm, batch int) (Score, error) {
	if s == nil || s.Len() == 0 {
		return Score{}, fmt.Errorf("train: evaluate: empty split")
	}
	if batch <= 0 {
		return Score{}, fmt.Errorf("train: evaluate: batch %d: want > 0", batch)
	}
	l := &cifar.Loader{Split: s, BatchSize: batch, Norm: norm, Workers: 1, Prefetch: 2}
	it, err := l.Epoch(ctx, 0, 0)
	if err != nil {
		return Score{}, fmt.Errorf("train: evaluate: %w", err)
	}
	defer it.Close()
	k := m.Classes()
	logits := make([]float32, batch*k)
	var sc Score
	var loss float64
	var wrong int
	for it.Next() {
		b := it.Batch()
		n := b.Len()
		if err := m.Eval(b.Images, n, logits[:n*k]); err != nil {
			return Score{}, fmt.Errorf("train: evaluate: %w", err)
		}
		if err := deviceErr(m); err != nil {
			return Score{}, err
		}
		for i := range n {
			li, w := crossEntropy(logits[i*k:(i+1)*k], b.Labels[i])
			loss += li
			if w {
				wrong++
			}
		}
		sc.N += n
	}
	if err := it.Err(); err != nil {
		return Score{}, fmt.Errorf("train: evaluate: %w", err)
	}
	sc.Loss = loss / float64(sc.N)
	sc.Err = float64(wrong) / float64(sc.N)
	return sc, nil
}

// crossEntropy returns −log softmax(z)[label] and whether the arg max of z
// (the first one, on ties) is not label.
func crossEntropy(z []float32, label int) (float64, bool) {
	best := 0
	for j, v := range z {
		if v > z[best] {
			best = j
		}
	}
	mx := float64(z[best])
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - mx)
	}
	return math.Log(s) + mx - float64(z[label]), best != label
}

// argmax returns the index of the first largest element of z.
func argmax(z []float32) int {
	best := 0
	for j, v := range z {
		if v > z[best] {
			best = j
		}
	}
	return best
}
