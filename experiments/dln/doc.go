// Package dln reproduces the diagonal-linear-network experiments of Section 4 of
// "Towards Understanding Sharpness-Aware Minimization" (Andriushchenko &
// Flammarion, ICML 2022): sparse regression with f(x) = <x, u⊙v>, trained by GD,
// SGD, n-SAM and 1-SAM, and the implicit-bias theory that explains the results
// (the hyperbolic entropy φ_α, its minimal interpolator and the effective α of a
// run).
//
// Data are drawn as in the authors' notebook (numpy's legacy MT19937 generator,
// so a seed gives the very numbers np.random.seed(seed) gives) or read from CSV or
// .npy files. The model, its loss and its gradients are plain float64 loops; SAM
// itself is package optim's SAM, called through an optim.GradFunc.
//
// # Error policy
//
// Bad configurations, malformed files and singular systems are returned as
// errors that name the package ("dln: ..."); nothing in this package panics on
// user input. Slices of the wrong length passed to the low-level helpers
// (Model.LossGrad, Beta, SquareLoss, LineLosses, Support) are programming errors
// and panic, as in gonum/mat.
package dln
