package cuda

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"
)

// The fake libraries (testdata/fake/fake.cpp, with the kernels compiled through shim.h) are
// built once per test binary into a temporary folder, under the names of the real libraries.
var fake struct {
	once sync.Once
	dir  string
	err  error
	set  func(key string, v int64)
	get  func(key string) int64
	str  func(key string, buf *byte, n int32)
	rst  func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fake.dir != "" {
		os.RemoveAll(fake.dir)
	}
	os.Exit(code)
}

// fakeDir returns the folder of the fake libraries, skipping the test when g++ is missing.
func fakeDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skip("g++ not found: the fake CUDA libraries cannot be built")
	}
	if _, err := os.Stat("testdata/fake/fake.cpp"); err != nil {
		t.Skip("testdata/fake/fake.cpp not found (test binary run outside the package folder)")
	}
	fake.once.Do(func() {
		dir, err := os.MkdirTemp("", "samtrain-fakecuda-")
		if err != nil {
			fake.err = err
			return
		}
		fake.dir = dir
		so := filepath.Join(dir, "libfake.so")
		cmd := exec.Command("g++", "-std=c++17", "-O0", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-pthread",
			"-I.", "-Itestdata/fake", "-o", so, "testdata/fake/fake.cpp")
		if out, err := cmd.CombinedOutput(); err != nil {
			fake.err = errors.New("g++: " + err.Error() + "\n" + string(out))
			return
		}
		for _, n := range []string{"libcuda.so.1", "libcublasLt.so.13", "libcublas.so.13", "libnvrtc.so.13", "libcudnn.so.9"} {
			if err := os.Symlink("libfake.so", filepath.Join(dir, n)); err != nil {
				fake.err = err
				return
			}
		}
		h, err := purego.Dlopen(so, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			fake.err = err
			return
		}
		purego.RegisterLibFunc(&fake.set, h, "fake_set")
		purego.RegisterLibFunc(&fake.get, h, "fake_get")
		purego.RegisterLibFunc(&fake.str, h, "fake_str")
		purego.RegisterLibFunc(&fake.rst, h, "fake_reset")
	})
	if fake.err != nil {
		t.Fatal(fake.err)
	}
	return fake.dir
}

func fakeStr(key string) string {
	buf := make([]byte, 4096)
	fake.str(key, &buf[0], int32(len(buf)))
	return goString(&buf[0])
}

