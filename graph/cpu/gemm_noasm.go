//go:build !amd64

package cpu

// float32Kernel is the float32 micro-kernel: pure Go on machines other than amd64.
var float32Kernel = goKernel32

// float32Kernels lists the float32 micro-kernels this machine can run, fastest first.
func float32Kernels() []*kernel[float32] { return []*kernel[float32]{goKernel32} }
