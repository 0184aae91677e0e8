package benchmarks

import (
	"bufio"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
)

// peakRSS returns the process's peak resident set size in MiB (VmHWM of
// /proc/self/status), or -1 where that file does not exist.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				return -1
			}
			return float64(kb) / 1024
		}
	}
	return -1
}

// BenchmarkResNet18Step measures one training step of the paper's CIFAR
// PreAct ResNet-18 (width 64, 10 classes, BatchNorm, float32, 2 goroutines):
// forward, backward and a plain SGD update of the flat weights, on random
// inputs. It reports images/s and the process's peak RSS (run one batch
// size per process for a meaningful peak; see benchmarks/README.md).
func BenchmarkResNet18Step(b *testing.B) {
	for _, bs := range []int{32, 128} {
		b.Run("batch="+strconv.Itoa(bs), func(b *testing.B) {
			m, err := resnet.New[float32](&cpu.Backend[float32]{Par: 2}, resnet.Config{}, 1)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, bs*3*32*32)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			labels := make([]int, bs)
			for i := range labels {
				labels[i] = rng.IntN(10)
			}
			w, g := m.Weights(), m.Gradient()
			step := func() {
				if _, err := m.Grad(x, labels, graph.BNUpdate); err != nil {
					b.Fatal(err)
				}
				for i, v := range g {
					w[i] -= 1e-3 * v
				}
			}
			step() // plan and allocate outside the timing
			b.ResetTimer()
			for b.Loop() {
				step()
			}
			b.ReportMetric(float64(bs*b.N)/b.Elapsed().Seconds(), "images/s")
			b.ReportMetric(peakRSS(), "peak-MiB")
		})
	}
}
