package relu1d

import (
	"context"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestPoints(t *testing.T) {
	x, y := Points()
	// Endpoints by hand: −5.5/4 + 0.07 = −1.305, 5.5/4 + 0.07 = 1.445.
	if len(x) != 12 || math.Abs(x[0]+1.305) > 1e-15 || math.Abs(x[11]-1.445) > 1e-15 {
		t.Errorf("x = %v", x)
	}
	if y[0] != 0.345-2 || y[1] != 0.345+1.5 || y[11] != 0.345-1 {
		t.Errorf("y = %v", y)
	}
}

func TestInit(t *testing.T) {
	net := &Net{H: 2000}
	p := net.Init(3)
	w, b, a := net.split(p)
	var pos int
	var sb, sa float64
	for j := range w {
		switch w[j] {
		case 2.5:
			pos++
		case -2.5:
		default:
			t.Fatalf("w[%d] = %v, want ±2.5", j, w[j])
		}
		sb += b[j] * b[j]
		sa += a[j] * a[j]
	}
	// 2000 draws: the share of + signs is within 5 standard deviations
	// (5·√(0.25/2000) ≈ 0.056) of 1/2, and the sample standard deviations within
	// 10% of 2.5 and 4.
	if math.Abs(float64(pos)/2000-0.5) > 0.056 {
		t.Errorf("%d of 2000 signs positive", pos)
	}
	if s := math.Sqrt(sb / 2000); math.Abs(s-2.5) > 0.25 {
		t.Errorf("std of biases %v, want about 2.5", s)
	}
	if s := math.Sqrt(sa / 2000); math.Abs(s-4) > 0.4 {
		t.Errorf("std of output weights %v, want about 4", s)
	}
	q := net.Init(3)
	for j := range p {
		if p[j] != q[j] {
			t.Fatal("Init is not deterministic")
		}
	}
}

// TestLossGradMatchesGorgonia builds the same network in gorgonia —
// Rectify(X̃ W̃) a with X̃ = [x 1] (n×2) and W̃ = [w; b] (2×H), the loss as a dot
// product r·r — and compares gorgonia's gradients with LossGrad's.
func TestLossGradMatchesGorgonia(t *testing.T) {
	x, y := Points()
	const h = 7
	net := &Net{H: h, X: x, Y: y}
	p := net.Init(11)
	for _, tc := range []struct{ lo, hi int }{{0, 12}, {3, 8}, {5, 6}} {
		grad := make([]float64, 3*h)
		loss := net.LossGrad(p, grad, tc.lo, tc.hi)

		m := tc.hi - tc.lo
		g := gorgonia.NewGraph()
		xa := make([]float64, 0, 2*m)
		for k := tc.lo; k < tc.hi; k++ {
			xa = append(xa, x[k], 1)
		}
		wb := append(append([]float64(nil), p[:h]...), p[h:2*h]...)
		xn := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(m, 2), gorgonia.WithName("x"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(m, 2), tensor.WithBacking(xa))))
		wn := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, h), gorgonia.WithName("wb"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(2, h), tensor.WithBacking(wb))))
		an := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(h), gorgonia.WithName("a"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(h), tensor.WithBacking(append([]float64(nil), p[2*h:]...)))))
		yn := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(m), gorgonia.WithName("y"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(m), tensor.WithBacking(append([]float64(nil), y[tc.lo:tc.hi]...)))))
		scale := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("s"), gorgonia.WithValue(1/(2*float64(m))))
		hid := gorgonia.Must(gorgonia.Rectify(gorgonia.Must(gorgonia.Mul(xn, wn))))
		r := gorgonia.Must(gorgonia.Sub(gorgonia.Must(gorgonia.Mul(hid, an)), yn))
		cost := gorgonia.Must(gorgonia.Mul(gorgonia.Must(gorgonia.Mul(r, r)), scale))
		grads, err := gorgonia.Grad(cost, wn, an)
		if err != nil {
			t.Fatal(err)
		}
		vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(wn, an))
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		gwb := grads[0].Value().Data().([]float64)
		ga := grads[1].Value().Data().([]float64)
		want := append(append([]float64(nil), gwb...), ga...) // [∂w; ∂b] row-major, then ∂a
		wantLoss := cost.Value().Data().(float64)
		vm.Close()
		if math.Abs(loss-wantLoss) > 1e-12*(1+wantLoss) {
			t.Errorf("[%d,%d): loss %.17g, gorgonia %.17g", tc.lo, tc.hi, loss, wantLoss)
		}
		for j := range want {
			if math.Abs(grad[j]-want[j]) > 1e-11*(1+math.Abs(want[j])) {
				t.Errorf("[%d,%d): grad[%d] = %.17g, gorgonia %.17g", tc.lo, tc.hi, j, grad[j], want[j])
			}
		}
	}
}

