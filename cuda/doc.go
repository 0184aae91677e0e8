// Package cuda talks to NVIDIA GPUs: it loads the CUDA driver (libcuda.so.1), cuBLAS, NVRTC and
// cuDNN 9 at run time with github.com/ebitengine/purego, so the same CGO_ENABLED=0 binary runs on
// machines with and without a GPU.
//
// The package only talks to the driver and the libraries: devices and their primary context,
// streams and events, a caching device allocator, host<->device copies (pinned host buffers for
// batches), NVRTC compilation of the project's kernels (CUDA C kept in kernels/*.cu, compiled for
// the device's own architecture to a CUBIN and cached on disk), kernel launches, cuBLAS SGEMM and
// cuDNN convolution and pooling. [Kernels] launches the project's element-wise and reduction
// kernels (ReLU, residual add, softmax cross-entropy, global average pooling, BatchNorm and
// GroupNorm); [SelfTest] checks all of it on a device against float64 Go loops.
//
// [Backend] implements graph.Backend[float32] on top of it: a model built with
// resnet.New[float32](backend, ...) runs its forward and backward passes on the device, every
// kernel queued on the Backend's one stream, with the host waiting only in Download (reading
// the loss or a gradient). [Backend.Vectors] is the optimizers' arithmetic on the Backend's
// buffers ([Vectors], optim.Vectors[graph.Buffer]): with it optim.SAM and optim.SGD keep the
// weights, gradients, SAM's buffers and the momentum on the device, and run SGD, SAM's
// perturbation and restore, the gradient norm and m-SAM's accumulation as kernels on the
// same stream; only the norms come back to the host. [SelfTest] also compares every Backend
// kernel, one ResNet-18 gradient and one n-SAM and m-SAM step with graph/cpu.
//
// [Precision] says how a [Stream]'s (and a [Backend]'s) GEMMs and convolutions compute: FP32
// (TF32 explicitly off), TF32, or BF16 mixed precision with the semantics of
// torch.autocast(dtype=torch.bfloat16), every buffer the caller sees staying float32;
// [SelfTestPrecision] checks each with tolerances from the format's rounding.
//
// Without a GPU the package's tests build a fake of the four libraries with g++
// (testdata/fake), which runs the real kernel sources on the CPU through a small shim, and
// load it through the same loader.
//
// Nothing here is global: [Open] returns a [*Device] that holds the loaded libraries, the context,
// the allocator and the library handles; libraries read no environment variables (the command
// passes [SearchDirs] the process environment).
//
// # Errors
//
// Every status code returned by a library call is checked by one helper and becomes an [*Error]
// naming the call, the library and the status name (CUDA_ERROR_OUT_OF_MEMORY, ...); errors.Is
// matches [ErrOutOfMemory] and [ErrNoDevice] through it. Missing libraries and symbols are
// reported as [*LoadError] listing every place that was searched. Bad arguments (negative sizes,
// mismatched lengths) return errors; nothing in this package panics on bad input, except
// [Backend], whose graph.Backend methods return no errors: there a size mismatch is a bug of
// the graph layer and panics (as graph.Backend documents), and a failed library call is kept,
// returned by [Backend.Err] and turns later work into no-ops and downloads into NaN. [Vectors]
// panics on nothing: a failed call or a bad argument (vectors of different lengths, a buffer
// not from the Backend) is kept as the Backend's Err, and norms return NaN.
//
// Device memory is addressed by [DevicePtr]; using a pointer after [Device.Free] or after
// [Device.Close] is a bug the driver may or may not report.
package cuda
