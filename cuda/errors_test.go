package cuda

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	if err := check(Driver, "cuInit", 0); err != nil {
		t.Errorf("status 0: %v", err)
	}
	for _, tc := range []struct {
		api  API
		code int32
		msg  string
		is   error
	}{
		{Driver, 2, "cuda: f: CUDA_ERROR_OUT_OF_MEMORY (2)", ErrOutOfMemory},
		{Driver, 100, "cuda: f: CUDA_ERROR_NO_DEVICE (100)", ErrNoDevice},
		{Driver, 719, "cuda: f: CUDA_ERROR_LAUNCH_FAILED (719)", nil},
		{Driver, 12345, "cuda: f: unknown driver status (12345)", nil},
		{CUBLAS, 3, "cuda: f: CUBLAS_STATUS_ALLOC_FAILED (3)", ErrOutOfMemory},
		{CUBLAS, 13, "cuda: f: CUBLAS_STATUS_EXECUTION_FAILED (13)", nil},
		{NVRTC, 6, "cuda: f: NVRTC_ERROR_COMPILATION (6)", nil},
		{CUDNN, 2000, "cuda: f: CUDNN_STATUS_BAD_PARAM (2000)", nil},
		{CUDNN, 3007, "cuda: f: CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH (3007)", nil},
		{CUDNN, 3999, "cuda: f: CUDNN_STATUS_NOT_SUPPORTED (subcode 999) (3999)", nil},
		{CUDNN, 4004, "cuda: f: CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED (4004)", ErrOutOfMemory},
	} {
		err := check(tc.api, "f", tc.code)
		if err == nil || err.Error() != tc.msg {
			t.Errorf("check(%v, %d) = %v, want %q", tc.api, tc.code, err, tc.msg)
		}
		for _, sentinel := range []error{ErrOutOfMemory, ErrNoDevice} {
			if got, want := errors.Is(err, sentinel), sentinel == tc.is; got != want {
				t.Errorf("errors.Is(check(%v, %d), %v) = %v", tc.api, tc.code, sentinel, got)
			}
		}
	}
}

func TestStatusTablesAgree(t *testing.T) {
	// Success is 0 everywhere; every other name carries its library's prefix.
	for api, prefix := range map[API]string{Driver: "CUDA_", CUBLAS: "CUBLAS_STATUS_", NVRTC: "NVRTC_", CUDNN: "CUDNN_STATUS_"} {
		for code := range 6000 {
			name := StatusName(api, code)
			if name[:len("unknown")] == "unknown" {
				continue
			}
			if len(name) < len(prefix) || name[:len(prefix)] != prefix {
				t.Errorf("%v status %d named %q, want prefix %s", api, code, name, prefix)
			}
		}
	}
}
