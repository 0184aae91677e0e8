package graph_test

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
)

// TestInit checks PyTorch's default initialisation: conv and linear
// weights and linear biases uniform on ±1/√fanIn (mean 0, variance
// 1/(3·fanIn)), BatchNorm weight 1 and bias 0, running mean 0 and variance 1.
func TestInit(t *testing.T) {
	m, err := resnet.New[float64](&cpu.Backend[float64]{}, resnet.Config{Width: 16}, 5)
	if err != nil {
		t.Fatal(err)
	}
	p := m.Params()
	for _, e := range p.Entries() {
		v, err := p.Get(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case e.Init == graph.InitFanIn:
			bound := 1 / math.Sqrt(float64(e.FanIn))
			var s, ss float64
			for _, x := range v {
				if math.Abs(x) > bound {
					t.Fatalf("%s: %v outside ±%v", e.Name, x, bound)
				}
				s += x
				ss += x * x
			}
			n := float64(len(v))
			want := bound * bound / 3
			// 4 standard errors of the sample mean and variance of a uniform.
			if mean := s / n; math.Abs(mean) > 4*math.Sqrt(want/n) {
				t.Errorf("%s: mean %v", e.Name, mean)
			}
			if vr := ss / n; len(v) > 100 && math.Abs(vr-want) > 4*want*math.Sqrt(0.8/n) {
				t.Errorf("%s: variance %v, want %v", e.Name, vr, want)
			}
		case e.Init == graph.InitOnes:
			for _, x := range v {
				if x != 1 {
					t.Fatalf("%s: %v, want 1", e.Name, x)
				}
			}
		default:
			for _, x := range v {
				if x != 0 {
					t.Fatalf("%s: %v, want 0", e.Name, x)
				}
			}
		}
	}
}

