package optim

import (
	"errors"
	"math"
	"testing"
)

func TestSchedules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		s        Schedule
		t, total int
		want     float64
	}{
		{"constant", Constant{Base: 0.1}, 5, 10, 0.1},
		// Progress p = (t+1)/total: the switches come at t = 49 and t = 74 of 100.
		{"piecewise start", Piecewise{Base: 0.1}, 0, 100, 0.1},
		{"piecewise before 50%", Piecewise{Base: 0.1}, 48, 100, 0.1},
		{"piecewise at 50%", Piecewise{Base: 0.1}, 49, 100, 0.01},
		{"piecewise before 75%", Piecewise{Base: 0.1}, 73, 100, 0.01},
		{"piecewise at 75%", Piecewise{Base: 0.1}, 74, 100, 0.001},
		{"piecewise end", Piecewise{Base: 0.1}, 99, 100, 0.001},
		{"piecewise no total", Piecewise{Base: 0.1}, 3, 0, 0.1},
		// 0.1·(1 + cos(π/4))/2.
		{"cosine quarter", Cosine{Base: 0.1}, 24, 100, 0.05 * (1 + math.Sqrt2/2)},
		{"cosine half", Cosine{Base: 0.1}, 49, 100, 0.05},
		{"cosine end", Cosine{Base: 0.1}, 99, 100, 0},
		{"cosine final half", Cosine{Base: 0.1, Final: 0.01}, 49, 100, 0.055},
		{"cosine past end", Cosine{Base: 0.1, Final: 0.01}, 150, 100, 0.01},
		{"multistep before", MultiStep{Base: 0.1, Milestones: []int{30, 60}, Gamma: 0.2}, 29, 0, 0.1},
		{"multistep first", MultiStep{Base: 0.1, Milestones: []int{30, 60}, Gamma: 0.2}, 30, 0, 0.02},
		{"multistep second", MultiStep{Base: 0.1, Milestones: []int{60, 30}, Gamma: 0.2}, 60, 0, 0.004},
		{"multistep default gamma", MultiStep{Base: 0.1, Milestones: []int{30, 60}}, 61, 0, 0.001},
		{"warmup first", Warmup{Steps: 5, Then: Constant{Base: 0.1}}, 0, 100, 0.02},
		{"warmup last", Warmup{Steps: 5, Then: Constant{Base: 0.1}}, 4, 100, 0.1},
		{"warmup after", Warmup{Steps: 5, Then: Piecewise{Base: 0.1}}, 60, 100, 0.01},
		{"warmup none", Warmup{Then: Constant{Base: 0.1}}, 0, 100, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.LR(tc.t, tc.total); math.Abs(got-tc.want) > 1e-16 {
				t.Errorf("LR(%d, %d) = %.17g, want %.17g", tc.t, tc.total, got, tc.want)
			}
		})
	}
}

// TestWarmupNil: a Warmup without Then gives NaN, which SGD rejects naming SGD.LR.
func TestWarmupNil(t *testing.T) {
	o := SGD[[]float64]{LR: Warmup{Steps: 3}.LR(0, 10)}
	if _, err := o.Step([]float64{1, 2}, 1, quad[float64](a2, nil)); !errors.Is(err, ErrParam) {
		t.Fatalf("err = %v, want ErrParam", err)
	}
}
