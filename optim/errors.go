package optim

import "errors"

// Sentinel errors; the errors returned by this package wrap one of them (test with errors.Is).
var (
	// ErrParam reports an impossible hyperparameter; the message names the field.
	ErrParam = errors.New("invalid parameter")
	// ErrBatch reports a batch size that is not positive or not a multiple of SAM.M.
	ErrBatch = errors.New("invalid batch size")
	// ErrSize reports a weight vector or state whose length does not match the optimizer's.
	ErrSize = errors.New("size mismatch")
	// ErrNonFinite reports a NaN or infinite gradient norm.
	ErrNonFinite = errors.New("non-finite gradient")
)
