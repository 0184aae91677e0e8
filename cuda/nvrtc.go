package cuda

import (
	"fmt"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/ebitengine/purego"
)

// nvrtc holds the NVRTC entry points (nvrtc.h).
type nvrtc struct {
	nvrtcVersion           func(major, minor *int32) int32
	nvrtcCreateProgram     func(p *uintptr, src, name string, nHeaders int32, headers, includeNames unsafe.Pointer) int32
	nvrtcCompileProgram    func(p uintptr, nOpts int32, opts unsafe.Pointer) int32
	nvrtcGetProgramLogSize func(p uintptr, n *uint64) int32
	nvrtcGetProgramLog     func(p uintptr, log *byte) int32
	nvrtcGetCUBINSize      func(p uintptr, n *uint64) int32
	nvrtcGetCUBIN          func(p uintptr, cubin *byte) int32
	nvrtcDestroyProgram    func(p *uintptr) int32
}

// openNVRTC loads NVRTC after its builtins library (libnvrtc-builtins.so.*), which NVRTC
// dlopens by bare name and so would not find in a pip wheel's folder.
func openNVRTC(dirs []string) (*library, error) {
	lib, err := openLibrary(dirs, libNVRTC)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(lib.path); dir != "." {
		if m, _ := filepath.Glob(filepath.Join(dir, "libnvrtc-builtins.so.*")); len(m) > 0 {
			// Failure is not fatal here: NVRTC reports it when it compiles.
			_, _ = purego.Dlopen(m[len(m)-1], purego.RTLD_NOW|purego.RTLD_GLOBAL)
		}
	}
	return lib, nil
}

func loadNVRTC(lib *library) (*nvrtc, error) {
	n := new(nvrtc)
	b := &binder{lib: lib}
	b.bind(&n.nvrtcVersion, "nvrtcVersion")
	b.bind(&n.nvrtcCreateProgram, "nvrtcCreateProgram")
	b.bind(&n.nvrtcCompileProgram, "nvrtcCompileProgram")
	b.bind(&n.nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize")
	b.bind(&n.nvrtcGetProgramLog, "nvrtcGetProgramLog")
	b.bind(&n.nvrtcGetCUBINSize, "nvrtcGetCUBINSize")
	b.bind(&n.nvrtcGetCUBIN, "nvrtcGetCUBIN")
	b.bind(&n.nvrtcDestroyProgram, "nvrtcDestroyProgram")
	return n, b.err()
}

// compile compiles CUDA C source to a CUBIN with the given options; a compilation error
// carries NVRTC's log.
func (n *nvrtc) compile(name, src string, opts []string) ([]byte, error) {
	var prog uintptr
	if err := check(NVRTC, "nvrtcCreateProgram", n.nvrtcCreateProgram(&prog, src, name, 0, nil, nil)); err != nil {
		return nil, err
	}
	defer n.nvrtcDestroyProgram(&prog)
	// The options as an array of C strings, kept alive until the call returns.
	cstr := make([][]byte, len(opts))
	ptrs := make([]*byte, len(opts)+1)
	for i, o := range opts {
		if strings.IndexByte(o, 0) >= 0 {
			return nil, fmt.Errorf("cuda: nvrtc option %q contains NUL", o)
		}
		cstr[i] = append([]byte(o), 0)
		ptrs[i] = &cstr[i][0]
	}
	if r := n.nvrtcCompileProgram(prog, int32(len(opts)), unsafe.Pointer(&ptrs[0])); r != 0 {
		err := check(NVRTC, "nvrtcCompileProgram", r).(*Error)
		err.Detail = n.log(prog)
		return nil, err
	}
	var size uint64
	if err := check(NVRTC, "nvrtcGetCUBINSize", n.nvrtcGetCUBINSize(prog, &size)); err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, fmt.Errorf("cuda: nvrtc produced an empty CUBIN (options %v)", opts)
	}
	cubin := make([]byte, size)
	if err := check(NVRTC, "nvrtcGetCUBIN", n.nvrtcGetCUBIN(prog, &cubin[0])); err != nil {
		return nil, err
	}
	return cubin, nil
}

func (n *nvrtc) log(prog uintptr) string {
	var size uint64
	if n.nvrtcGetProgramLogSize(prog, &size) != 0 || size <= 1 {
		return ""
	}
	buf := make([]byte, size)
	if n.nvrtcGetProgramLog(prog, &buf[0]) != 0 {
		return ""
	}
	return strings.TrimSpace(goString(&buf[0]))
}

// version returns NVRTC's major and minor version.
func (n *nvrtc) version() (int, int, error) {
	var ma, mi int32
	err := check(NVRTC, "nvrtcVersion", n.nvrtcVersion(&ma, &mi))
	return int(ma), int(mi), err
}

// NVRTCVersion returns the loaded NVRTC's major and minor version.
func (d *Device) NVRTCVersion() (major, minor int, err error) { return d.rtc.version() }