// TestFlatViews checks that the model reads its weights from the flat
// slice (an in-place update changes the next loss) and that the flat
// gradient is laid out as the entries say.
func TestFlatViews(t *testing.T) {
	m, err := resnet.New[float64](&cpu.Backend[float64]{}, resnet.Config{Width: 2, Input: [3]int{3, 8, 8}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, labels, _ := randomBatch(2, m.Input(), m.Classes())
	_, err = m.Grad(x, labels, graph.BNFrozen)
	if err != nil {
		t.Fatal(err)
	}
	w, g := m.Weights(), m.Gradient()
	if len(w) != m.Params().NumWeights() || len(g) != len(w) {
		t.Fatalf("flat lengths %d, %d, want %d", len(w), len(g), m.Params().NumWeights())
	}
	e, _ := m.Params().Lookup("linear.weight")
	if got, _ := m.Params().Grad("linear.weight"); !slices.Equal(got, g[e.Off:e.Off+e.Len]) {
		t.Error("Grad(linear.weight) is not the flat gradient's view")
	}
	// Moving the flat weights along ∓g changes the loss at rate ‖g‖²:
	// (L(w + εg) − L(w − εg))/(2ε) = ‖g‖² + O(ε²).
	const eps = 1e-6
	g = slices.Clone(g)
	w0 := slices.Clone(w)
	var gg float64
	for _, v := range g {
		gg += v * v
	}
	step := func(s float64) float64 {
		for i := range w {
			w[i] = w0[i] + s*g[i]
		}
		l, err := m.Grad(x, labels, graph.BNFrozen)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if d := (step(eps) - step(-eps)) / (2 * eps); math.Abs(d-gg) > 1e-4*gg {
		t.Errorf("directional derivative %v, want ‖g‖² = %v", d, gg)
	}
}

// TestRunningStats checks BatchNorm's running statistics after one pass in
// each mode against PyTorch's rule written out here: mean ← 0.9·0 + 0.1·μ,
// var ← 0.9·1 + 0.1·σ²·M/(M−1), counter +1; BNFrozen and BNEval leave them.
func TestRunningStats(t *testing.T) {
	const n, c, h, w = 3, 2, 2, 3
	build := func(b *graph.Builder[float64], x *gorgonia.Node) *gorgonia.Node {
		return b.Linear("fc", b.Flatten(b.BatchNorm2d("bn", x)), 2)
	}
	m, err := graph.NewModel[float64](&cpu.Backend[float64]{}, [3]int{c, h, w}, build, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, labels, _ := randomBatch(n, m.Input(), 2)
	for _, mode := range []graph.BNMode{graph.BNFrozen, graph.BNEval} {
		if _, err := m.Grad(x, labels, mode); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := m.Params().Get("bn.running_var"); !slices.Equal(v, []float64{1, 1}) {
		t.Fatalf("running_var %v changed in frozen/eval mode", v)
	}
	if _, err := m.Grad(x, labels, graph.BNUpdate); err != nil {
		t.Fatal(err)
	}
	mean, _ := m.Params().Get("bn.running_mean")
	vr, _ := m.Params().Get("bn.running_var")
	cnt, _ := m.Params().Get("bn.num_batches_tracked")
	for ch := 0; ch < c; ch++ {
		var s, ss float64
		const mm = n * h * w
		for i := 0; i < n; i++ {
			for _, v := range x[(i*c+ch)*h*w : (i*c+ch+1)*h*w] {
				s += v
			}
		}
		mu := s / mm
		for i := 0; i < n; i++ {
			for _, v := range x[(i*c+ch)*h*w : (i*c+ch+1)*h*w] {
				ss += (v - mu) * (v - mu)
			}
		}
		if want := 0.1 * mu; math.Abs(mean[ch]-want) > 1e-12 {
			t.Errorf("running_mean[%d] = %v, want %v", ch, mean[ch], want)
		}
		if want := 0.9 + 0.1*ss/(mm-1); math.Abs(vr[ch]-want) > 1e-12 {
			t.Errorf("running_var[%d] = %v, want %v", ch, vr[ch], want)
		}
	}
	if cnt[0] != 1 {
		t.Errorf("num_batches_tracked = %v, want 1", cnt[0])
	}
	// SaveState/RestoreState undo the update.
	saved := m.Params().SaveState()
	if _, err := m.Grad(x, labels, graph.BNUpdate); err != nil {
		t.Fatal(err)
	}
	if err := m.Params().RestoreState(saved); err != nil {
		t.Fatal(err)
	}
	if got := m.Params().SaveState(); !slices.Equal(got, saved) {
		t.Errorf("state after restore %v, want %v", got, saved)
	}
}

// TestCheckpointRoundTrip saves a trained-looking model and loads it into a
// fresh one: same weights, buffers and logits; a checkpoint of another
// network is refused.
func TestCheckpointRoundTrip(t *testing.T) {
	cfg := resnet.Config{Width: 2, Input: [3]int{3, 8, 8}}
	a, _ := resnet.New[float32](&cpu.Backend[float32]{}, cfg, 1)
	b, _ := resnet.New[float32](&cpu.Backend[float32]{}, cfg, 2)
	x64, labels, _ := randomBatch(2, cfg.Input, 10)
	x := make([]float32, len(x64))
	for i, v := range x64 {
		x[i] = float32(v)
	}
	if _, err := a.Grad(x, labels, graph.BNUpdate); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.safetensors")
	if err := a.Params().SaveFile(path); err != nil {
		t.Fatal(err)
	}
	if err := b.Params().LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Weights(), b.Weights()) || !slices.Equal(a.Params().SaveState(), b.Params().SaveState()) {
		t.Error("loaded weights or state differ")
	}
	la, lb := make([]float32, 20), make([]float32, 20)
	if err := a.Eval(x, 2, la); err != nil {
		t.Fatal(err)
	}
	if err := b.Eval(x, 2, lb); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(la, lb) {
		t.Errorf("logits %v, want %v", lb, la)
	}
	other, _ := resnet.New[float32](&cpu.Backend[float32]{}, resnet.Config{Width: 4, Input: [3]int{3, 8, 8}}, 1)
	if err := other.Params().LoadFile(path); err == nil {
		t.Error("loading a width-2 checkpoint into a width-4 network succeeded")
	}
}

// TestGradAt checks the optim.GradFunc-shaped entry point: at separate
// weight and gradient slices it matches Grad on the model's own.
func TestGradAt(t *testing.T) {
	m, err := resnet.New[float64](&cpu.Backend[float64]{}, resnet.Config{Width: 2, Input: [3]int{3, 8, 8}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, labels, _ := randomBatch(2, m.Input(), m.Classes())
	w := slices.Clone(m.Weights())
	for i := range w {
		w[i] *= 1.5
	}
	grad := make([]float64, len(w))
	got, err := m.GradAt(w, grad, x, labels, graph.BNFrozen)
	if err != nil {
		t.Fatal(err)
	}
	copy(m.Weights(), w)
	want, err := m.Grad(x, labels, graph.BNFrozen)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || !slices.Equal(grad, m.Gradient()) {
		t.Errorf("GradAt loss %v, Grad %v (gradients equal: %v)", got, want, slices.Equal(grad, m.Gradient()))
	}
	if _, err := m.GradAt(w[:3], grad, x, labels, graph.BNFrozen); err == nil {
		t.Error("GradAt accepted short weights")
	}
}
