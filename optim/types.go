package optim

// Float is the element type of weights and gradients.
type Float interface{ ~float32 | ~float64 }

// PassKind says which pass of a step a gradient is for.
type PassKind int

const (
	Clean     PassKind = iota // at the current weights: an ERM step, or SAM's ascent pass
	Perturbed                 // at SAM's perturbed weights: the descent pass (and the inner passes of multi-step ascent)
)

// BNMode says what BatchNorm layers should do during one pass.
type BNMode int

const (
	BNUpdate BNMode = iota // normalise with batch statistics and update running statistics
	BNFrozen               // normalise with batch statistics, leave running statistics untouched
	BNEval                 // normalise with running statistics (eval mode)
)

// Pass describes one gradient evaluation requested by an optimizer.
type Pass struct {
	Kind   PassKind
	Lo, Hi int // the examples [Lo, Hi) of the current batch (a micro-batch for m-SAM)
	BN     BNMode
}

// GradFunc writes into grad the gradient, at weights w, of the MEAN loss over examples
// [p.Lo, p.Hi) of the current batch and returns that mean loss. w is the optimizer's weight
// vector itself (the model reads its parameters from it); grad has its length.
// GradFunc must NOT add weight decay: the optimizer does that.
//
// V is the type of the weight vectors: []float32 or []float64 in host memory, or a device
// buffer with the Vectors of its backend.
type GradFunc[V any] func(p Pass, w, grad V) (loss float64, err error)

// Optimizer updates w in place from one batch of `batch` examples.
type Optimizer[V any] interface {
	Step(w V, batch int, f GradFunc[V]) (Stats, error)
}

// Stats reports one step.
type Stats struct {
	Loss          float64 // mean loss at the clean weights over the batch (mean of micro-batch losses); excludes weight decay
	PerturbedLoss float64 // mean loss at the perturbed weights (SAM only; = Loss for ERM)
	GradNorm      float64 // l2 norm of the (mean) clean gradient, L2 term included under DecayL2; for m-SAM the mean of micro-batch norms
}

// Base is what SAM needs from the optimizer it wraps. *SGD implements it.
type Base[V any] interface {
	Optimizer[V]
	// Validate reports an impossible hyperparameter.
	Validate() error
	// L2 returns λ when weight decay is an L2 term λ/2·‖w‖² of the objective (DecayL2),
	// and 0 otherwise: SAM then adds λ·w to the gradient of every pass, at that pass's weights.
	L2() float64
	// Update applies one step to w from grad, the mean gradient of the objective (with the
	// L2 term already included when L2() != 0). It does not modify grad.
	Update(w, grad V) error
	// LearningRate returns the learning rate the next Update uses.
	LearningRate() float64
}
