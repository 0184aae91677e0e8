package optim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// BNPolicy says what BatchNorm layers do during SAM's two passes.
type BNPolicy int

const (
	BNBoth     BNPolicy = iota // BNUpdate in both passes (the paper's default; davda54/sam without its bypass)
	BNFirst                    // BNUpdate in the clean pass, BNFrozen in the perturbed passes (google-research/sam keeps the clean pass's statistics)
	BNEvalBoth                 // BNEval in both passes
)

var bnPolicyNames = [...]string{BNBoth: "both", BNFirst: "first", BNEvalBoth: "eval"}

// String returns the policy's flag name: "both", "first" or "eval".
func (p BNPolicy) String() string {
	if p < BNBoth || p > BNEvalBoth {
		return fmt.Sprintf("BNPolicy(%d)", int(p))
	}
	return bnPolicyNames[p]
}

// ParseBNPolicy returns the policy named by s ("both", "first" or "eval", as String writes).
func ParseBNPolicy(s string) (BNPolicy, error) {
	for p, name := range bnPolicyNames {
		if s == name {
			return BNPolicy(p), nil
		}
	}
	return 0, fmt.Errorf("optim: BN policy %q, want both, first or eval: %w", s, ErrParam)
}

// normGuard is added to gradient norms before dividing by them, as davda54/sam and the
// paper's code do (rho / (grad_norm + 1e-12)): a zero gradient gives a zero perturbation
// instead of NaN.
const normGuard = 1e-12

// SAM is Sharpness-Aware Minimization (Foret et al., ICLR 2021) wrapped around a base
// optimizer, with the variants of Andriushchenko and Flammarion (ICML 2022). With the same
// batch for ascent and descent, split into B/M contiguous micro-batches I_j of M examples
// ([j·M, (j+1)·M)), one step is
//
//	g_j = ∇L_j(w)                      (Clean pass on I_j; + λ·w under DecayL2)
//	ε_j = ρ·g_j/(‖g_j‖₂ + 1e-12)       (normalised, the default) or ε_j = ρ·g_j (Unnormalized)
//	h_j = ∇L_j(w + ε_j)                (Perturbed pass on I_j; + λ·(w+ε_j) under DecayL2)
//	w  ← Base.Update(w, (1/(B/M))·Σ_j h_j)
//
// where L_j is the mean loss over I_j. M = 0 or M = B is n-SAM (one micro-batch).
// The weights are restored from a saved copy after each perturbed pass.
//
// ERM fallback: when ρ_t = 0 (Rho 0, or RhoByLR with a zero learning rate) or Epoch is
// outside the window [FromEpoch, UntilEpoch), Step is Base.Step: one pass, bit for bit the
// base optimizer.
//
// Variants (all combinable unless stated otherwise):
//   - Adaptive (ASAM, Kwon et al. 2021, with T = diag(|w|+η)):
//     ε = ρ·T²g/(‖Tg‖₂ + 1e-12), or ρ·T²g when Unnormalized. Not with AscentSteps > 0.
//   - AscentSteps k ≥ 1: projected gradient ascent as in the paper's code: δ₀ = 0,
//     δ_{i+1} = Π(δ_i + α·g(w+δ_i)/(‖g(w+δ_i)‖ + 1e-12)), Π the projection onto the
//     ball ‖δ‖ ≤ ρ, α = AscentStepMult·ρ; Unnormalized uses α·g and no projection (there is
//     no ρ-ball then), so k = 1 always equals plain SAM (the paper's code projects in both
//     cases, which clips unnormalised SAM itself). The k−1 inner gradients are Perturbed
//     passes on the same micro-batch; Stats.GradNorm is the clean gradient's norm.
//   - Random: the control of the paper: the perturbation is replaced by a Gaussian direction
//     rescaled to the norm the SAM perturbation would have had, drawn from a PCG generator
//     seeded with Seed and owned by the SAM value (see State).
//
// V is the type of the weight vectors: SAM[[]float32] and SAM[[]float64] work on host
// slices; any other V needs Vec, the arithmetic of V (a device's, for weights, gradients
// and SAM's buffers that stay on the device). Base must work on the same V.
//
// The zero value of every field but Base is valid. Buffers are allocated on the first
// active step and reused; Step does not allocate in steady state. A SAM is not safe for
// concurrent use.
type SAM[V any] struct {
	Base Base[V] // the optimizer that applies the descent gradient (required)

	// Vec is the arithmetic on V; nil means Host for []float32 and []float64.
	Vec Vectors[V]

	Rho     float64 // ρ ≥ 0; ρ = 0 is ERM
	RhoByLR bool    // ρ_t = Rho·γ_t with γ_t = Base.LearningRate() (the paper's sam_lr_mult); else ρ_t = Rho

	M            int      // micro-batch size m ≥ 0; 0 means the whole batch (n-SAM); must divide the batch
	Unnormalized bool     // ascent ε = ρ·g instead of ρ·g/‖g‖ (the variant of the paper's convergence theorem)
	BN           BNPolicy // BatchNorm during the passes; the zero value updates statistics in both

	AscentSteps    int     // k ≥ 0 ascent steps; 0 is the single-step fast path, k ≥ 1 the projected loop (k = 1 gives the same result)
	AscentStepMult float64 // α/ρ for AscentSteps ≥ 1; 0 means 1 (α = ρ, the paper's default)

	Adaptive bool    // ASAM: element-wise scaling T = diag(|w|+Eta)
	Eta      float64 // η ≥ 0 of ASAM (Kwon et al. use 0.01; davda54/sam uses 0)

	Random bool   // random-direction control with the SAM perturbation's norm
	Seed   uint64 // seed of the random direction generator

	// Active window: SAM is used when FromEpoch <= Epoch and (UntilEpoch == 0 or
	// Epoch < UntilEpoch); ERM otherwise. The training loop sets Epoch before each epoch.
	// FromEpoch = k gives the paper's ERM→SAM switch at epoch k; UntilEpoch = k SAM→ERM.
	FromEpoch, UntilEpoch, Epoch int

	ops   Vectors[V] // Vec or Host, set by Step
	saved V          // clean weights
	grad  V          // gradient of the current pass
	acc   V          // sum of descent gradients (m-SAM with more than one micro-batch)
	delta V          // perturbation (multi-step, random)
	rng   *rand.PCG
	rnd   *rand.Rand
}

