package optim

import "math"

// Schedule gives the learning rate along a training run. A training loop sets
// SGD.LR = sched.LR(t, total) before each step. The unit of t and total is the caller's:
// steps (t the 0-based step, total the number of steps) or epochs.
//
// Piecewise and Cosine evaluate their shape at the progress p = (t+1)/total, the end of
// step t, as the paper's code does (lr_schedule(epoch − 1 + (i+1)/len(batches))); a total
// ≤ 0 means p = 0. Rates outside [0, ∞) are not checked here: SGD.Step rejects them.
type Schedule interface {
	LR(t, total int) float64
}

// progress returns (t+1)/total, or 0 when total ≤ 0.
func progress(t, total int) float64 {
	if total <= 0 {
		return 0
	}
	return float64(t+1) / float64(total)
}

// Constant is a constant learning rate.
type Constant struct {
	Base float64
}

// LR returns Base.
func (c Constant) LR(t, total int) float64 { return c.Base }

// Piecewise is the paper's schedule: Base while p < 0.5, Base/10 while p < 0.75,
// Base/100 afterwards, with p = (t+1)/total.
type Piecewise struct {
	Base float64
}

// LR returns the rate at step t of total.
func (s Piecewise) LR(t, total int) float64 {
	switch p := progress(t, total); {
	case p < 0.5:
		return s.Base
	case p < 0.75:
		return s.Base / 10
	default:
		return s.Base / 100
	}
}

// Cosine decays from Base to Final along half a cosine:
// Final + (Base − Final)·(1 + cos(π·p))/2 with p = (t+1)/total clamped to [0, 1].
// With Final 0 it is the paper's cosine schedule.
type Cosine struct {
	Base, Final float64
}

// LR returns the rate at step t of total.
func (s Cosine) LR(t, total int) float64 {
	p := min(max(progress(t, total), 0), 1)
	return s.Final + (s.Base-s.Final)*(1+math.Cos(math.Pi*p))/2
}

// MultiStep multiplies Base by Gamma at each milestone (torch.optim.lr_scheduler.MultiStepLR):
// the rate at t is Base·Gamma^k with k the number of milestones ≤ t. Milestones are in the
// unit of t and need not be sorted. Gamma 0 means 0.1.
type MultiStep struct {
	Base       float64
	Milestones []int
	Gamma      float64
}

// LR returns the rate at step t (total is not used).
func (s MultiStep) LR(t, total int) float64 {
	g := s.Gamma
	if g == 0 {
		g = 0.1
	}
	lr := s.Base
	for _, m := range s.Milestones {
		if m <= t {
			lr *= g
		}
	}
	return lr
}

// Warmup ramps the rate of Then linearly over the first Steps steps: the rate at t is
// Then.LR(t, total)·(t+1)/Steps for t < Steps and Then.LR(t, total) afterwards.
// Steps ≤ 0 means no warm-up. A nil Then gives NaN, which SGD.Step rejects.
type Warmup struct {
	Steps int
	Then  Schedule
}

// LR returns the rate at step t of total.
func (s Warmup) LR(t, total int) float64 {
	if s.Then == nil {
		return math.NaN()
	}
	lr := s.Then.LR(t, total)
	if t < s.Steps {
		lr *= float64(t+1) / float64(s.Steps)
	}
	return lr
}
