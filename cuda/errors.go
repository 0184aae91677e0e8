package cuda

import (
	"errors"
	"fmt"
)

// ErrOutOfMemory is matched (errors.Is) by errors from allocations that ran out of device memory.
var ErrOutOfMemory = errors.New("cuda: out of device memory")

// ErrNoDevice is matched by errors saying that the driver answers but sees no CUDA device.
var ErrNoDevice = errors.New("cuda: no CUDA device")

// ErrClosed is returned by methods of a closed Device.
var ErrClosed = errors.New("cuda: device closed")

// API names the library whose status code an Error carries; the code spaces differ.
type API int

// The libraries whose status codes are mapped.
const (
	Driver API = iota // CUresult from libcuda
	CUBLAS            // cublasStatus_t
	NVRTC             // nvrtcResult
	CUDNN             // cudnnStatus_t
)

func (a API) String() string {
	switch a {
	case Driver:
		return "driver"
	case CUBLAS:
		return "cublas"
	case NVRTC:
		return "nvrtc"
	case CUDNN:
		return "cudnn"
	}
	return fmt.Sprintf("API(%d)", int(a))
}

// Error is a failed library call.
type Error struct {
	API    API    // which library
	Call   string // the C function, e.g. "cuMemAlloc_v2"
	Code   int    // the status code it returned
	Name   string // the status name, e.g. "CUDA_ERROR_OUT_OF_MEMORY"
	Detail string // extra text (a compiler log, a library message); may be empty
}

func (e *Error) Error() string {
	s := fmt.Sprintf("cuda: %s: %s (%d)", e.Call, e.Name, e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns ErrOutOfMemory or ErrNoDevice for the status codes that mean them, else nil.
func (e *Error) Unwrap() error {
	switch {
	case e.API == Driver && e.Code == 2, // CUDA_ERROR_OUT_OF_MEMORY
		e.API == CUBLAS && e.Code == 3,   // CUBLAS_STATUS_ALLOC_FAILED
		e.API == NVRTC && e.Code == 1,    // NVRTC_ERROR_OUT_OF_MEMORY
		e.API == CUDNN && e.Code == 4004: // CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED
		return ErrOutOfMemory
	case e.API == Driver && e.Code == 100: // CUDA_ERROR_NO_DEVICE
		return ErrNoDevice
	}
	return nil
}

// check is the one place where status codes become errors, like check() in tinygrad's
// runtime/ops_cuda.py: zero is success, anything else an *Error naming call.
func check(api API, call string, code int32) error {
	if code == 0 {
		return nil
	}
	return &Error{API: api, Call: call, Code: int(code), Name: StatusName(api, int(code))}
}

// StatusName returns the C name of a status code of api, or a description of an unknown code.
func StatusName(api API, code int) string {
	var table map[int]string
	switch api {
	case Driver:
		table = cuResultNames
	case CUBLAS:
		table = cublasStatusNames
	case NVRTC:
		table = nvrtcResultNames
	case CUDNN:
		table = cudnnStatusNames
		if _, ok := table[code]; !ok && code >= 1000 {
			// cuDNN 9 groups codes by thousands; name the category.
			if s, ok := table[code/1000*1000]; ok {
				return fmt.Sprintf("%s (subcode %d)", s, code%1000)
			}
		}
	}
	if s, ok := table[code]; ok {
		return s
	}
	return fmt.Sprintf("unknown %v status", api)
}
