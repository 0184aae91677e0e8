// Package resnet builds the paper's CIFAR networks on graph: PreAct
// ResNet-18 (the CIFAR-10 model of Andriushchenko & Flammarion, ICML 2022,
// as in their deep_nets/models.py), and post-activation ResNet-18 and
// ResNet-34 with the CIFAR stem (3×3 convolution, no max-pool). Each has a
// width multiplier, BatchNorm or GroupNorm, and any number of classes;
// parameter names are the PyTorch state_dict names of the same model (see
// testdata/gen_fixtures.py for the reference PyTorch definitions).
//
// Error policy: New returns an error for an invalid Config; the package
// does no I/O.
package resnet
