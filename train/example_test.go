package train_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/train"
)

// Example trains a tiny PreAct ResNet-18 with m-SAM for two epochs on 32
// generated images and reads back its metrics.
func Example() {
	rec := make([]byte, 0, 40*cifar.CIFAR10.RecordSize())
	for i := range 40 {
		rec = append(rec, byte(i%10))
		for j := range cifar.ImageBytes {
			rec = append(rec, byte(i*j))
		}
	}
	tr, err := cifar.Decode(cifar.CIFAR10, rec[:32*cifar.CIFAR10.RecordSize()])
	if err != nil {
		log.Fatal(err)
	}
	te, err := cifar.Decode(cifar.CIFAR10, rec[32*cifar.CIFAR10.RecordSize():])
	if err != nil {
		log.Fatal(err)
	}
	spec := train.Defaults()
	spec.Model, spec.Width, spec.Epochs, spec.BatchSize, spec.M = "preact-resnet18", 2, 2, 16, 8
	data, err := train.NewData(&cifar.Data{Kind: cifar.CIFAR10, Train: tr, Test: te}, &spec)
	if err != nil {
		log.Fatal(err)
	}
	out, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(out)
	r := &train.Run{Spec: spec, Data: data, Backend: &cpu.Backend[float32]{Par: 1}, Out: out}
	if _, err := r.Train(context.Background()); err != nil {
		log.Fatal(err)
	}
	ms, err := train.ReadMetrics(out)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range ms {
		fmt.Printf("epoch %d: %d steps, lr %g, rho %g, %d test images\n", m.Epoch, m.Steps, m.LR, m.Rho, len(te.Labels))
	}
	// Output:
	// epoch 1: 2 steps, lr 0.01, rho 0.05, 8 test images
	// epoch 2: 4 steps, lr 0.001, rho 0.05, 8 test images
}
