//go:build !amd64 || purego

package cpu

// float32Kernel is the float32 micro-kernel: pure Go on machines other than amd64.
var float32Kernel = goKernel32

// float32Kernels lists the float32 micro-kernels this machine can run, fastest first.
func float32Kernels() []*kernel[float32] { return []*kernel[float32]{goKernel32} }

// rowsKernel32 is the in-place-A float32 micro-kernel: none on machines other than amd64.
var rowsKernel32 func(kc int, a []float32, offs *[8]int, b, c []float32, ldc int)

// gatherRows32 is the assembly row gather: none on machines other than amd64.
var gatherRows32 func(dst, src []float32, offs []int, n, stride int)

// gatherCols32x is the assembly column gather: none on machines other than amd64.
var gatherCols32x func(dst, src []float32, rowOffs *[32]int32, pixOffs []int32)