func TestLossGradFiniteDifferences(t *testing.T) {
	x, y := Points()
	net := &Net{H: 5, X: x, Y: y}
	p := net.Init(2)
	grad := make([]float64, len(p))
	net.LossGrad(p, grad, 0, 12)
	scratch := make([]float64, len(p))
	for j := range p {
		const h = 1e-6
		pp := append([]float64(nil), p...)
		pm := append([]float64(nil), p...)
		pp[j] += h
		pm[j] -= h
		fd := (net.LossGrad(pp, scratch, 0, 12) - net.LossGrad(pm, scratch, 0, 12)) / (2 * h)
		if math.Abs(fd-grad[j]) > 1e-5*(1+math.Abs(fd)) {
			t.Errorf("∂/∂p[%d] = %.9g, finite difference %.9g", j, grad[j], fd)
		}
	}
}

func TestKinks(t *testing.T) {
	net := &Net{H: 6}
	// w, b, a: kinks at −b/w = 0.5, 0.5005 (merged), −2 (outside), 1 (|a·w| too
	// small), −0.25 and 0.9.
	p := []float64{
		1, 2, 1, 1, -4, 1, // w
		-0.5, -1.001, 2, -1, -1, -0.9, // b
		1, 1, 1, 0.01, -0.5, 3, // a
	}
	got := net.Kinks(p, -1, 1, 0.1, 1e-3)
	want := []float64{-0.25, 0.5, 0.9}
	if len(got) != len(want) {
		t.Fatalf("Kinks = %v, want %v", got, want)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("Kinks = %v, want %v", got, want)
		}
	}
}

// TestTrainSAMStep checks one SAM step of Train against the authors' update
// written out on the summed loss: ε = ρ g/‖g‖ with g = ∇½Σr², then
// p ← p − lr·∇½Σr²(p + ε).
func TestTrainSAMStep(t *testing.T) {
	const h, lr, rho = 100, 5e-5, 0.3
	x, y := Points()
	net := &Net{H: h, X: x, Y: y}
	p := net.Init(0)
	g := make([]float64, 3*h)
	net.LossGrad(p, g, 0, 12)
	var norm float64
	for j := range g {
		g[j] *= 12 // gradient of the sum
		norm += g[j] * g[j]
	}
	norm = math.Sqrt(norm)
	pe := make([]float64, len(p))
	for j := range p {
		pe[j] = p[j] + rho*g[j]/norm
	}
	net.LossGrad(pe, g, 0, 12)
	for j := range p {
		p[j] -= lr * 12 * g[j]
	}
	res, err := Train(context.Background(), Config{Rho: rho, MaxSteps: 1})
	if err != nil {
		t.Fatal(err)
	}
	for j := range p {
		if math.Abs(res.Params[j]-p[j]) > 1e-13*(1+math.Abs(p[j])) {
			t.Fatalf("param %d = %.17g, want %.17g", j, res.Params[j], p[j])
		}
	}
}

func TestTrainStopsAtTarget(t *testing.T) {
	// A small net with a larger step reaches a loose target quickly (it
	// plateaus near ½Σr² ≈ 2.59 with this seed).
	res, err := Train(context.Background(), Config{Hidden: 30, LR: 5e-4, TargetLoss: 3, MaxSteps: 200000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps >= 200000 {
		t.Fatalf("did not reach ½Σr² ≤ 3 in %d steps (loss %v)", res.Steps, res.Loss)
	}
	// The target is checked before the last step, which may raise the loss a
	// little: allow 1%.
	if res.Loss > 3.03 {
		t.Errorf("final loss %v > target 3 (+1%%)", res.Loss)
	}
	for _, c := range []Config{{LR: -1}, {Rho: -1}, {MaxSteps: -1}, {TargetLoss: -1}, {Hidden: -3}} {
		if _, err := Train(context.Background(), c); err == nil {
			t.Errorf("Train(%+v): no error", c)
		}
	}
}
