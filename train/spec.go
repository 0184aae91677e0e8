package train

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/optim"
)

// ErrSpec reports an impossible training specification; the message names
// the field.
var ErrSpec = errors.New("invalid specification")

// Spec is everything that determines a training run's result: two runs
// with equal Specs on the same data and backend end with the same weights.
// It is saved in config.json and in every checkpoint. The zero value of a
// field means what its comment says; Defaults returns the paper's recipe.
type Spec struct {
	Model   string `json:"model"`   // preact-resnet18, resnet18 or resnet34
	Dataset string `json:"dataset"` // cifar10 or cifar100
	Width   int    `json:"width"`   // channels of the first stage (64 in the paper)
	Norm    string `json:"norm"`    // normalisation layer: batch or group

	Epochs    int     `json:"epochs"`
	BatchSize int     `json:"batch_size"`
	LR        float64 `json:"lr"`       // base learning rate
	Schedule  string  `json:"schedule"` // piecewise, cosine, constant or multistep (evaluated per step)
	// Milestones are the epochs at which multistep multiplies the rate by 0.1.
	Milestones   []int   `json:"milestones,omitempty"`
	WarmupEpochs int     `json:"warmup_epochs"` // linear warm-up, in epochs; 0 is none
	Momentum     float64 `json:"momentum"`
	Nesterov     bool    `json:"nesterov"`
	WeightDecay  float64 `json:"weight_decay"`
	Decay        string  `json:"decay"` // l2 (the paper's), coupled or decoupled

	Rho          float64 `json:"rho"`           // 0 is ERM
	M            int     `json:"m"`             // m-sharpness; 0 means BatchSize (n-SAM)
	Unnormalized bool    `json:"unnormalized"`  // SAM ascent ρ·g instead of ρ·g/‖g‖
	RhoByLR      bool    `json:"rho_by_lr"`     // ρ_t = Rho·γ_t
	BNPolicy     string  `json:"bn_policy"`     // both, first or eval
	SAMFrom      int     `json:"sam_from"`      // first epoch (0-based) with SAM; ERM before
	SAMUntil     int     `json:"sam_until"`     // first epoch back to ERM; 0 means never
	AscentSteps  int     `json:"ascent_steps"`  // multi-step ascent; 0 is plain SAM
	Adaptive     bool    `json:"adaptive"`      // ASAM
	Eta          float64 `json:"eta"`           // ASAM's η
	RandomPert   bool    `json:"random"`        // random-direction control
	Augment      bool    `json:"augment"`       // random crop and flip
	Normalize    bool    `json:"normalize"`     // per-channel data normalisation
	LabelNoise   float64 `json:"label_noise"`   // symmetric label noise probability
	ValSize      int     `json:"val_size"`      // training images held out for validation
	Seed         uint64  `json:"seed"`          // every random choice
	FinetuneFrom string  `json:"finetune_from"` // checkpoint whose weights start the run
}

// Defaults returns the paper's recipe: ResNet-18 at width 64 on CIFAR-10,
// 200 epochs of SGD with batch 128, momentum 0.9, learning rate 0.1 with
// the piecewise schedule, weight decay 5e-4 as an L2 term, standard
// augmentation, SAM with ρ = 0.05 and m = batch size, BatchNorm statistics
// updated in both passes.
func Defaults() Spec {
	return Spec{
		Model: "resnet18", Dataset: "cifar10", Width: 64, Norm: "batch",
		Epochs: 200, BatchSize: 128, LR: 0.1, Schedule: "piecewise",
		Momentum: 0.9, WeightDecay: 5e-4, Decay: "l2",
		Rho: 0.05, BNPolicy: "both", Augment: true,
	}
}

// Models, Schedules and Norms list the allowed values of those fields.
var (
	Models    = resnet.Archs()
	Schedules = []string{"piecewise", "cosine", "constant", "multistep"}
	Norms     = []string{"batch", "group"}
)

