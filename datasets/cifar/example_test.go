package cifar_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log"

	"github.com/samtrain/samtrain/datasets/cifar"
)

// tinyArchive builds, in memory, a cifar-10-binary.tar.gz holding n images
// per batch file, image i of a file labelled i mod 10 and filled with the
// byte 10*i.
func tinyArchive(n int) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range append(cifar.CIFAR10.TrainFiles(), cifar.CIFAR10.TestFile()) {
		var recs []byte
		for i := range n {
			recs = append(recs, byte(i%10))
			recs = append(recs, bytes.Repeat([]byte{byte(10 * i)}, cifar.ImageBytes)...)
		}
		tw.WriteHeader(&tar.Header{Name: "cifar-10-batches-bin/" + name, Mode: 0o644, Size: int64(len(recs))})
		tw.Write(recs)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func ExampleOpenArchive() {
	d, err := cifar.OpenArchive(bytes.NewReader(tinyArchive(4)), cifar.CIFAR10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("train:", d.Train.Len(), "test:", d.Test.Len())
	fmt.Println("per class:", d.Train.ClassCounts())
	// Output:
	// train: 20 test: 4
	// per class: [5 5 5 5 0 0 0 0 0 0]
}

func ExampleLoader() {
	d, err := cifar.OpenArchive(bytes.NewReader(tinyArchive(4)), cifar.CIFAR10)
	if err != nil {
		log.Fatal(err)
	}
	// Hold out 5 images for validation and flip 20% of the other labels.
	train, val, err := cifar.HoldOut(d.Train, 5, 1)
	if err != nil {
		log.Fatal(err)
	}
	train, err = train.WithLabelNoise(0.2, 1)
	if err != nil {
		log.Fatal(err)
	}
	l := &cifar.Loader{Split: train, BatchSize: 8, Seed: 1, Shuffle: true, Augment: true}
	for epoch := range 2 {
		it, err := l.Epoch(context.Background(), epoch, 0)
		if err != nil {
			log.Fatal(err)
		}
		for it.Next() {
			b := it.Batch()
			fmt.Printf("epoch %d batch %d: %d images, %d floats\n", b.Epoch, b.Pos, b.Len(), len(b.Images))
		}
		it.Close()
		if err := it.Err(); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("validation:", val.Len())
	// Output:
	// epoch 0 batch 0: 8 images, 24576 floats
	// epoch 0 batch 1: 7 images, 21504 floats
	// epoch 1 batch 0: 8 images, 24576 floats
	// epoch 1 batch 1: 7 images, 21504 floats
	// validation: 5
}

func ExampleDecode() {
	// One CIFAR-100 record: coarse label 3, fine label 42, then pixels.
	rec := append([]byte{3, 42}, make([]byte, cifar.ImageBytes)...)
	s, err := cifar.Decode(cifar.CIFAR100, rec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Labels, s.Coarse, cifar.CIFAR100.ClassNames()[42])
	_, err = cifar.Decode(cifar.CIFAR10, rec)
	fmt.Println(err)
	// Output:
	// [42] [3] leopard
	// cifar: 3074 bytes fit the 3074-byte records of cifar100, not the 3073-byte records of cifar10: wrong data set
}
