package cuda

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// DevicePtr is an address in device memory (CUdeviceptr).
type DevicePtr uintptr

// Config says where to find the libraries and which device to open. The zero value searches
// only the dynamic loader's default places, opens device 0 and keeps no disk cache.
type Config struct {
	// Dirs are the folders searched for the libraries, in order (see SearchDirs); the dynamic
	// loader's own search is tried after them.
	Dirs []string
	// Ordinal is the device number, as CUDA counts them.
	Ordinal int
	// CacheDir is where compiled kernels are kept between runs (see DefaultCacheDir); empty
	// means no disk cache: kernels are compiled by every process.
	CacheDir string
}

// Device is one opened CUDA device with its primary context, the loaded libraries and their
// handles. Its methods may be called from several goroutines.
type Device struct {
	drv  *driver
	blas *cublas
	dnn  *cudnn
	rtc  *nvrtc
	libs []*library

	ordinal      int
	dev          int32
	ctx          uintptr
	name         string
	major, minor int
	sms          int
	memory       uint64
	driverVer    int
	cacheDir     string

	alloc *Allocator

	mu       sync.Mutex
	closed   bool
	kmu      sync.Mutex // guards kernels
	kernels  *Kernels
	convAlgo map[convKey]convChoice
}

// Open loads the libraries, initialises the driver and retains the primary context of device
// cfg.Ordinal. A *LoadError names a library or symbol that is missing; an error matching
// ErrNoDevice says the driver answered but sees no device.
func Open(cfg Config) (*Device, error) {
	if cfg.Ordinal < 0 {
		return nil, fmt.Errorf("cuda: negative device ordinal %d", cfg.Ordinal)
	}
	d := &Device{ordinal: cfg.Ordinal, cacheDir: cfg.CacheDir, convAlgo: make(map[convKey]convChoice)}
	if err := d.load(cfg.Dirs); err != nil {
		return nil, err
	}
	if err := d.init(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Device) load(dirs []string) error {
	lib, err := openLibrary(dirs, libCUDA)
	if err != nil {
		return err
	}
	d.libs = append(d.libs, lib)
	if d.drv, err = loadDriver(lib); err != nil {
		return err
	}
	// cuBLASLt is a dependency of cuBLAS; loading it first lets cuBLAS find it in folders the
	// dynamic loader does not search. Its absence is reported by cuBLAS's own load.
	if lt, err := openLibrary(dirs, libCUBLASLt); err == nil {
		d.libs = append(d.libs, lt)
	}
	if lib, err = openLibrary(dirs, libCUBLAS); err != nil {
		return err
	}
	d.libs = append(d.libs, lib)
	if d.blas, err = loadCUBLAS(lib); err != nil {
		return err
	}
	if lib, err = openNVRTC(dirs); err != nil {
		return err
	}
	d.libs = append(d.libs, lib)
	if d.rtc, err = loadNVRTC(lib); err != nil {
		return err
	}
	if lib, err = openLibrary(dirs, libCUDNN); err != nil {
		return err
	}
	d.libs = append(d.libs, lib)
	if d.dnn, err = loadCUDNN(lib); err != nil {
		return err
	}
	return nil
}

func (d *Device) init() error {
	drv := d.drv
	if err := drv.check("cuInit", drv.cuInit(0)); err != nil {
		return err
	}
	var v int32
	if err := drv.check("cuDriverGetVersion", drv.cuDriverGetVersion(&v)); err != nil {
		return err
	}
	d.driverVer = int(v)
	var n int32
	if err := drv.check("cuDeviceGetCount", drv.cuDeviceGetCount(&n)); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("cuda: driver %d.%d sees no device: %w", v/1000, v%1000/10, ErrNoDevice)
	}
	if d.ordinal >= int(n) {
		return fmt.Errorf("cuda: device %d asked for, but only %d present", d.ordinal, n)
	}
	if err := drv.check("cuDeviceGet", drv.cuDeviceGet(&d.dev, int32(d.ordinal))); err != nil {
		return err
	}
	var name [256]byte
	if err := drv.check("cuDeviceGetName", drv.cuDeviceGetName(&name[0], int32(len(name)), d.dev)); err != nil {
		return err
	}
	d.name = goString(&name[0])
	for _, a := range []struct {
		attr int32
		dst  *int
		name string
	}{
		{attrComputeMajor, &d.major, "compute capability major"},
		{attrComputeMinor, &d.minor, "compute capability minor"},
		{attrMultiprocessorCount, &d.sms, "multiprocessor count"},
	} {
		var x int32
		if err := drv.check("cuDeviceGetAttribute", drv.cuDeviceGetAttribute(&x, a.attr, d.dev)); err != nil {
			return fmt.Errorf("cuda: %s: %w", a.name, err)
		}
		*a.dst = int(x)
	}
	if err := drv.check("cuDeviceTotalMem_v2", drv.cuDeviceTotalMem(&d.memory, d.dev)); err != nil {
		return err
	}
	if err := drv.check("cuDevicePrimaryCtxRetain", drv.cuDevicePrimaryCtxRetain(&d.ctx, d.dev)); err != nil {
		return err
	}
	d.alloc = newAllocator(deviceMemory{d})
	return d.do(func() error {
		var err error
		if d.blas.h, err = d.blas.create(); err != nil {
			return err
		}
		d.dnn.h, err = d.dnn.create()
		return err
	})
}

