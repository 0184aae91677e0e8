package train

import (
	"math"
	"testing"
)

// TestCrossEntropy checks the loss against closed forms.
func TestCrossEntropy(t *testing.T) {
	for _, tc := range []struct {
		z     []float32
		label int
		loss  float64
		wrong bool
	}{
		{[]float32{0, 0}, 0, math.Ln2, false}, // tie: the arg max is the first
		{[]float32{0, 0}, 1, math.Ln2, true},
		{[]float32{1000, 0}, 1, 1000, true}, // log(e^1000 + 1) = 1000 in float64: no overflow
		{[]float32{1, 2, 3}, 2, math.Log(math.Exp(1)+math.Exp(2)+math.Exp(3)) - 3, false},
		{[]float32{-3, 5}, 1, math.Log1p(math.Exp(-8)), false},
	} {
		loss, wrong := crossEntropy(tc.z, tc.label)
		if math.Abs(loss-tc.loss) > 1e-12*math.Max(1, tc.loss) || wrong != tc.wrong {
			t.Errorf("z %v label %d: %v %v, want %v %v", tc.z, tc.label, loss, wrong, tc.loss, tc.wrong)
		}
	}
}
