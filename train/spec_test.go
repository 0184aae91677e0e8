package train

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestSpecValidate(t *testing.T) {
	if s := Defaults(); s.Validate() != nil {
		t.Fatalf("defaults: %v", s.Validate())
	}
	for _, tc := range []struct {
		field string // what the message must name
		edit  func(*Spec)
	}{
		{"model", func(s *Spec) { s.Model = "vgg" }},
		{"dataset", func(s *Spec) { s.Dataset = "mnist" }},
		{"norm", func(s *Spec) { s.Norm = "layer" }},
		{"schedule", func(s *Spec) { s.Schedule = "linear" }},
		{"decay", func(s *Spec) { s.Decay = "l1" }},
		{"bn policy", func(s *Spec) { s.BNPolicy = "second" }},
		{"width", func(s *Spec) { s.Width = 0 }},
		{"epochs", func(s *Spec) { s.Epochs = 0 }},
		{"batch size", func(s *Spec) { s.BatchSize = -1 }},
		{"lr", func(s *Spec) { s.LR = math.NaN() }},
		{"warmup", func(s *Spec) { s.WarmupEpochs = 200 }},
		{"momentum", func(s *Spec) { s.Momentum = 1 }},
		{"weight decay", func(s *Spec) { s.WeightDecay = -1 }},
		{"rho", func(s *Spec) { s.Rho = math.Inf(1) }},
		{"m 48", func(s *Spec) { s.M = 48 }},
		{"SAM window", func(s *Spec) { s.SAMFrom, s.SAMUntil = 5, 5 }},
		{"ascent steps", func(s *Spec) { s.AscentSteps = -1 }},
		{"eta", func(s *Spec) { s.Eta = -0.1 }},
		{"label noise", func(s *Spec) { s.LabelNoise = 1 }},
		{"val size", func(s *Spec) { s.ValSize = -1 }},
		{"milestone 200", func(s *Spec) { s.Schedule, s.Milestones = "multistep", []int{100, 200} }},
	} {
		s := Defaults()
		tc.edit(&s)
		err := s.Validate()
		if !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want an ErrSpec naming it", tc.field, err)
		}
	}
}

// TestSchedulePerStep checks the learning rate the run uses at given steps
// against the paper's piecewise schedule written out: 0.1 until half of the
// training, 0.01 until three quarters, 0.001 after, evaluated at the end of
// each step, p = (t+1)/total.
func TestSchedulePerStep(t *testing.T) {
	s := Defaults() // 200 epochs
	sch := s.schedule(390)
	total := 200 * 390
	for _, tc := range []struct {
		step int
		lr   float64
	}{{0, 0.1}, {total/2 - 2, 0.1}, {total/2 - 1, 0.01}, {total*3/4 - 2, 0.01}, {total*3/4 - 1, 0.001}, {total - 1, 0.001}} {
		if got := sch.LR(tc.step, total); math.Abs(got-tc.lr) > 1e-15 {
			t.Errorf("step %d: lr %v, want %v", tc.step, got, tc.lr)
		}
	}
}

// TestRhoAt checks the ρ logged per epoch for the SAM window and for ρ
// proportional to the learning rate.
func TestRhoAt(t *testing.T) {
	for _, tc := range []struct {
		from, until int
		byLR        bool
		epoch       int
		lr, want    float64
	}{
		{1, 3, false, 0, 0.1, 0},      // ERM before the window
		{1, 3, false, 1, 0.1, 0.05},   // SAM inside
		{1, 3, false, 3, 0.1, 0},      // ERM again from until on
		{0, 0, false, 199, 0.1, 0.05}, // no end
		{0, 0, true, 5, 0.01, 0.0005}, // ρ·lr
	} {
		s := Defaults()
		s.SAMFrom, s.SAMUntil, s.RhoByLR = tc.from, tc.until, tc.byLR
		if got := s.rhoAt(tc.epoch, tc.lr); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("window [%d, %d) byLR %v epoch %d: rho %v, want %v", tc.from, tc.until, tc.byLR, tc.epoch, got, tc.want)
		}
	}
}
