package cuda

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The kernels run on the fake device (their C++ build through testdata/fake/shim.h, on the
// CPU) and on a GPU when there is one, through the same Go wrappers, against plain float64
// loops written here from the math in each kernel's comment; gradients are also checked
// against central finite differences of those loops.

func randn(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func f64(v []float32) []float64 {
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return w
}

// near checks |got-want| <= tol*(1+|want|) element-wise.
func near(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*(1+math.Abs(want[i]))) {
			if bad < 5 {
				t.Errorf("%s[%d] = %g, want %g", name, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d values off", name, bad, len(got))
	}
}

func mustKernels(t *testing.T, d *Device) *Kernels {
	t.Helper()
	k, err := d.Kernels()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKernelSourceNames(t *testing.T) {
	src := KernelSource()
	for _, n := range KernelNames() {
		if !strings.Contains(src, `extern "C" __global__ void `+n+"(") {
			t.Errorf("kernel %s is not declared extern \"C\" __global__ in the source", n)
		}
	}
	if got, want := strings.Count(src, "__global__"), len(KernelNames()); got != want {
		t.Errorf("source has %d kernels, KernelNames %d", got, want)
	}
}

func TestElementwiseKernels(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		k := mustKernels(t, d)
		s := d.DefaultStream()
		r := rand.New(rand.NewPCG(1, 2))
		const n = 1000 // several blocks of 256, the last partial
		x, y := randn(r, n), randn(r, n)
		px, py := upload(t, d, x), upload(t, d, y)
		out, _ := d.Alloc(n * 4)
		want := make([]float64, n)

		if err := k.ReLU(s, px, out, n); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i] = max(float64(x[i]), 0)
		}
		near(t, "relu", download[float32](t, d, out, n), want, 0)

		// relu_bwd with y = relu(x) as the forward output and dy = y's values.
		if err := k.ReLUBackward(s, out, py, out, n); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i] = 0
			if x[i] > 0 {
				want[i] = float64(y[i])
			}
		}
		near(t, "relu_bwd", download[float32](t, d, out, n), want, 0)

		if err := k.Add(s, px, py, out, n); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i] = float64(x[i] + y[i])
		}
		near(t, "add", download[float32](t, d, out, n), want, 0)

		// out = x + y; out *= 3
		if err := k.Scale(s, out, 3, n); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i] = 3 * float64(x[i]+y[i])
		}
		near(t, "scale", download[float32](t, d, out, n), want, 1e-6)

		if err := k.ReLU(s, px, out, 0); err != nil {
			t.Errorf("n = 0: %v", err)
		}
		if err := k.ReLU(s, px, out, -1); err == nil {
			t.Error("n = -1 accepted")
		}
	})
}

func TestReductionKernels(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		k := mustKernels(t, d)
		s := d.DefaultStream()
		r := rand.New(rand.NewPCG(3, 4))
		for _, n := range []int{1, 255, 3000} {
			x := randn(r, n)
			px := upload(t, d, x)
			out, _ := d.Alloc(4)
			var sum float64
			for _, v := range x {
				sum += float64(v)
			}
			if err := k.Sum(s, px, n, 0.25, out); err != nil {
				t.Fatal(err)
			}
			near(t, "sum", download[float32](t, d, out, 1), []float64{0.25 * sum}, 1e-5)
		}
	})
}

// xentRef returns softmax probabilities and the mean cross-entropy of rows×classes logits.
func xentRef(z []float64, labels []int32, rows, classes int) ([]float64, float64) {
	p := make([]float64, len(z))
	var loss float64
	for r := 0; r < rows; r++ {
		row := z[r*classes : (r+1)*classes]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var s float64
		for j, v := range row {
			p[r*classes+j] = math.Exp(v - m)
			s += p[r*classes+j]
		}
		for j := range row {
			p[r*classes+j] /= s
		}
		loss -= math.Log(p[r*classes+int(labels[r])])
	}
	return p, loss / float64(rows)
}

