package dln

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gorgoniaLossGrad builds ℓ = ‖X_S (u⊙v) − y_S‖²/(2|S|) for the rows S in
// gorgonia from elementwise ops, a matrix–vector product and a dot product
// (no multi-axis Sum or Mean), and returns the loss and gorgonia's gradients
// with respect to u and v.
func gorgoniaLossGrad(t *testing.T, x, y, u, v []float64, rows []int, d int) (float64, []float64, []float64) {
	t.Helper()
	m := len(rows)
	xs := make([]float64, 0, m*d)
	ys := make([]float64, 0, m)
	for _, r := range rows {
		xs = append(xs, x[r*d:(r+1)*d]...)
		ys = append(ys, y[r])
	}
	g := gorgonia.NewGraph()
	xn := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(m, d), gorgonia.WithName("X"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(m, d), tensor.WithBacking(xs))))
	yn := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(m), gorgonia.WithName("y"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(m), tensor.WithBacking(ys))))
	un := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(d), gorgonia.WithName("u"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(d), tensor.WithBacking(append([]float64(nil), u...)))))
	vn := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(d), gorgonia.WithName("v"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(d), tensor.WithBacking(append([]float64(nil), v...)))))
	scale := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("scale"), gorgonia.WithValue(1/(2*float64(m))))
	beta := gorgonia.Must(gorgonia.HadamardProd(un, vn))
	r := gorgonia.Must(gorgonia.Sub(gorgonia.Must(gorgonia.Mul(xn, beta)), yn))
	cost := gorgonia.Must(gorgonia.Mul(gorgonia.Must(gorgonia.Mul(r, r)), scale))
	grads, err := gorgonia.Grad(cost, un, vn)
	if err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(un, vn))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gu := append([]float64(nil), grads[0].Value().Data().([]float64)...)
	gv := append([]float64(nil), grads[1].Value().Data().([]float64)...)
	return cost.Value().Data().(float64), gu, gv
}

// TestLossGradMatchesGorgonia compares the hand-written gradient with
// gorgonia's symbolic one on the same model, for full batches, sub-ranges, single
// examples and a Rows mapping (the SGD path).
func TestLossGradMatchesGorgonia(t *testing.T) {
	data, err := Generate(DataConfig{N: 7, NTest: 2, D: 9, K: 3, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	d := data.D
	w := make([]float64, 2*d)
	for j := range w {
		w[j] = 0.3*math.Sin(float64(j)+1) + 0.05*float64(j%3)
	}
	for _, tc := range []struct {
		name   string
		lo, hi int
		rows   []int // Model.Rows
	}{
		{"full batch", 0, 7, nil},
		{"range", 2, 5, nil},
		{"one example", 4, 5, nil},
		{"rows map one", 0, 1, []int{6}},
		{"rows map two", 0, 2, []int{5, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewModel(data)
			m.Rows = tc.rows
			grad := make([]float64, 2*d)
			loss := m.LossGrad(w, grad, tc.lo, tc.hi)
			var rows []int
			for k := tc.lo; k < tc.hi; k++ {
				if tc.rows != nil {
					rows = append(rows, tc.rows[k])
				} else {
					rows = append(rows, k)
				}
			}
			wantLoss, gu, gv := gorgoniaLossGrad(t, data.X, data.Y, w[:d], w[d:], rows, d)
			if math.Abs(loss-wantLoss) > 1e-13*(1+wantLoss) {
				t.Errorf("loss = %.17g, gorgonia %.17g", loss, wantLoss)
			}
			assertClose(t, "grad u", grad[:d], gu, 1e-12)
			assertClose(t, "grad v", grad[d:], gv, 1e-12)
		})
	}
}

// TestLossGradFiniteDifferences checks LossGrad by central differences.
func TestLossGradFiniteDifferences(t *testing.T) {
	data, err := Generate(DataConfig{N: 5, NTest: 2, D: 4, K: 2, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(data)
	w := []float64{0.2, -0.4, 0.7, 0.1, 0.3, 0.5, -0.6, 0.9}
	grad := make([]float64, len(w))
	m.LossGrad(w, grad, 1, 4)
	scratch := make([]float64, len(w))
	for j := range w {
		const h = 1e-6
		wp := append([]float64(nil), w...)
		wm := append([]float64(nil), w...)
		wp[j] += h
		wm[j] -= h
		fd := (m.LossGrad(wp, scratch, 1, 4) - m.LossGrad(wm, scratch, 1, 4)) / (2 * h)
		if math.Abs(fd-grad[j]) > 1e-7 {
			t.Errorf("∂/∂w[%d]: %.10g, finite difference %.10g", j, grad[j], fd)
		}
	}
}
