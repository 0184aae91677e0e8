package train

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/samtrain/samtrain/datasets/cifar"
)

// Data is the view of a data set that a run trains and evaluates on.
type Data struct {
	Train *cifar.Split // training images, with label noise if any
	Val   *cifar.Split // held-out validation images (clean labels); nil if none
	Test  *cifar.Split
	Norm  *cifar.Norm // per-channel normalisation from Train; nil if off
	// SHA256 is the hex SHA-256 of the data read (training then test
	// split: pixels, then labels as bytes), before the split and the noise.
	SHA256 string
}

// NewData builds the view of d that s asks for: Spec.ValSize images held
// out (chosen from Spec.Seed), symmetric label noise (drawn from Spec.Seed)
// on the rest, and the training set's normalisation if Spec.Normalize.
func NewData(d *cifar.Data, s *Spec) (*Data, error) {
	if d.Kind != s.Kind() {
		return nil, fmt.Errorf("train: data is %v, spec wants %v", d.Kind, s.Kind())
	}
	tr, val, err := cifar.HoldOut(d.Train, s.ValSize, s.Seed)
	if err != nil {
		return nil, fmt.Errorf("train: validation split of %d from %d training images: %w", s.ValSize, d.Train.Len(), err)
	}
	if s.LabelNoise > 0 {
		if tr, err = tr.WithLabelNoise(s.LabelNoise, s.Seed); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	out := &Data{Train: tr, Val: val, Test: d.Test, SHA256: Checksum(d)}
	if s.Normalize {
		n := cifar.Stats(tr)
		out.Norm = &n
	}
	return out, nil
}

// Checksum returns the hex SHA-256 of the data set d: the training split's
// pixels and labels, then the test split's.
func Checksum(d *cifar.Data) string {
	h := sha256.New()
	for _, s := range []*cifar.Split{d.Train, d.Test} {
		h.Write(s.Images)
		lb := make([]byte, len(s.Labels))
		for i, l := range s.Labels {
			lb[i] = byte(l)
		}
		h.Write(lb)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// loader returns the training loader of s over d: shuffled, augmented if
// Spec.Augment, whole batches only (so every step has BatchSize images and
// m divides it).
func (d *Data) loader(s *Spec) *cifar.Loader {
	return &cifar.Loader{Split: d.Train, BatchSize: s.BatchSize, Seed: s.Seed, Shuffle: true, Augment: s.Augment, Norm: d.Norm, DropLast: true, Workers: 1, Prefetch: 2}
}
