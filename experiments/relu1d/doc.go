// Package relu1d reproduces the one-dimensional two-layer ReLU network
// experiment of "Towards Understanding Sharpness-Aware Minimization"
// (Andriushchenko & Flammarion, ICML 2022; authors' notebook
// tml-epfl/understanding-sam one_layer_relu_nets/1d_nn.ipynb): 12 points fitted by
// f(x) = Σ_j a_j·relu(w_j·x + b_j) with full-batch GD and with SAM, counting the
// kinks of the fitted functions.
//
// The network, its loss and its gradients are plain float64 loops (a test checks
// them against gorgonia's Grad); SAM is package optim's SAM.
//
// # Error policy
//
// Bad configurations are returned as errors ("relu1d: ..."); slices of the
// wrong length passed to the low-level helpers are programming errors and panic.
package relu1d
