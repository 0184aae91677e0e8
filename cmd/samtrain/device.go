package main

import (
	"fmt"
	"io"
	"os"

	"github.com/samtrain/samtrain/cuda"
	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
)

// device is the backend a command computes on, from --device.
type device struct {
	Name    string // "cpu", or "cuda" for an NVIDIA GPU
	Desc    string // one line naming the device
	Backend graph.Backend[float32]
	close   func() error
}

// Close releases the GPU (a no-op on the CPU).
func (d *device) Close() error {
	if d.close == nil {
		return nil
	}
	return d.close()
}

// openDevice resolves --device: cpu is the CPU backend with threads
// goroutines per kernel; cuda opens CUDA device 0 and its backend and fails
// with the reason when it cannot; auto takes CUDA when the libraries load and
// a device answers, else the CPU, and says which on w in one line.
func openDevice(w io.Writer, mode string, threads int) (*device, error) {
	var b *cuda.Backend
	d, useCUDA, note, err := cuda.Select(mode, func() (*cuda.Device, error) {
		cache, err := cuda.DefaultCacheDir()
		if err != nil {
			cache = "" // compile the kernels in every process
		}
		d, err := cuda.Open(cuda.Config{Dirs: cuda.SearchDirs("/", os.Getenv), CacheDir: cache})
		if err != nil {
			return nil, err
		}
		if b, err = cuda.NewBackend(d); err != nil {
			d.Close()
			return nil, err
		}
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	if !useCUDA {
		if mode != "cpu" {
			fmt.Fprintln(w, note)
		}
		return &device{Name: "cpu", Desc: fmt.Sprintf("cpu, %d threads", threads), Backend: &cpu.Backend[float32]{Par: threads}}, nil
	}
	fmt.Fprintf(w, "device: cuda: %v (weights, gradients and optimizer state stay on the device)\n", d)
	return &device{Name: "cuda", Desc: d.String(), Backend: b, close: func() error {
		err := b.Close()
		if cerr := d.Close(); err == nil {
			err = cerr
		}
		return err
	}}, nil
}