func TestSoftmaxCrossEntropyKernels(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		k := mustKernels(t, d)
		s := d.DefaultStream()
		r := rand.New(rand.NewPCG(9, 10))
		const rows, classes = 6, 10
		z := randn(r, rows*classes)
		for i := range z {
			z[i] *= 4 // logits of a few units, as in training
		}
		labels := []int32{0, 9, 3, 3, 7, 1}
		pz, pl := upload(t, d, z), upload(t, d, labels)
		probs, _ := d.Alloc(rows * classes * 4)
		loss, _ := d.Alloc(rows * 4)
		mean, _ := d.Alloc(4)
		dz, _ := d.Alloc(rows * classes * 4)
		if err := k.SoftmaxCrossEntropy(s, pz, pl, probs, loss, rows, classes); err != nil {
			t.Fatal(err)
		}
		if err := k.Sum(s, loss, rows, 1.0/rows, mean); err != nil {
			t.Fatal(err)
		}
		if err := k.SoftmaxCrossEntropyBackward(s, probs, pl, dz, rows, classes, 1.0/rows); err != nil {
			t.Fatal(err)
		}
		zz := f64(z)
		wantP, wantL := xentRef(zz, labels, rows, classes)
		near(t, "probs", download[float32](t, d, probs, rows*classes), wantP, 1e-6)
		near(t, "mean loss", download[float32](t, d, mean, 1), []float64{wantL}, 1e-6)
		// The gradient of the mean loss against central differences (h = 1e-6 in float64).
		grad := centralDiff(zz, func() float64 { _, l := xentRef(zz, labels, rows, classes); return l })
		near(t, "dlogits", download[float32](t, d, dz, rows*classes), grad, 1e-5)

		bad := upload(t, d, []int32{0, 10, 3, 3, 7, 1})
		if err := k.SoftmaxCrossEntropy(s, pz, bad, probs, loss, rows, classes); err != nil {
			t.Fatal(err)
		}
		if l := download[float32](t, d, loss, rows); !math.IsNaN(float64(l[1])) || math.IsNaN(float64(l[0])) {
			t.Errorf("losses %v: want NaN only for the out-of-range label 10", l)
		}
	})
}

func TestGlobalAvgPoolKernels(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		k := mustKernels(t, d)
		s := d.DefaultStream()
		r := rand.New(rand.NewPCG(11, 12))
		const nc, hw = 6, 9
		x, dy := randn(r, nc*hw), randn(r, nc)
		y, dx := make([]float64, nc), make([]float64, nc*hw)
		for p := 0; p < nc; p++ {
			for j := 0; j < hw; j++ {
				y[p] += float64(x[p*hw+j]) / hw
				dx[p*hw+j] = float64(dy[p]) / hw
			}
		}
		py, pdx := upload(t, d, make([]float32, nc)), upload(t, d, make([]float32, nc*hw))
		if err := k.GlobalAvgPool(s, upload(t, d, x), py, nc, hw); err != nil {
			t.Fatal(err)
		}
		if err := k.GlobalAvgPoolBackward(s, upload(t, d, dy), pdx, nc, hw); err != nil {
			t.Fatal(err)
		}
		near(t, "gap", download[float32](t, d, py, nc), y, 1e-6)
		near(t, "gap_bwd", download[float32](t, d, pdx, nc*hw), dx, 1e-6)
	})
}

// bnRef is BatchNorm2d in training mode over N×C×HW: y, batch mean, biased variance.
func bnRef(x, gamma, beta []float64, n, c, hw int, eps float64) (y, mean, variance []float64) {
	y, mean, variance = make([]float64, len(x)), make([]float64, c), make([]float64, c)
	cnt := float64(n * hw)
	at := func(i, ch, j int) int { return (i*c+ch)*hw + j }
	for ch := 0; ch < c; ch++ {
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				mean[ch] += x[at(i, ch, j)] / cnt
			}
		}
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				dd := x[at(i, ch, j)] - mean[ch]
				variance[ch] += dd * dd / cnt
			}
		}
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				y[at(i, ch, j)] = (x[at(i, ch, j)]-mean[ch])/math.Sqrt(variance[ch]+eps)*gamma[ch] + beta[ch]
			}
		}
	}
	return y, mean, variance
}

