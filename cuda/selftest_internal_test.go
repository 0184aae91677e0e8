package cuda

import (
	"encoding/json"
	"math"
	"testing"
)

func TestRelErr(t *testing.T) {
	for _, tc := range []struct {
		got  []float32
		want []float64
		rel  float64
	}{
		{[]float32{1, 2}, []float64{1, 2}, 0},
		{[]float32{1, 2.5}, []float64{1, 2}, 0.25}, // max error 0.5 over max |want| 2
		{[]float32{0.5}, []float64{0}, 0.5},        // all-zero reference: absolute error
		{[]float32{float32(math.NaN())}, []float64{1}, math.MaxFloat64},
		{[]float32{float32(math.Inf(1))}, []float64{1}, math.MaxFloat64},
	} {
		if got := relErr(tc.got, tc.want); got != tc.rel {
			t.Errorf("relErr(%v, %v) = %g, want %g", tc.got, tc.want, got, tc.rel)
		}
	}
	if _, err := json.Marshal(Check{RelErr: relErr([]float32{float32(math.NaN())}, []float64{1})}); err != nil {
		t.Errorf("a NaN result breaks the JSON report: %v", err)
	}
}
