package cuda

import "unsafe"

// driver holds the libcuda entry points. Names follow cuda.h of CUDA 13; where the header
// #defines a name to a versioned symbol (cuMemAlloc -> cuMemAlloc_v2) the versioned symbol is
// bound.
type driver struct {
	cuInit                    func(flags uint32) int32
	cuDriverGetVersion        func(v *int32) int32
	cuGetErrorName            func(r int32, s **byte) int32
	cuGetErrorString          func(r int32, s **byte) int32
	cuDeviceGetCount          func(n *int32) int32
	cuDeviceGet               func(dev *int32, ordinal int32) int32
	cuDeviceGetName           func(name *byte, n int32, dev int32) int32
	cuDeviceGetAttribute      func(v *int32, attr int32, dev int32) int32
	cuDeviceTotalMem          func(bytes *uint64, dev int32) int32
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, dev int32) int32
	cuDevicePrimaryCtxRelease func(dev int32) int32
	cuCtxSetCurrent           func(ctx uintptr) int32
	cuCtxSynchronize          func() int32
	cuMemGetInfo              func(free, total *uint64) int32
	cuStreamCreate            func(s *uintptr, flags uint32) int32
	cuStreamDestroy           func(s uintptr) int32
	cuStreamSynchronize       func(s uintptr) int32
	cuStreamWaitEvent         func(s, e uintptr, flags uint32) int32
	cuEventCreate             func(e *uintptr, flags uint32) int32
	cuEventRecord             func(e, s uintptr) int32
	cuEventSynchronize        func(e uintptr) int32
	cuEventElapsedTime        func(ms *float32, start, end uintptr) int32
	cuEventDestroy            func(e uintptr) int32
	cuMemAlloc                func(p *DevicePtr, size uint64) int32
	cuMemFree                 func(p DevicePtr) int32
	cuMemHostAlloc            func(p *unsafe.Pointer, size uint64, flags uint32) int32
	cuMemFreeHost             func(p unsafe.Pointer) int32
	cuMemcpyHtoD              func(dst DevicePtr, src unsafe.Pointer, n uint64) int32
	cuMemcpyDtoH              func(dst unsafe.Pointer, src DevicePtr, n uint64) int32
	cuMemcpyHtoDAsync         func(dst DevicePtr, src unsafe.Pointer, n uint64, s uintptr) int32
	cuMemcpyDtoHAsync         func(dst unsafe.Pointer, src DevicePtr, n uint64, s uintptr) int32
	cuMemcpyDtoDAsync         func(dst, src DevicePtr, n uint64, s uintptr) int32
	cuMemsetD32Async          func(dst DevicePtr, v uint32, n uint64, s uintptr) int32
	cuModuleLoadData          func(m *uintptr, image unsafe.Pointer) int32
	cuModuleUnload            func(m uintptr) int32
	cuModuleGetFunction       func(f *uintptr, m uintptr, name string) int32
	cuLaunchKernel            func(f uintptr, gx, gy, gz, bx, by, bz, shared uint32, s uintptr, params, extra unsafe.Pointer) int32
}

func loadDriver(lib *library) (*driver, error) {
	d := new(driver)
	b := &binder{lib: lib}
	b.bind(&d.cuInit, "cuInit")
	b.bind(&d.cuDriverGetVersion, "cuDriverGetVersion")
	b.bind(&d.cuGetErrorName, "cuGetErrorName")
	b.bind(&d.cuGetErrorString, "cuGetErrorString")
	b.bind(&d.cuDeviceGetCount, "cuDeviceGetCount")
	b.bind(&d.cuDeviceGet, "cuDeviceGet")
	b.bind(&d.cuDeviceGetName, "cuDeviceGetName")
	b.bind(&d.cuDeviceGetAttribute, "cuDeviceGetAttribute")
	b.bind(&d.cuDeviceTotalMem, "cuDeviceTotalMem_v2")
	b.bind(&d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
	b.bind(&d.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2")
	b.bind(&d.cuCtxSetCurrent, "cuCtxSetCurrent")
	b.bind(&d.cuCtxSynchronize, "cuCtxSynchronize")
	b.bind(&d.cuMemGetInfo, "cuMemGetInfo_v2")
	b.bind(&d.cuStreamCreate, "cuStreamCreate")
	b.bind(&d.cuStreamDestroy, "cuStreamDestroy_v2")
	b.bind(&d.cuStreamSynchronize, "cuStreamSynchronize")
	b.bind(&d.cuStreamWaitEvent, "cuStreamWaitEvent")
	b.bind(&d.cuEventCreate, "cuEventCreate")
	b.bind(&d.cuEventRecord, "cuEventRecord")
	b.bind(&d.cuEventSynchronize, "cuEventSynchronize")
	// CUDA 12.8 added cuEventElapsedTime_v2 and CUDA 13's header maps the plain name to it.
	b.bind(&d.cuEventElapsedTime, "cuEventElapsedTime_v2", "cuEventElapsedTime")
	b.bind(&d.cuEventDestroy, "cuEventDestroy_v2")
	b.bind(&d.cuMemAlloc, "cuMemAlloc_v2")
	b.bind(&d.cuMemFree, "cuMemFree_v2")
	b.bind(&d.cuMemHostAlloc, "cuMemHostAlloc")
	b.bind(&d.cuMemFreeHost, "cuMemFreeHost")
	b.bind(&d.cuMemcpyHtoD, "cuMemcpyHtoD_v2")
	b.bind(&d.cuMemcpyDtoH, "cuMemcpyDtoH_v2")
	b.bind(&d.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2")
	b.bind(&d.cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2")
	b.bind(&d.cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2")
	b.bind(&d.cuMemsetD32Async, "cuMemsetD32Async")
	b.bind(&d.cuModuleLoadData, "cuModuleLoadData")
	b.bind(&d.cuModuleUnload, "cuModuleUnload")
	b.bind(&d.cuModuleGetFunction, "cuModuleGetFunction")
	b.bind(&d.cuLaunchKernel, "cuLaunchKernel")
	if err := b.err(); err != nil {
		return nil, err
	}
	return d, nil
}

// check maps a CUresult to an error, asking the driver for the name of codes the table lacks.
func (d *driver) check(call string, r int32) error {
	if r == 0 {
		return nil
	}
	err := check(Driver, call, r).(*Error)
	if _, ok := cuResultNames[int(r)]; !ok {
		var s *byte
		if d.cuGetErrorName(r, &s) == 0 && s != nil {
			err.Name = goString(s)
		}
	}
	var s *byte
	if d.cuGetErrorString(r, &s) == 0 && s != nil {
		err.Detail = goString(s)
	}
	return err
}

// Device attributes (CUdevice_attribute).
const (
	attrMultiprocessorCount = 16
	attrComputeMajor        = 75
	attrComputeMinor        = 76
)