// fakeDevice opens a Device on the fake libraries, with a fresh record.
func fakeDevice(t *testing.T) *Device {
	t.Helper()
	dir := fakeDir(t)
	fake.rst()
	d, err := Open(Config{Dirs: []string{dir}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Open on fake libraries: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

// isFake says whether d runs on the fake libraries.
func isFake(d *Device) bool { return fake.get != nil && d.Name() == "Fake GPU 0" }

// realDevice opens the machine's GPU, or returns nil when there is none (the usual case in CI).
func realDevice(t *testing.T) *Device {
	t.Helper()
	d, err := Open(Config{Dirs: SearchDirs("/", os.Getenv), CacheDir: t.TempDir()})
	if err != nil {
		return nil
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// forDevices runs f on the fake device (skipped without g++) and on a real GPU when present.
func forDevices(t *testing.T, f func(t *testing.T, d *Device)) {
	t.Run("fake", func(t *testing.T) { f(t, fakeDevice(t)) })
	t.Run("gpu", func(t *testing.T) {
		d := realDevice(t)
		if d == nil {
			t.Skip("no CUDA device")
		}
		f(t, d)
	})
}

func upload[T Elem](t *testing.T, d *Device, v []T) DevicePtr {
	t.Helper()
	var z T
	p, err := d.Alloc(uint64(max(len(v), 1)) * uint64(unsafe.Sizeof(z)))
	if err != nil {
		t.Fatal(err)
	}
	if err := CopyToDevice(d, p, v); err != nil {
		t.Fatal(err)
	}
	return p
}

func download[T Elem](t *testing.T, d *Device, p DevicePtr, n int) []T {
	t.Helper()
	if err := d.Synchronize(); err != nil {
		t.Fatal(err)
	}
	v := make([]T, n)
	if err := CopyFromDevice(d, v, p); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenFake(t *testing.T) {
	d := fakeDevice(t)
	if got, want := d.Name(), "Fake GPU 0"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	if ma, mi := d.ComputeCapability(); ma != 9 || mi != 0 || d.Arch() != "sm_90" {
		t.Errorf("compute capability %d.%d arch %s, want 9.0 sm_90", ma, mi, d.Arch())
	}
	if got, want := d.TotalMemory(), uint64(3<<30); got != want {
		t.Errorf("TotalMemory() = %d, want %d", got, want)
	}
	if got, want := d.DriverVersion(), 13000; got != want {
		t.Errorf("DriverVersion() = %d, want %d", got, want)
	}
	if got := fake.get("ctx.dev"); got != 100 {
		t.Errorf("primary context retained for CUdevice %d, want 100 (what cuDeviceGet returned)", got)
	}
	if got := fake.get("cublas.math"); got != cublasDefaultMath {
		t.Errorf("cuBLAS math mode %d, want %d (no TF32)", got, cublasDefaultMath)
	}
	if got := len(d.Libraries()); got != 5 {
		t.Errorf("%d libraries loaded, want 5: %v", got, d.Libraries())
	}
}

func TestOpenErrors(t *testing.T) {
	dir := fakeDir(t)
	for _, tc := range []struct {
		name string
		set  map[string]int64
		is   error
		code int
		call string
	}{
		{name: "no device", set: map[string]int64{"devices": 0}, is: ErrNoDevice},
		{name: "init fails", set: map[string]int64{"cuInit.result": 100}, is: ErrNoDevice, code: 100, call: "cuInit"},
		{name: "stub library", set: map[string]int64{"cuInit.result": 34}, code: 34, call: "cuInit"},
		{name: "cublas fails", set: map[string]int64{"cublasCreate_v2.result": 1}, code: 1, call: "cublasCreate_v2"},
		{name: "cudnn fails", set: map[string]int64{"cudnnCreate.result": 1001}, code: 1001, call: "cudnnCreate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.rst()
			for k, v := range tc.set {
				fake.set(k, v)
			}
			d, err := Open(Config{Dirs: []string{dir}})
			if err == nil {
				d.Close()
				t.Fatal("Open succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not match %v", err, tc.is)
			}
			var e *Error
			if tc.call != "" {
				if !errors.As(err, &e) || e.Call != tc.call || e.Code != tc.code {
					t.Errorf("error %#v, want call %s code %d", err, tc.call, tc.code)
				}
			}
		})
	}
	t.Run("bad ordinal", func(t *testing.T) {
		fake.rst()
		if _, err := Open(Config{Dirs: []string{dir}, Ordinal: 3}); err == nil {
			t.Error("Open of device 3 of 1 succeeded")
		}
		if _, err := Open(Config{Dirs: []string{dir}, Ordinal: -1}); err == nil {
			t.Error("Open of device -1 succeeded")
		}
	})
}

func TestMissingSymbols(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not found")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "stub.c")
	if err := os.WriteFile(src, []byte("int cuInit(unsigned f) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-shared", "-fPIC", "-o", filepath.Join(dir, "libcuda.so.1"), src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	_, err := Open(Config{Dirs: []string{dir}})
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("Open with a stub libcuda: %v, want a *LoadError", err)
	}
	// 37 symbols are bound; the stub has one.
	if le.Library != filepath.Join(dir, "libcuda.so.1") || len(le.Symbols) != 36 || le.Symbols[0] != "cuDriverGetVersion" {
		t.Errorf("LoadError for %s missing %d symbols %v, want %s and 36 from cuDriverGetVersion", le.Library, len(le.Symbols), le.Symbols, filepath.Join(dir, "libcuda.so.1"))
	}
}

func TestMissingLibrary(t *testing.T) {
	dir := t.TempDir()
	_, err := openLibrary([]string{dir}, []string{"libsamtrain-absent.so.1"})
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("openLibrary of an absent library: %v, want a *LoadError", err)
	}
	want := []string{filepath.Join(dir, "libsamtrain-absent.so.1"), "libsamtrain-absent.so.1"}
	if len(le.Tried) != 2 || le.Tried[0] != want[0] || le.Tried[1] != want[1] {
		t.Errorf("tried %v, want %v", le.Tried, want)
	}
}

func TestMemoryFake(t *testing.T) {
	d := fakeDevice(t)
	x := []float32{1, 2, 3, 4, 5}
	p := upload(t, d, x)
	if got := download[float32](t, d, p, len(x)); !equal(got, x) {
		t.Errorf("round trip gave %v, want %v", got, x)
	}
	s, err := d.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := fake.get("stream.flags"); got != 1 {
		t.Errorf("stream created with flags %d, want CU_STREAM_NON_BLOCKING", got)
	}
	h, err := d.AllocHost(5 * 4)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Free()
	copy(h.Float32s(), []float32{9, 8, 7, 6, 5})
	q, err := d.Alloc(20)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Upload(q, h, 4, 16); err != nil {
		t.Fatal(err)
	}
	if got := fake.get("async.stream"); got != int64(s.Handle()) {
		t.Errorf("upload on stream %#x, want %#x", got, s.Handle())
	}
	if err := s.Copy(p, q, 8); err != nil { // p = 8 7 3 4 5
		t.Fatal(err)
	}
	if err := s.Fill32(p+12, 0, 2); err != nil { // p = 8 7 3 0 0
		t.Fatal(err)
	}
	if err := s.Download(h, 0, p, 20); err != nil {
		t.Fatal(err)
	}
	if err := s.Synchronize(); err != nil {
		t.Fatal(err)
	}
	if got, want := h.Float32s(), []float32{8, 7, 3, 0, 0}; !equal(got, want) {
		t.Errorf("after upload, copy, fill, download: %v, want %v", got, want)
	}
	if err := s.Upload(q, h, 8, 16); err == nil {
		t.Error("upload past the pinned buffer's end succeeded")
	}
	e0, _ := d.NewEvent()
	e1, _ := d.NewEvent()
	e0.Record(s)
	e1.Record(s)
	if el, err := e1.Since(e0); err != nil || el.Microseconds() != 1500 {
		t.Errorf("Since = %v, %v; want 1.5ms from the fake", el, err)
	}
	e0.Close()
	e1.Close()
}

func TestOutOfMemoryRetry(t *testing.T) {
	d := fakeDevice(t)
	fake.set("mem.limit", 1<<20)
	a := d.Allocator()
	p, err := a.Alloc(600 << 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Free(p); err != nil {
		t.Fatal(err)
	}
	// 600 KiB are cached; 700 KiB do not fit beside them, so the cache is freed and the
	// allocation retried.
	q, err := a.Alloc(700 << 10)
	if err != nil {
		t.Fatalf("alloc after release: %v", err)
	}
	a.Free(q)
	_, err = a.Alloc(2 << 20)
	if !errors.Is(err, ErrOutOfMemory) {
		t.Fatalf("alloc beyond the limit: %v, want ErrOutOfMemory", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Call != "cuMemAlloc_v2" || e.Name != "CUDA_ERROR_OUT_OF_MEMORY" || e.Detail != "fake error description" {
		t.Errorf("error %#v", e)
	}
}

func TestLaunchFake(t *testing.T) {
	d := fakeDevice(t)
	k, err := d.Kernels()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fakeStr("nvrtc.options"), "--gpu-architecture=sm_90\n"; got != want {
		t.Errorf("nvrtc options %q, want %q", got, want)
	}
	if k.CacheHit {
		t.Error("first compile was a cache hit")
	}
	if _, err := k.mod.Function("no_such_kernel"); err == nil {
		t.Error("Function of an absent kernel succeeded")
	}
	s := d.DefaultStream()
	if err := s.Launch(k.fn["scale"], Dim3{1, 1, 1}, Dim3{1, 1, 1}, 0, DevicePtr(0), "x", 1); err == nil {
		t.Error("launch with a string argument succeeded")
	}
	if err := s.Launch(k.fn["scale"], Dim3{0, 1, 1}, Dim3{1, 1, 1}, 0); err == nil {
		t.Error("launch with an empty grid succeeded")
	}
	fake.set("cuLaunchKernel.result", 719)
	x := upload(t, d, []float32{1})
	err = k.Scale(s, x, 2, 1)
	var e *Error
	if !errors.As(err, &e) || e.Call != "cuLaunchKernel(scale)" || e.Name != "CUDA_ERROR_LAUNCH_FAILED" {
		t.Errorf("failed launch: %v", err)
	}
}

func TestCompileError(t *testing.T) {
	d := fakeDevice(t)
	_, err := d.rtc.compile("bad.cu", "#error nope\n", []string{"--gpu-architecture=sm_90"})
	var e *Error
	if !errors.As(err, &e) || e.API != NVRTC || e.Name != "NVRTC_ERROR_COMPILATION" || e.Detail != "fake compile log" {
		t.Errorf("compile error %#v, want NVRTC_ERROR_COMPILATION with the log", err)
	}
}

func TestKernelsDiskCache(t *testing.T) {
	dir := fakeDir(t)
	cache := t.TempDir()
	fake.rst()
	for i, wantHit := range []bool{false, true} {
		d, err := Open(Config{Dirs: []string{dir}, CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		k, err := d.Kernels()
		if err != nil {
			t.Fatal(err)
		}
		if k.CacheHit != wantHit {
			t.Errorf("open %d: cache hit %v, want %v", i, k.CacheHit, wantHit)
		}
		d.Close()
	}
	if got := fake.get("nvrtc.compiles"); got != 1 {
		t.Errorf("%d compilations, want 1", got)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSelfTest(t *testing.T) {
	forDevices(t, func(t *testing.T, d *Device) {
		div := 8 // the fake runs the kernels on the CPU
		if !isFake(d) {
			div = 1
		}
		checks, err := selfTestRun(d, 1, div, FP32)
		if err != nil {
			t.Fatal(err)
		}
		if len(checks) < 30 {
			t.Errorf("%d checks, want every kernel, GEMM, convolution, pooling and SAM step", len(checks))
		}
		backend, resnet, sam := 0, 0, 0
		for _, c := range checks {
			if !c.Pass {
				t.Errorf("%s: relative error %g (tolerance %g) %s", c.Name, c.RelErr, c.Tol, c.Err)
			}
			if strings.HasPrefix(c.Name, "backend/") {
				backend++
			}
			if strings.HasPrefix(c.Name, "backend/resnet18_") {
				resnet++
			}
			if strings.HasPrefix(c.Name, "sam_step/") {
				sam++
			}
			t.Logf("%-60s %.2e", c.Name, c.RelErr)
		}
		// 37 outputs of graph.Backend kernels, and the ResNet's loss, worst gradient and statistics.
		if backend != 40 || resnet != 3 {
			t.Errorf("%d backend checks, %d of them the ResNet's; want 40 and 3", backend, resnet)
		}
		// n-SAM and m-SAM through optim.SAM on Backend.Vectors: weights, momentum, loss,
		// perturbed loss and gradient norm each.
		if sam != 10 {
			t.Errorf("%d SAM step checks, want 10", sam)
		}
		t.Logf("%d checks", len(checks))
	})
}