func TestBatchNormKernels(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		k := mustKernels(t, d)
		s := d.DefaultStream()
		r := rand.New(rand.NewPCG(13, 14))
		b := BatchNorm{N: 3, C: 4, HW: 5, Eps: 1e-5, Momentum: 0.1}
		size := b.N * b.C * b.HW
		x, dy := randn(r, size), randn(r, size)
		for i := range x {
			x[i] = 2*x[i] + 1 // mean 1, variance 4
		}
		gamma, beta := randn(r, b.C), randn(r, b.C)
		rm, rv := []float32{0, 0.5, -1, 2}, []float32{1, 2, 0.5, 3}
		px, pdy := upload(t, d, x), upload(t, d, dy)
		pg, pb := upload(t, d, gamma), upload(t, d, beta)
		prm, prv := upload(t, d, rm), upload(t, d, rv)
		py, _ := d.Alloc(uint64(size * 4))
		pdx, _ := d.Alloc(uint64(size * 4))
		sm, _ := d.Alloc(uint64(b.C * 4))
		si, _ := d.Alloc(uint64(b.C * 4))
		dg, _ := d.Alloc(uint64(b.C * 4))
		db, _ := d.Alloc(uint64(b.C * 4))

		wantY, mean, variance := bnRef(f64(x), f64(gamma), f64(beta), b.N, b.C, b.HW, float64(b.Eps))
		cnt := float64(b.N * b.HW)
		wantRM, wantRV := make([]float64, b.C), make([]float64, b.C)
		invstd := make([]float64, b.C)
		for c := range wantRM {
			wantRM[c] = 0.9*float64(rm[c]) + 0.1*mean[c]
			wantRV[c] = 0.9*float64(rv[c]) + 0.1*variance[c]*cnt/(cnt-1)
			invstd[c] = 1 / math.Sqrt(variance[c]+float64(b.Eps))
		}

		// Frozen statistics first (SAM's second pass), then an updating pass.
		if err := k.BatchNormTrain(s, b, px, py, pg, pb, prm, prv, sm, si, false); err != nil {
			t.Fatal(err)
		}
		near(t, "frozen running mean", download[float32](t, d, prm, b.C), f64(rm), 0)
		if err := k.BatchNormTrain(s, b, px, py, pg, pb, prm, prv, sm, si, true); err != nil {
			t.Fatal(err)
		}
		near(t, "y", download[float32](t, d, py, size), wantY, 1e-5)
		near(t, "saved mean", download[float32](t, d, sm, b.C), mean, 1e-5)
		near(t, "saved invstd", download[float32](t, d, si, b.C), invstd, 1e-5)
		near(t, "running mean", download[float32](t, d, prm, b.C), wantRM, 1e-5)
		near(t, "running var", download[float32](t, d, prv, b.C), wantRV, 1e-5)

		// Inference with the updated running statistics.
		if err := k.BatchNormInfer(s, b, px, py, pg, pb, prm, prv); err != nil {
			t.Fatal(err)
		}
		wantInfer := make([]float64, size)
		for i := range wantInfer {
			c := i / b.HW % b.C
			wantInfer[i] = (float64(x[i])-wantRM[c])/math.Sqrt(wantRV[c]+float64(b.Eps))*float64(gamma[c]) + float64(beta[c])
		}
		near(t, "y infer", download[float32](t, d, py, size), wantInfer, 1e-5)

		// Gradients of L = sum(y*dy) against central differences of bnRef.
		if err := k.BatchNormBackward(s, b, px, pdy, pdx, pg, sm, si, dg, db); err != nil {
			t.Fatal(err)
		}
		xx, gg, bb, ddy := f64(x), f64(gamma), f64(beta), f64(dy)
		lossAt := func() float64 {
			y, _, _ := bnRef(xx, gg, bb, b.N, b.C, b.HW, float64(b.Eps))
			var l float64
			for i := range y {
				l += y[i] * ddy[i]
			}
			return l
		}
		fd := func(v []float64) []float64 { return centralDiff(v, lossAt) }
		near(t, "dx", download[float32](t, d, pdx, size), fd(xx), 1e-4)
		near(t, "dgamma", download[float32](t, d, dg, b.C), fd(gg), 1e-4)
		near(t, "dbeta", download[float32](t, d, db, b.C), fd(bb), 1e-4)

		if err := k.BatchNormTrain(s, BatchNorm{N: 1, C: 0, HW: 1, Eps: 1e-5}, px, py, pg, pb, prm, prv, sm, si, true); err == nil {
			t.Error("C = 0 accepted")
		}
		if err := k.BatchNormTrain(s, BatchNorm{N: 1, C: 1, HW: 1}, px, py, pg, pb, prm, prv, sm, si, true); err == nil {
			t.Error("Eps = 0 accepted")
		}
	})
}