// SAMState is the part of a SAM that changes during training (the base optimizer's state
// is saved separately, e.g. with SGD.State).
type SAMState struct {
	RNG []byte // state of the random-direction generator (rand.PCG.MarshalBinary); nil before its first use
}

// State returns the SAM's state for a checkpoint.
func (s *SAM[V]) State() (SAMState, error) {
	if s.rng == nil {
		return SAMState{}, nil
	}
	b, err := s.rng.MarshalBinary()
	if err != nil {
		return SAMState{}, fmt.Errorf("optim: sam state: %w", err)
	}
	return SAMState{RNG: b}, nil
}

// SetState restores a state returned by State.
func (s *SAM[V]) SetState(st SAMState) error {
	if st.RNG == nil {
		s.rng, s.rnd = nil, nil
		return nil
	}
	p := new(rand.PCG)
	if err := p.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("optim: SAMState.RNG: %v: %w", err, ErrParam)
	}
	s.rng, s.rnd = p, rand.New(p)
	return nil
}

// Validate reports an impossible hyperparameter of s or of its base, naming the field.
func (s *SAM[V]) Validate() error {
	if s.Base == nil {
		return fmt.Errorf("optim: SAM.Base is nil: %w", ErrParam)
	}
	if err := s.Base.Validate(); err != nil {
		return err
	}
	if err := nonNegative("SAM.Rho", s.Rho); err != nil {
		return err
	}
	if s.M < 0 {
		return fmt.Errorf("optim: SAM.M is %d, want >= 0: %w", s.M, ErrParam)
	}
	if s.BN < BNBoth || s.BN > BNEvalBoth {
		return fmt.Errorf("optim: SAM.BN is %d, not a BNPolicy: %w", s.BN, ErrParam)
	}
	if s.AscentSteps < 0 {
		return fmt.Errorf("optim: SAM.AscentSteps is %d, want >= 0: %w", s.AscentSteps, ErrParam)
	}
	if err := nonNegative("SAM.AscentStepMult", s.AscentStepMult); err != nil {
		return err
	}
	if err := nonNegative("SAM.Eta", s.Eta); err != nil {
		return err
	}
	if s.Adaptive && s.AscentSteps > 0 {
		return fmt.Errorf("optim: SAM.AscentSteps is %d, multi-step ascent is not defined with Adaptive: %w",
			s.AscentSteps, ErrParam)
	}
	if _, err := vectorsOf(s.Vec, "SAM"); err != nil {
		return err
	}
	if s.FromEpoch < 0 {
		return fmt.Errorf("optim: SAM.FromEpoch is %d, want >= 0: %w", s.FromEpoch, ErrParam)
	}
	if s.UntilEpoch < 0 || (s.UntilEpoch != 0 && s.UntilEpoch < s.FromEpoch) {
		return fmt.Errorf("optim: SAM.UntilEpoch is %d, want 0 or >= FromEpoch (%d): %w",
			s.UntilEpoch, s.FromEpoch, ErrParam)
	}
	return nil
}

