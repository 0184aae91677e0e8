// Package cifartest makes small random CIFAR-10 data for the tests of the
// packages that train on it.
package cifartest

import (
	"math/rand/v2"

	"github.com/samtrain/samtrain/datasets/cifar"
)

// Records returns n CIFAR-10 records (a label byte, then 3,072 pixel bytes)
// with random pixels and labels drawn from seed.
func Records(n int, seed uint64) []byte {
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

// Data returns a CIFAR-10 data set of nTrain training images (Records with
// seed 1) and nTest test images (seed 2).
func Data(nTrain, nTest int) *cifar.Data {
	tr, err := cifar.Decode(cifar.CIFAR10, Records(nTrain, 1))
	if err != nil {
		panic("cifartest: " + err.Error()) // Records makes only valid records
	}
	te, err := cifar.Decode(cifar.CIFAR10, Records(nTest, 2))
	if err != nil {
		panic("cifartest: " + err.Error())
	}
	return &cifar.Data{Kind: cifar.CIFAR10, Train: tr, Test: te}
}
