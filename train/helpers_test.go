package train

import (
	"math/rand/v2"
	"testing"

	"github.com/samtrain/samtrain/datasets/cifar"
)

// records returns n CIFAR-10 records with random pixels and labels drawn
// from seed.
func records(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, 0, n*cifar.CIFAR10.RecordSize())
	for range n {
		b = append(b, byte(r.IntN(10)))
		for range cifar.ImageBytes {
			b = append(b, byte(r.IntN(256)))
		}
	}
	return b
}

// tinyData returns a CIFAR-10 data set of nTrain training and nTest test
// images with random pixels and labels.
func tinyData(t *testing.T, nTrain, nTest int) *cifar.Data {
	t.Helper()
	tr, err := cifar.Decode(cifar.CIFAR10, records(nTrain, 1))
	if err != nil {
		t.Fatal(err)
	}
	te, err := cifar.Decode(cifar.CIFAR10, records(nTest, 2))
	if err != nil {
		t.Fatal(err)
	}
	return &cifar.Data{Kind: cifar.CIFAR10, Train: tr, Test: te}
}

// tinySpec is a run that takes well under a second an epoch: PreAct
// ResNet-18 of width 2, batches of 8.
func tinySpec() Spec {
	s := Defaults()
	s.Model, s.Width, s.Epochs, s.BatchSize = "preact-resnet18", 2, 3, 8
	return s
}