// do runs f on a locked OS thread with the device's context current: CUDA contexts are per
// thread and goroutines move between threads.
func (d *Device) do(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if err := d.drv.check("cuCtxSetCurrent", d.drv.cuCtxSetCurrent(d.ctx)); err != nil {
		return err
	}
	return f()
}

// Name returns the device's name, e.g. "NVIDIA H200".
func (d *Device) Name() string { return d.name }

// Ordinal returns the device number Open was given.
func (d *Device) Ordinal() int { return d.ordinal }

// ComputeCapability returns the device's compute capability, e.g. 9, 0.
func (d *Device) ComputeCapability() (major, minor int) { return d.major, d.minor }

// Arch returns the NVRTC architecture name of the device, e.g. "sm_90".
func (d *Device) Arch() string { return fmt.Sprintf("sm_%d%d", d.major, d.minor) }

// TotalMemory returns the device's memory in bytes.
func (d *Device) TotalMemory() uint64 { return d.memory }

// Multiprocessors returns the device's number of streaming multiprocessors.
func (d *Device) Multiprocessors() int { return d.sms }

// DriverVersion returns the driver's CUDA version as major*1000+minor*10, e.g. 13000.
func (d *Device) DriverVersion() int { return d.driverVer }

// Libraries returns the paths of the loaded libraries.
func (d *Device) Libraries() []string {
	p := make([]string, len(d.libs))
	for i, l := range d.libs {
		p[i] = l.path
	}
	return p
}

// String describes the device in one line.
func (d *Device) String() string {
	return fmt.Sprintf("cuda:%d %s (sm_%d%d, %d SMs, %.1f GiB, driver %d.%d)", d.ordinal, d.name,
		d.major, d.minor, d.sms, float64(d.memory)/(1<<30), d.driverVer/1000, d.driverVer%1000/10)
}

// Synchronize waits for all work on the device.
func (d *Device) Synchronize() error {
	return d.do(func() error { return d.drv.check("cuCtxSynchronize", d.drv.cuCtxSynchronize()) })
}

// MemoryInfo returns the free and total device memory in bytes, as the driver sees them.
func (d *Device) MemoryInfo() (free, total uint64, err error) {
	err = d.do(func() error { return d.drv.check("cuMemGetInfo_v2", d.drv.cuMemGetInfo(&free, &total)) })
	return free, total, err
}

// Allocator returns the device's caching allocator.
func (d *Device) Allocator() *Allocator { return d.alloc }

// Alloc returns size bytes of device memory from the caching allocator.
func (d *Device) Alloc(size uint64) (DevicePtr, error) { return d.alloc.Alloc(size) }

// Free gives p back to the caching allocator.
func (d *Device) Free(p DevicePtr) error { return d.alloc.Free(p) }

// Close waits for the device, frees the cached memory, destroys the library handles and
// releases the primary context. The libraries stay loaded (unloading the driver is unsafe).
func (d *Device) Close() error {
	var errs []error
	err := d.do(func() error {
		errs = append(errs, d.drv.check("cuCtxSynchronize", d.drv.cuCtxSynchronize()))
		if d.kernels != nil {
			errs = append(errs, d.kernels.mod.Close())
		}
		errs = append(errs, d.alloc.Release())
		errs = append(errs, d.dnn.destroy())
		errs = append(errs, d.blas.destroy())
		return nil
	})
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	errs = append(errs, d.drv.check("cuDevicePrimaryCtxRelease_v2", d.drv.cuDevicePrimaryCtxRelease(d.dev)))
	return errors.Join(errs...)
}

// deviceMemory is the raw cuMemAlloc/cuMemFree memory under the caching allocator.
type deviceMemory struct{ d *Device }

func (m deviceMemory) malloc(size uint64) (DevicePtr, error) {
	var p DevicePtr
	err := m.d.do(func() error { return m.d.drv.check("cuMemAlloc_v2", m.d.drv.cuMemAlloc(&p, size)) })
	return p, err
}

func (m deviceMemory) free(p DevicePtr) error {
	return m.d.do(func() error { return m.d.drv.check("cuMemFree_v2", m.d.drv.cuMemFree(p)) })
}