func TestLinearKernels(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		k := mustKernels(t, d)
		s := d.DefaultStream()
		r := rand.New(rand.NewPCG(15, 16))
		const rows, cols = 7, 300 // more columns than one block of threads
		y, v, x := randn(r, rows*cols), randn(r, cols), randn(r, rows*cols)
		py := upload(t, d, y)
		if err := k.Axpby(s, py, 2, upload(t, d, x), -0.5, rows*cols); err != nil {
			t.Fatal(err)
		}
		if err := k.AddRowVector(s, py, upload(t, d, v), rows, cols); err != nil {
			t.Fatal(err)
		}
		want := make([]float64, rows*cols)
		sums := make([]float64, cols)
		for i := range want {
			want[i] = 2*float64(x[i]) - 0.5*float64(y[i]) + float64(v[i%cols])
			sums[i%cols] += want[i]
		}
		near(t, "axpby+bias", download[float32](t, d, py, rows*cols), want, 1e-6)
		ps := upload(t, d, make([]float32, cols))
		if err := k.SumRows(s, py, ps, rows, cols); err != nil {
			t.Fatal(err)
		}
		near(t, "sum rows", download[float32](t, d, ps, cols), sums, 1e-5)
	})
}

// gnRef is GroupNorm over N×C×HW with G groups.
func gnRef(x, gamma, beta []float64, n, c, hw, g int, eps float64) []float64 {
	y := make([]float64, len(x))
	m := c / g * hw // a group's values are contiguous
	for r := 0; r < n*g; r++ {
		v := x[r*m : (r+1)*m]
		var mean, variance float64
		for _, e := range v {
			mean += e / float64(m)
		}
		for _, e := range v {
			variance += (e - mean) * (e - mean) / float64(m)
		}
		for j, e := range v {
			ch := (r%g)*(c/g) + j/hw
			y[r*m+j] = (e-mean)/math.Sqrt(variance+eps)*gamma[ch] + beta[ch]
		}
	}
	return y
}

func TestGroupNormKernels(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		k := mustKernels(t, d)
		s := d.DefaultStream()
		r := rand.New(rand.NewPCG(17, 18))
		g := GroupNorm{N: 2, C: 6, HW: 5, G: 3, Eps: 1e-5}
		size := g.N * g.C * g.HW
		x, dy, gamma, beta := randn(r, size), randn(r, size), randn(r, g.C), randn(r, g.C)
		px, pdy, pg, pb := upload(t, d, x), upload(t, d, dy), upload(t, d, gamma), upload(t, d, beta)
		py, pdx := upload(t, d, make([]float32, size)), upload(t, d, make([]float32, size))
		mean, invstd := upload(t, d, make([]float32, g.N*g.G)), upload(t, d, make([]float32, g.N*g.G))
		dg, db := upload(t, d, make([]float32, g.C)), upload(t, d, make([]float32, g.C))
		if err := k.GroupNormForward(s, g, px, py, pg, pb, mean, invstd); err != nil {
			t.Fatal(err)
		}
		if err := k.GroupNormBackward(s, g, px, pdy, pdx, pg, mean, invstd, dg, db); err != nil {
			t.Fatal(err)
		}
		xx, gg, bb, ddy := f64(x), f64(gamma), f64(beta), f64(dy)
		near(t, "y", download[float32](t, d, py, size), gnRef(xx, gg, bb, g.N, g.C, g.HW, g.G, 1e-5), 1e-5)
		lossAt := func() float64 {
			var l float64
			for i, v := range gnRef(xx, gg, bb, g.N, g.C, g.HW, g.G, 1e-5) {
				l += v * ddy[i]
			}
			return l
		}
		fd := func(v []float64) []float64 { return centralDiff(v, lossAt) }
		near(t, "dx", download[float32](t, d, pdx, size), fd(xx), 1e-4)
		near(t, "dgamma", download[float32](t, d, dg, g.C), fd(gg), 1e-4)
		near(t, "dbeta", download[float32](t, d, db, g.C), fd(bb), 1e-4)
		if err := k.GroupNormForward(s, GroupNorm{N: 1, C: 5, HW: 1, G: 2, Eps: 1e-5}, px, py, pg, pb, mean, invstd); err == nil {
			t.Error("G not dividing C accepted")
		}
	})
}

// centralDiff returns the central differences (h = 1e-6, in float64) of loss with respect to
// each element of v, which loss reads; v is restored after each.
func centralDiff(v []float64, loss func() float64) []float64 {
	const h = 1e-6
	g := make([]float64, len(v))
	for i := range v {
		old := v[i]
		v[i] = old + h
		lp := loss()
		v[i] = old - h
		lm := loss()
		v[i] = old
		g[i] = (lp - lm) / (2 * h)
	}
	return g
}
