// Package optim implements the optimizers of samtrain: SGD with momentum (PyTorch semantics)
// and Sharpness-Aware Minimization (SAM) wrapped around it, with every variant studied in
// "Towards Understanding Sharpness-Aware Minimization" (Andriushchenko and Flammarion,
// ICML 2022): n-SAM and m-SAM, normalised and unnormalised ascent, the BatchNorm policy
// during the two passes, ρ constant or proportional to the learning rate, an ERM/SAM
// switching window, multi-step ascent, ASAM (Kwon et al., ICML 2021) and a
// random-perturbation control. Learning-rate schedules live in schedule.go.
//
// An optimizer owns the whole step: the caller gives it the weight vector, the batch size
// and a [GradFunc] that evaluates the gradient of the mean loss over a range of examples of
// the current batch; the optimizer decides how many passes to make, at which weights and
// with which BatchNorm behaviour, and updates the weights in place. SAM restores the clean
// weights by copy, never by subtraction, so an ascent followed by a descent pass leaves no
// rounding residue.
//
// The weight vector is never replaced: the optimizer writes the perturbed and the updated
// weights into w itself, so a model may keep tensors backed by sub-slices of w. The grad
// slice handed to a GradFunc may differ from one call to the next (SAM hands out its
// gradient and accumulation buffers in turn): a GradFunc must write its result into the
// slice it is given.
//
// The weight vectors need not be host slices. SAM and SGD are generic over the vector
// type V and do all their arithmetic through [Vectors]: [Host] for []float32 and
// []float64 (the default), or a backend's own for its buffers, so that on a GPU the
// weights, gradients and optimizer state stay on the device and the same SAM code runs
// there. The only values handed back to the host inside a step are the pass losses and the
// gradient norms (one scalar per micro-batch, which also decides the perturbation's scale).
//
// All per-step bookkeeping (saved weights, perturbation, gradient and accumulation
// buffers, momentum) is allocated on the first step and reused: Step does not allocate in
// steady state.
//
// # Error policy
//
// Impossible hyperparameters (a negative or NaN ρ or learning rate, a micro-batch size
// that does not divide the batch, ...) are reported by Step and Validate as errors that
// name the offending field and wrap [ErrParam]; a bad batch size wraps [ErrBatch]; a weight
// vector whose length changes between steps wraps [ErrSize]; a non-finite gradient wraps
// [ErrNonFinite], in which case the weights are left as they were before the step. Errors
// returned by a GradFunc are wrapped with the pass that failed and returned after the
// weights have been restored to their clean values. Nothing in this package panics on bad
// input. Errors read "optim: ...", lowercase, without a full stop.
package optim
