package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/cuda"
	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
)

// device is the backend a command computes on, from --device.
type device struct {
	Name      string // "cpu", or "cuda" for an NVIDIA GPU
	Desc      string // one line naming the device
	Precision string // of the GPU's convolutions and GEMMs (--precision); fp32 on the CPU
	Backend   graph.Backend[float32]
	close     func() error
}

// Close releases the GPU (a no-op on the CPU).
func (d *device) Close() error {
	if d.close == nil {
		return nil
	}
	return d.close()
}

// precisionFlag is --precision, of every command that can compute on a GPU.
func precisionFlag() cli.Flag {
	return &cli.StringFlag{Name: "precision", Value: "fp32", Usage: "arithmetic of the GPU's convolutions and matrix products: " +
		"fp32 (float32, TF32 off), tf32 (TF32 tensor cores, float32 accumulation) or bf16 (bfloat16 inputs, float32 accumulation, " +
		"like torch.autocast); weights, gradients, BatchNorm and the optimizer stay float32. Anything but fp32 needs an NVIDIA GPU"}
}

// parsePrecision reads --precision; anything but fp32 with --device cpu is
// a usage error (the CPU backend computes in float32 only).
func parsePrecision(c *cli.Context, deviceMode string) (cuda.Precision, error) {
	p, err := cuda.ParsePrecision(c.String("precision"))
	if err != nil {
		return p, usagef("--precision %q: want one of %s", c.String("precision"), strings.Join(cuda.Precisions, ", "))
	}
	if p != cuda.FP32 && deviceMode == "cpu" {
		return p, usagef("--precision %v needs an NVIDIA GPU (--device cuda or auto): the CPU computes in float32 only", p)
	}
	return p, nil
}

// openDevice resolves --device: cpu is the CPU backend with threads
// goroutines per kernel; cuda opens CUDA device 0 and its backend and fails
// with the reason when it cannot; auto takes CUDA when the libraries load and
// a device answers, else the CPU, and says which on w in one line. prec is
// the precision of the GPU's convolutions and GEMMs (cuda.Backend.SetPrecision);
// anything but FP32 when auto finds no GPU is a usage error.
func openDevice(w io.Writer, mode string, threads int, prec cuda.Precision) (*device, error) {
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
		if prec != cuda.FP32 {
			return nil, usagef("--precision %v needs an NVIDIA GPU, and --device %s found none: %s", prec, mode, strings.TrimPrefix(note, "device: cpu, because "))
		}
		if mode != "cpu" {
			fmt.Fprintln(w, note)
		}
		return &device{Name: "cpu", Desc: fmt.Sprintf("cpu, %d threads", threads), Precision: cuda.FP32.String(), Backend: &cpu.Backend[float32]{Par: threads}}, nil
	}
	if err := b.SetPrecision(prec); err != nil {
		b.Close()
		d.Close()
		return nil, err
	}
	fmt.Fprintf(w, "device: cuda: %v, precision %v (weights, gradients and optimizer state stay on the device)\n", d, prec)
	return &device{Name: "cuda", Desc: d.String(), Precision: prec.String(), Backend: b, close: func() error {
		err := b.Close()
		if cerr := d.Close(); err == nil {
			err = cerr
		}
		return err
	}}, nil
}
