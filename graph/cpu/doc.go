// Package cpu holds samtrain's CPU compute kernels: a cache-blocked GEMM with an AVX-512
// (or AVX2) FMA micro-kernel in Go assembly for float32 and a pure-Go path for float64 and
// other machines, and 2-D convolutions built on it (per-image im2col into a caller-provided
// workspace, GEMM, col2im). Backend is graph.Backend on host memory, and its Vectors is
// optim.Host on its Buffers, so that optim.SAM[graph.Buffer] steps a model's own weights.
//
// On amd64 the micro-kernel is chosen at start-up from CPUID (AVX-512, else AVX2 with FMA,
// else pure Go); other architectures and the build tag purego use pure Go only, and
// `go test -tags purego` tests that path on any machine.
//
// Error policy: the kernels take slices and sizes from the graph layer, which has already
// checked shapes, so a size mismatch is a bug and panics with a message starting "cpu: ",
// as gonum's BLAS does. ConvParams.Validate reports bad convolution parameters as an error
// for callers that build them from user input.
//
// Parallelism: every kernel takes par, the number of goroutines it may use (values below 1
// mean 1). Goroutines are started and joined inside each call; nothing outlives a call and
// the package has no mutable global state.
package cpu
