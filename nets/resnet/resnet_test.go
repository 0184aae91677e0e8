package resnet_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/safetensors"
)

// relErr is ‖got − want‖/‖want‖.
func relErr(got []float32, want []float64) float64 {
	var num, den float64
	for i, w := range want {
		d := float64(got[i]) - w
		num += d * d
		den += w * w
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}

// TestPyTorchFixtures loads the weights PyTorch initialised (written by
// testdata/gen_fixtures.py), runs one training-mode forward and backward
// pass in float32 and compares loss, logits, every parameter's gradient,
// the BatchNorm running statistics afterwards and the eval-mode logits with
// PyTorch's: relative error < 1e-4 per tensor.
func TestPyTorchFixtures(t *testing.T) {
	const tol = 1e-4
	for _, tc := range []struct {
		name string
		cfg  resnet.Config
	}{
		{"preact18", resnet.Config{Arch: resnet.PreActResNet18, Width: 4, Input: [3]int{3, 16, 16}}},
		{"resnet34", resnet.Config{Arch: resnet.ResNet34, Width: 4, Input: [3]int{3, 16, 16}}},
		{"resnet18_gn", resnet.Config{Arch: resnet.ResNet18, Width: 4, Classes: 100, Norm: resnet.GroupNorm, Input: [3]int{3, 16, 16}}},
		{"preact18_gn", resnet.Config{Arch: resnet.PreActResNet18, Width: 4, Norm: resnet.GroupNorm, Input: [3]int{3, 16, 16}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := resnet.New[float32](&cpu.Backend[float32]{Par: 2}, tc.cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			// LoadFile fails unless names and shapes match PyTorch's state_dict exactly.
			if err := m.Params().LoadFile(filepath.Join("testdata", tc.name+"_weights.safetensors")); err != nil {
				t.Fatal(err)
			}
			want, _, err := safetensors.ReadFile(filepath.Join("testdata", tc.name+"_expect.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			get := func(name string) []float64 {
				v, err := want[name].Float64s()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return v
			}
			x64, lab64 := get("input"), get("labels")
			x := make([]float32, len(x64))
			for i, v := range x64 {
				x[i] = float32(v)
			}
			labels := make([]int, len(lab64))
			for i, v := range lab64 {
				labels[i] = int(v)
			}
			loss, err := m.Grad(x, labels, graph.BNUpdate)
			if err != nil {
				t.Fatal(err)
			}
			if wl := get("loss")[0]; math.Abs(loss-wl) > tol*math.Abs(wl) {
				t.Errorf("loss = %v, want %v", loss, wl)
			}
			logits := make([]float32, len(labels)*m.Classes())
			if err := m.Logits(logits); err != nil {
				t.Fatal(err)
			}
			if e := relErr(logits, get("logits")); e > tol {
				t.Errorf("logits: relative error %.3g", e)
			}
			checked, worst := 0, 0.0
			for _, e := range m.Params().Entries() {
				var got []float32
				var ref string
				if e.Buffer {
					got, err = m.Params().Get(e.Name)
					ref = "after." + e.Name
				} else {
					got, err = m.Params().Grad(e.Name)
					ref = "grad." + e.Name
				}
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := want[ref]; !ok {
					t.Errorf("fixture lacks %s", ref)
					continue
				}
				r := relErr(got, get(ref))
				if r > tol {
					t.Errorf("%s: relative error %.3g", ref, r)
				}
				worst = max(worst, r)
				checked++
			}
			t.Logf("%d tensors, worst relative error %.3g, loss %v", checked, worst, loss)
			evalChecked, extra := 0, 5 // + input, labels, logits, loss, eval_logits
			defer func() {
				if checked+evalChecked+extra != len(want) {
					t.Errorf("checked %d tensors of %d in the fixture", checked+evalChecked, len(want)-extra)
				}
			}()
			if err := m.Eval(x, len(labels), logits); err != nil {
				t.Fatal(err)
			}
			if e := relErr(logits, get("eval_logits")); e > tol {
				t.Errorf("eval logits: relative error %.3g", e)
			}

			// A gradient pass with running statistics (BNEval) against
			// PyTorch's eval-mode backward, where the fixture has one.
			if _, ok := want["eval_loss"]; !ok {
				return
			}
			extra++
			loss, err = m.Grad(x, labels, graph.BNEval)
			if err != nil {
				t.Fatal(err)
			}
			if wl := get("eval_loss")[0]; math.Abs(loss-wl) > tol*math.Abs(wl) {
				t.Errorf("eval loss = %v, want %v", loss, wl)
			}
			for _, e := range m.Params().Entries() {
				if e.Buffer {
					continue
				}
				got, err := m.Params().Grad(e.Name)
				if err != nil {
					t.Fatal(err)
				}
				if r := relErr(got, get("eval_grad."+e.Name)); r > tol {
					t.Errorf("eval_grad.%s: relative error %.3g", e.Name, r)
				}
				evalChecked++
			}
		})
	}
}
