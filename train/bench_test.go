package train

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestBenchMethods(t *testing.T) {
	for _, tc := range []struct {
		batch int
		ms    []int
		want  []Method
	}{
		{128, []int{128, 64, 32, 32, 8}, []Method{
			{"ERM", 0, 0}, {"n-SAM", 0.05, 128}, {"m-SAM", 0.05, 64}, {"m-SAM", 0.05, 32}, {"m-SAM", 0.05, 8},
		}},
		{8, nil, []Method{{"ERM", 0, 0}, {"n-SAM", 0.05, 8}}},
	} {
		if got := BenchMethods(tc.batch, 0.05, tc.ms); !slices.Equal(got, tc.want) {
			t.Errorf("BenchMethods(%d, %v) = %v, want %v", tc.batch, tc.ms, got, tc.want)
		}
	}
}

func TestMethodPasses(t *testing.T) {
	for _, tc := range []struct {
		m     Method
		batch int
		want  int
	}{
		{Method{Name: "ERM"}, 128, 1},
		{Method{Rho: 0.05}, 128, 2},
		{Method{Rho: 0.05, M: 128}, 128, 2},
		{Method{Rho: 0.05, M: 32}, 128, 8},
		{Method{Rho: 0.05, M: 8}, 128, 32},
		{Method{M: 8}, 128, 1}, // ρ = 0 is ERM whatever m
	} {
		if got := tc.m.Passes(tc.batch); got != tc.want {
			t.Errorf("%+v.Passes(%d) = %d, want %d", tc.m, tc.batch, got, tc.want)
		}
	}
}

// TestBench runs Bench on a tiny network and checks its bookkeeping: one
// result per method with the right pass count and step count, images/s
// consistent with the recorded times, and the model's weights and BatchNorm
// state restored bit for bit afterwards. It asserts nothing about speed.
func TestBench(t *testing.T) {
	const batch, steps = 8, 2
	model := tinyModel(t, 5)
	w0 := slices.Clone(model.Weights())
	s0 := model.Params().SaveState()
	methods := BenchMethods(batch, 0.05, []int{4, 2})
	res, err := Bench(context.Background(), model, BenchConfig{Batch: batch, Steps: steps, Warmup: 1, Seed: 3}, methods)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(methods) {
		t.Fatalf("%d results for %d methods", len(res), len(methods))
	}
	for i, r := range res {
		if r.Method != methods[i] || r.Batch != batch || r.Steps != steps || len(r.StepSeconds) != steps {
			t.Errorf("result %d: %+v", i, r)
		}
		if want := methods[i].Passes(batch); r.Passes != want {
			t.Errorf("%s m=%d: %d passes, want %d", r.Name, r.M, r.Passes, want)
		}
		var sum float64
		for _, s := range r.StepSeconds {
			if !(s > 0) {
				t.Errorf("%s m=%d: step time %v", r.Name, r.M, s)
			}
			sum += s
		}
		if r.CPUSeconds < 0 || math.IsNaN(r.CPUSeconds) {
			t.Errorf("%s m=%d: CPU time %v", r.Name, r.M, r.CPUSeconds)
		}
		if r.Seconds != sum || r.ImagesPerSec != batch*steps/sum {
			t.Errorf("%s m=%d: %v s, %v images/s from steps %v", r.Name, r.M, r.Seconds, r.ImagesPerSec, r.StepSeconds)
		}
	}
	if !slices.Equal(model.Weights(), w0) || !slices.Equal(model.Params().SaveState(), s0) {
		t.Error("Bench did not restore the model's weights and state")
	}
}

func TestBenchErrors(t *testing.T) {
	model := tinyModel(t, 5)
	ok := BenchConfig{Batch: 8, Steps: 1}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		cfg     BenchConfig
		methods []Method
		is      error
	}{
		{"zero batch", context.Background(), BenchConfig{Steps: 1}, nil, nil},
		{"zero steps", context.Background(), BenchConfig{Batch: 8}, nil, nil},
		{"negative warmup", context.Background(), BenchConfig{Batch: 8, Steps: 1, Warmup: -1}, nil, nil},
		{"m does not divide", context.Background(), ok, []Method{{Name: "m-SAM", Rho: 0.05, M: 3}}, nil},
		{"negative rho", context.Background(), ok, []Method{{Name: "m-SAM", Rho: -1}}, nil},
		{"cancelled", cancelled, ok, []Method{{Name: "ERM"}}, context.Canceled},
	} {
		_, err := Bench(tc.ctx, model, tc.cfg, tc.methods)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.is)
		}
	}
}