// rhoT returns ρ_t.
func (s *SAM[V]) rhoT() float64 {
	if s.RhoByLR {
		return s.Rho * s.Base.LearningRate()
	}
	return s.Rho
}

// Active reports whether the next Step makes a SAM step (ρ_t > 0 and Epoch inside the
// window) rather than an ERM step.
func (s *SAM[V]) Active() bool {
	if s.Base == nil {
		return false
	}
	if s.Epoch < s.FromEpoch || (s.UntilEpoch != 0 && s.Epoch >= s.UntilEpoch) {
		return false
	}
	return s.rhoT() > 0
}

// passModes returns the BatchNorm modes of the clean and the perturbed passes.
func (s *SAM[V]) passModes() (clean, perturbed BNMode) {
	switch s.BN {
	case BNFirst:
		return BNUpdate, BNFrozen
	case BNEvalBoth:
		return BNEval, BNEval
	}
	return BNUpdate, BNUpdate
}

// Step makes one SAM step on a batch of `batch` examples (or one ERM step, see the type's
// documentation). On error the weights hold their clean values (those before the step).
func (s *SAM[V]) Step(w V, batch int, f GradFunc[V]) (Stats, error) {
	if err := s.Validate(); err != nil {
		return Stats{}, err
	}
	if batch <= 0 {
		return Stats{}, fmt.Errorf("optim: batch is %d, want > 0: %w", batch, ErrBatch)
	}
	m := s.M
	if m == 0 {
		m = batch
	}
	if batch%m != 0 {
		return Stats{}, fmt.Errorf("optim: SAM.M is %d, does not divide the batch of %d: %w", s.M, batch, ErrBatch)
	}
	if !s.Active() {
		return s.Base.Step(w, batch, f)
	}
	rho := s.rhoT()
	if math.IsInf(rho, 0) || math.IsNaN(rho) {
		return Stats{}, fmt.Errorf("optim: SAM ρ_t is %v (Rho %v times learning rate): %w", rho, s.Rho, ErrParam)
	}
	ops, _ := vectorsOf(s.Vec, "SAM")
	s.ops = ops
	n := ops.Len(w)
	nm := batch / m
	alloc(ops, &s.saved, n)
	alloc(ops, &s.grad, n)
	if nm > 1 {
		alloc(ops, &s.acc, n)
	}
	if s.AscentSteps > 0 || s.Random {
		alloc(ops, &s.delta, n)
	}
	if s.Random && s.rng == nil {
		s.rng = rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15)
		s.rnd = rand.New(s.rng)
	}
	ops.Copy(s.saved, w)
	l2 := s.Base.L2()
	bnC, bnP := s.passModes()

	var st Stats
	for j := range nm {
		lo, hi := j*m, (j+1)*m
		mode := descentOnly
		switch {
		case nm > 1 && j == 0:
			mode = descentFirst
		case nm > 1:
			mode = descentAdd
		}
		lc, lp, gn, err := s.micro(w, lo, hi, f, rho, l2, bnC, bnP, mode)
		if err != nil {
			ops.Copy(w, s.saved)
			return Stats{}, err
		}
		st.Loss += lc
		st.PerturbedLoss += lp
		st.GradNorm += gn
	}
	g := s.grad
	if nm > 1 {
		g = s.acc
		ops.Scale(g, 1/float64(nm))
		inv := 1 / float64(nm)
		st.Loss *= inv
		st.PerturbedLoss *= inv
		st.GradNorm *= inv
	}
	if err := s.Base.Update(w, g); err != nil {
		return Stats{}, err
	}
	return st, nil
}

// How micro stores the descent gradient of its micro-batch.
const (
	descentOnly  = iota // in s.grad (a single micro-batch)
	descentFirst        // in s.acc (first of several)
	descentAdd          // added to s.acc
)

