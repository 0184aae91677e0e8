package cuda

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"
)

// Module is loaded device code (CUmodule), from a CUBIN or PTX image.
type Module struct {
	d *Device
	h uintptr
}

// Function is one kernel of a Module (CUfunction).
type Function struct {
	Name string
	h    uintptr
}

// Dim3 is a grid or block size.
type Dim3 struct{ X, Y, Z uint32 }

// LoadModule loads a CUBIN (or NUL-terminated PTX) image.
func (d *Device) LoadModule(image []byte) (*Module, error) {
	if len(image) == 0 {
		return nil, fmt.Errorf("cuda: empty module image")
	}
	m := &Module{d: d}
	err := d.do(func() error {
		return d.drv.check("cuModuleLoadData", d.drv.cuModuleLoadData(&m.h, unsafe.Pointer(&image[0])))
	})
	runtime.KeepAlive(image)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Function returns the kernel called name (declared extern "C").
func (m *Module) Function(name string) (*Function, error) {
	f := &Function{Name: name}
	err := m.d.do(func() error {
		return m.d.drv.check("cuModuleGetFunction", m.d.drv.cuModuleGetFunction(&f.h, m.h, name))
	})
	if err != nil {
		return nil, fmt.Errorf("cuda: kernel %s: %w", name, err)
	}
	return f, nil
}

// Close unloads the module.
func (m *Module) Close() error {
	if m.h == 0 {
		return nil
	}
	err := m.d.do(func() error { return m.d.drv.check("cuModuleUnload", m.d.drv.cuModuleUnload(m.h)) })
	m.h = 0
	return err
}

// Launch queues f on s with the given grid and block sizes and dynamic shared memory. args are
// the kernel's parameters in order: DevicePtr, uintptr, int (passed as a C int), int32,
// uint32, int64, uint64, float32 or float64.
func (s *Stream) Launch(f *Function, grid, block Dim3, shared uint32, args ...any) error {
	if grid.X == 0 || grid.Y == 0 || grid.Z == 0 || block.X == 0 || block.Y == 0 || block.Z == 0 {
		return fmt.Errorf("cuda: launch %s: zero grid %v or block %v", f.Name, grid, block)
	}
	slots, err := marshalArgs(args)
	if err != nil {
		return fmt.Errorf("cuda: launch %s: %w", f.Name, err)
	}
	// cuLaunchKernel reads kernelParams[i], a pointer to the i-th argument's value, before
	// it returns; the pinner keeps the Go memory in place during the call.
	var pin runtime.Pinner
	defer pin.Unpin()
	var params unsafe.Pointer
	if len(slots) > 0 {
		ptrs := make([]unsafe.Pointer, len(slots))
		pin.Pin(&slots[0])
		for i := range slots {
			ptrs[i] = unsafe.Pointer(&slots[i])
		}
		pin.Pin(&ptrs[0])
		params = unsafe.Pointer(&ptrs[0])
	}
	return s.d.do(func() error {
		return s.d.drv.check("cuLaunchKernel("+f.Name+")", s.d.drv.cuLaunchKernel(f.h,
			grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, shared, s.h, params, nil))
	})
}

// marshalArgs stores each argument's C value at the start of an 8-byte slot (little endian,
// so a 4-byte int or float reads correctly from the slot's address).
func marshalArgs(args []any) ([]uint64, error) {
	slots := make([]uint64, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case DevicePtr:
			slots[i] = uint64(v)
		case uintptr:
			slots[i] = uint64(v)
		case int:
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, fmt.Errorf("argument %d: %d does not fit a C int", i, v)
			}
			slots[i] = uint64(uint32(int32(v)))
		case int32:
			slots[i] = uint64(uint32(v))
		case uint32:
			slots[i] = uint64(v)
		case int64:
			slots[i] = uint64(v)
		case uint64:
			slots[i] = v
		case float32:
			slots[i] = uint64(math.Float32bits(v))
		case float64:
			slots[i] = math.Float64bits(v)
		default:
			return nil, fmt.Errorf("argument %d: unsupported type %T", i, a)
		}
	}
	return slots, nil
}
