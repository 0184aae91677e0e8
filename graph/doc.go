// Package graph builds neural networks as gorgonia expression graphs on
// samtrain's own ops, differentiates them with gorgonia.Grad and runs them
// with a planned executor on a Backend.
//
// # Ops
//
// Each layer is a gorgonia Op of this package, with its forward kernel,
// its gradient (SymDiff adds the backward Ops to the graph) and the math in
// a comment, one file per layer: Conv2d, BatchNorm2d, GroupNorm, ReLU, Add
// (residual), GlobalAvgPool, Linear, Flatten and SoftmaxCrossEntropy. The
// kernels are methods of a Backend (backend.go); graph/cpu is the pure-Go
// one. Every gradient is checked against central finite differences in
// float64, and whole networks against PyTorch (nets/resnet).
//
// # Parameters
//
// A Params store holds named parameters (PyTorch state_dict names) as views
// into one flat weight Buffer, their gradients as views into one flat
// gradient Buffer, and BatchNorm running statistics in a separate flat
// state Buffer. An optimizer updates the flat weights in place and the
// model sees it on its next pass: optim.SAM[graph.Buffer] with the
// backend's Vectors (graph/cpu, cuda) steps Params().Weights() where it
// lives, through Model.GradBuffers, which copies nothing for the model's
// own weight and gradient Buffers; Model.GradAt does the same for host
// slices (free for Model.Weights() on a host backend).
//
// # Execution
//
// Model compiles one graph per batch size and pass kind (gradient, eval)
// on first use: it sorts the nodes, keeps those the outputs need, and gives
// every intermediate value a slot of one arena shared by all the model's
// graphs, reusing a slot once the value's last consumer has run; parameter
// gradients are written straight into the flat gradient. Later passes
// allocate nothing but small per-kernel bookkeeping.
//
// The package's own executor was chosen over gorgonia's TapeMachine: the
// TapeMachine calls Op.Do, which must return a fresh Value, so it allocates
// every activation and gradient on every pass, it cannot write gradients
// into the optimizer's flat slice, and it knows nothing of device Buffers.
// BenchmarkExecutor (a width-16 PreAct ResNet-18, batch 16, float32, 2
// goroutines; 2026-11-29 on the shared 2-core dev VM, load average about
// 11, so times are noisy): TapeMachine 157–495 ms and 64.6 MB allocated per
// pass, executor 134–154 ms and 1.2 MB per pass (the GEMM's packing buffers
// inside graph/cpu). The Ops still implement Do, so the TapeMachine
// runs the same graphs (TestTapeMachineAgrees).
//
// # Errors
//
// Bad arguments at run time (batch shapes, labels, modes, checkpoints) are
// returned as errors prefixed "graph: ". A network definition whose shapes
// do not fit, or a kernel called with inconsistent sizes, is a bug: Builder
// methods and kernels panic; NewModel and Model.Grad turn a panic while
// building a graph into an error.
package graph