// micro runs the passes of the micro-batch [lo, hi). On entry and on return w holds the
// clean weights s.saved; the descent gradient (L2 term included) is stored as mode says.
func (s *SAM[V]) micro(w V, lo, hi int, f GradFunc[V], rho, l2 float64, bnC, bnP BNMode, mode int) (lc, lp, gn float64, err error) {
	ops := s.ops
	g := s.grad
	lc, err = f(Pass{Kind: Clean, Lo: lo, Hi: hi, BN: bnC}, w, g)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("optim: sam clean pass on [%d, %d): %w", lo, hi, err)
	}
	fused := s.Unnormalized && !s.Adaptive && !s.Random && s.AscentSteps == 0
	if fused {
		// Unnormalised ascent needs no norm before perturbing: one pass does the L2
		// term, the norm (for Stats) and w ← saved + ρ·g.
		gn = ops.PerturbUnnormalized(w, s.saved, g, l2, rho)
	} else {
		gn = ops.AddScaledNorm(g, w, l2)
	}
	if math.IsNaN(gn) || math.IsInf(gn, 0) {
		return 0, 0, 0, fmt.Errorf("optim: sam gradient norm %v on [%d, %d): %w", gn, lo, hi, ErrNonFinite)
	}

	// Perturb: w ← saved + ε.
	switch {
	case fused:
	case s.AscentSteps > 0:
		if err := s.multiStep(w, lo, hi, f, rho, gn, l2, bnP); err != nil {
			return 0, 0, 0, err
		}
		if s.Random {
			s.randomize(s.delta)
			ops.AddInto(w, s.saved, s.delta)
		}
	case s.Random:
		s.perturbInto(s.delta, false, g, gn, rho)
		s.randomize(s.delta)
		ops.AddInto(w, s.saved, s.delta)
	default:
		s.perturbInto(w, true, g, gn, rho)
	}

	// Descent pass at the perturbed weights, then restore w by copy.
	dst := g
	if mode == descentFirst {
		dst = s.acc
	}
	lp, err = f(Pass{Kind: Perturbed, Lo: lo, Hi: hi, BN: bnP}, w, dst)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("optim: sam perturbed pass on [%d, %d): %w", lo, hi, err)
	}
	if mode == descentAdd {
		ops.AccumulateRestore(s.acc, g, w, s.saved, l2)
	} else {
		ops.AddScaledRestore(dst, w, s.saved, l2)
	}
	return lc, lp, gn, nil
}

// perturbInto writes saved + ε into dst (ε alone without base), where g is the clean
// gradient and gn its norm: ε = c·g with c = ρ/(gn + 1e-12), or c = ρ when Unnormalized;
// under Adaptive ε = c·T²g with T = diag(|saved|+η) and gn replaced by ‖Tg‖.
func (s *SAM[V]) perturbInto(dst V, base bool, g V, gn, rho float64) {
	ops := s.ops
	if !s.Adaptive {
		c := rho
		if !s.Unnormalized {
			c = rho / (gn + normGuard)
		}
		if base {
			ops.AxpyInto(dst, s.saved, g, c)
		} else {
			ops.ScaleInto(dst, g, c)
		}
		return
	}
	// ASAM (Kwon et al. 2021, eq. 7; davda54/sam's adaptive=True with η = 0).
	c := rho
	if !s.Unnormalized {
		c = rho / (ops.AdaptiveNorm(g, s.saved, s.Eta) + normGuard)
	}
	ops.AdaptiveInto(dst, g, s.saved, s.Eta, c)
	if base {
		ops.AddInto(dst, s.saved, dst)
	}
}

// multiStep runs projected gradient ascent (see the SAM documentation) from the clean
// gradient in s.grad with norm gn, leaving the perturbation in s.delta and w = saved + δ.
func (s *SAM[V]) multiStep(w V, lo, hi int, f GradFunc[V], rho, gn, l2 float64, bn BNMode) error {
	ops := s.ops
	mult := s.AscentStepMult
	if mult == 0 {
		mult = 1
	}
	alpha := rho * mult
	g, d := s.grad, s.delta
	for it := range s.AscentSteps {
		if it > 0 {
			if _, err := f(Pass{Kind: Perturbed, Lo: lo, Hi: hi, BN: bn}, w, g); err != nil {
				return fmt.Errorf("optim: sam ascent pass %d on [%d, %d): %w", it+1, lo, hi, err)
			}
			gn = ops.AddScaledNorm(g, w, l2)
			if math.IsNaN(gn) || math.IsInf(gn, 0) {
				return fmt.Errorf("optim: sam ascent gradient norm %v on [%d, %d): %w", gn, lo, hi, ErrNonFinite)
			}
		}
		c := alpha
		if !s.Unnormalized {
			c = alpha / (gn + normGuard)
		}
		if it == 0 {
			ops.ScaleInto(d, g, c)
		} else {
			ops.AxpyInto(d, d, g, c)
		}
		// The first normalised step has norm below α, so it needs no projection when α ≤ ρ
		// (skipping it keeps k = 1 bit-for-bit equal to plain SAM).
		if !s.Unnormalized && !(it == 0 && alpha <= rho) {
			if dn := ops.Norm(d); dn > rho {
				ops.Scale(d, rho/dn)
			}
		}
		ops.AddInto(w, s.saved, d)
	}
	return nil
}

// randomize replaces d by a standard Gaussian direction with the same norm as d.
func (s *SAM[V]) randomize(d V) {
	target := s.ops.Norm(d)
	s.ops.Gaussian(d, s.rnd)
	r := s.ops.Norm(d)
	if r == 0 {
		return
	}
	s.ops.Scale(d, target/r)
}