// Validate reports the first impossible field of s, wrapping ErrSpec.
func (s *Spec) Validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	oneOf := func(name, v string, allowed []string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("train: %s %q: want one of %s: %w", name, v, strings.Join(allowed, ", "), ErrSpec)
	}
	if err := oneOf("model", s.Model, Models); err != nil {
		return err
	}
	if _, err := cifar.ParseKind(s.Dataset); err != nil {
		return fmt.Errorf("train: dataset %q: want cifar10 or cifar100: %w", s.Dataset, ErrSpec)
	}
	if err := oneOf("norm", s.Norm, Norms); err != nil {
		return err
	}
	if err := oneOf("schedule", s.Schedule, Schedules); err != nil {
		return err
	}
	if _, err := optim.ParseDecayMode(s.Decay); err != nil {
		return fmt.Errorf("train: decay %q: want l2, coupled or decoupled: %w", s.Decay, ErrSpec)
	}
	if _, err := optim.ParseBNPolicy(s.BNPolicy); err != nil {
		return fmt.Errorf("train: bn policy %q: want both, first or eval: %w", s.BNPolicy, ErrSpec)
	}
	var msg string
	switch {
	case s.Width <= 0:
		msg = fmt.Sprintf("width %d: want > 0", s.Width)
	case s.Epochs <= 0:
		msg = fmt.Sprintf("epochs %d: want > 0", s.Epochs)
	case s.BatchSize <= 0:
		msg = fmt.Sprintf("batch size %d: want > 0", s.BatchSize)
	case bad(s.LR) || s.LR <= 0:
		msg = fmt.Sprintf("lr %v: want a finite rate > 0", s.LR)
	case s.WarmupEpochs < 0 || s.WarmupEpochs >= s.Epochs:
		msg = fmt.Sprintf("warmup epochs %d: want 0 to epochs-1", s.WarmupEpochs)
	case bad(s.Momentum) || s.Momentum < 0 || s.Momentum >= 1:
		msg = fmt.Sprintf("momentum %v: want [0, 1)", s.Momentum)
	case bad(s.WeightDecay) || s.WeightDecay < 0:
		msg = fmt.Sprintf("weight decay %v: want >= 0", s.WeightDecay)
	case bad(s.Rho) || s.Rho < 0:
		msg = fmt.Sprintf("rho %v: want >= 0", s.Rho)
	case s.M < 0 || (s.M > 0 && s.BatchSize%s.M != 0):
		msg = fmt.Sprintf("m %d: want a divisor of the batch size %d", s.M, s.BatchSize)
	case s.SAMFrom < 0 || s.SAMUntil < 0 || (s.SAMUntil > 0 && s.SAMUntil <= s.SAMFrom):
		msg = fmt.Sprintf("SAM window [%d, %d): want 0 <= from < until (until 0: never)", s.SAMFrom, s.SAMUntil)
	case s.AscentSteps < 0:
		msg = fmt.Sprintf("ascent steps %d: want >= 0", s.AscentSteps)
	case bad(s.Eta) || s.Eta < 0:
		msg = fmt.Sprintf("eta %v: want >= 0", s.Eta)
	case math.IsNaN(s.LabelNoise) || s.LabelNoise < 0 || s.LabelNoise >= 1:
		msg = fmt.Sprintf("label noise %v: want [0, 1)", s.LabelNoise)
	case s.ValSize < 0:
		msg = fmt.Sprintf("val size %d: want >= 0", s.ValSize)
	}
	if msg != "" {
		return fmt.Errorf("train: %s: %w", msg, ErrSpec)
	}
	for _, e := range s.Milestones {
		if e <= 0 || e >= s.Epochs {
			return fmt.Errorf("train: milestone %d: want 1 to epochs-1: %w", e, ErrSpec)
		}
	}
	return nil
}

// Kind returns the data set of s.
func (s *Spec) Kind() cifar.Kind {
	k, _ := cifar.ParseKind(s.Dataset)
	return k
}

// Net returns the network configuration of s.
func (s *Spec) Net() resnet.Config {
	arch, _ := resnet.ParseArch(s.Model) // checked by Validate
	norm := resnet.BatchNorm
	if s.Norm == "group" {
		norm = resnet.GroupNorm
	}
	return resnet.Config{Arch: arch, Width: s.Width, Classes: s.Kind().Classes(), Norm: norm}
}

// schedule returns the learning-rate schedule of s, in steps.
func (s *Spec) schedule(stepsPerEpoch int) optim.Schedule {
	var sch optim.Schedule
	switch s.Schedule {
	case "cosine":
		sch = optim.Cosine{Base: s.LR}
	case "constant":
		sch = optim.Constant{Base: s.LR}
	case "multistep":
		ms := make([]int, len(s.Milestones))
		for i, e := range s.Milestones {
			ms[i] = e * stepsPerEpoch
		}
		sch = optim.MultiStep{Base: s.LR, Milestones: ms}
	default:
		sch = optim.Piecewise{Base: s.LR}
	}
	if s.WarmupEpochs > 0 {
		sch = optim.Warmup{Steps: s.WarmupEpochs * stepsPerEpoch, Then: sch}
	}
	return sch
}

// optimizer returns the SAM wrapped around SGD that s describes, stepping
// weight Buffers with the arithmetic vec (the backend's Vectors).
func (s *Spec) optimizer(vec optim.Vectors[graph.Buffer]) *optim.SAM[graph.Buffer] {
	decay, _ := optim.ParseDecayMode(s.Decay)
	bn, _ := optim.ParseBNPolicy(s.BNPolicy)
	base := &optim.SGD[graph.Buffer]{LR: s.LR, Momentum: s.Momentum, Nesterov: s.Nesterov,
		WeightDecay: s.WeightDecay, Decay: decay, Vec: vec}
	return &optim.SAM[graph.Buffer]{
		Base:         base,
		Vec:          vec,
		Rho:          s.Rho,
		RhoByLR:      s.RhoByLR,
		M:            s.M,
		Unnormalized: s.Unnormalized,
		BN:           bn,
		AscentSteps:  s.AscentSteps,
		Adaptive:     s.Adaptive,
		Eta:          s.Eta,
		Random:       s.RandomPert,
		Seed:         s.Seed ^ 0x5a5a5a5a, // a stream apart from the loader's and the initialisation's
		FromEpoch:    s.SAMFrom,
		UntilEpoch:   s.SAMUntil,
	}
}

// diff lists the fields in which s and o differ, as "name: a -> b".
func (s *Spec) diff(o *Spec) []string {
	var d []string
	a, b := reflect.ValueOf(*s), reflect.ValueOf(*o)
	for i := range a.NumField() {
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			tag := strings.Split(a.Type().Field(i).Tag.Get("json"), ",")[0]
			d = append(d, fmt.Sprintf("%s: %v -> %v", tag, a.Field(i).Interface(), b.Field(i).Interface()))
		}
	}
	return d
}
