package cuda

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// clangCUDA returns a clang that compiles CUDA, or "" when there is none.
func clangCUDA() string {
	for _, name := range []string{"clang", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// checkCUDA compiles src with clang for the device side of sm_80 to PTX (no CUDA
// installation needed: the built-ins are only declared, so calls to them stay external) and
// returns the PTX, or clang's messages and false.
func checkCUDA(t *testing.T, clang, src string) (string, bool) {
	t.Helper()
	decl, err := filepath.Abs("testdata/clang/cuda_decl.h")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, ptx := filepath.Join(dir, "kernels.cu"), filepath.Join(dir, "kernels.ptx")
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(clang, "-x", "cuda", "--cuda-device-only", "--cuda-gpu-arch=sm_80",
		"-nocudainc", "-nocudalib", "-S", "-O2", "-std=c++17", "-Wall", "-Wextra", "-Werror",
		"-include", decl, "-o", ptx, f).CombinedOutput()
	if err != nil {
		return string(out), false
	}
	b, err := os.ReadFile(ptx)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

// TestKernelsCompileAsCUDA compiles KernelSource, the program NVRTC compiles on a GPU, with
// clang's CUDA compiler to PTX (skipped without clang): unlike the fake's g++ build, it
// knows __global__ and __device__, so it rejects device code calling host functions and the
// like, with warnings as errors; and the PTX's entry points must be exactly the kernels that
// Kernels launches (extern "C", so unmangled). A broken snippet must fail the same check, so
// that a silently skipped compilation cannot pass.
func TestKernelsCompileAsCUDA(t *testing.T) {
	clang := clangCUDA()
	if clang == "" {
		t.Skip("clang not found: the kernels' CUDA check needs clang's CUDA front end")
	}
	if _, err := os.Stat("testdata/clang/cuda_decl.h"); err != nil {
		t.Skip("testdata/clang/cuda_decl.h not found (test binary run outside the package folder)")
	}
	ptx, ok := checkCUDA(t, clang, KernelSource())
	if !ok {
		t.Fatalf("clang rejects the kernels:\n%s", ptx)
	}
	var entries []string
	for _, line := range strings.Split(ptx, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), ".visible .entry "); ok {
			name, _, _ := strings.Cut(rest, "(")
			entries = append(entries, name)
		}
	}
	want := slices.Sorted(slices.Values(kernelNames))
	slices.Sort(entries)
	if !slices.Equal(entries, want) {
		t.Errorf("PTX entry points %v, want the kernels Kernels launches %v", entries, want)
	}
	bad := "int host_only() { return 1; }\n__device__ int on_device() { return host_only(); }\n"
	if out, ok := checkCUDA(t, clang, bad); ok {
		t.Errorf("clang accepts device code that calls a host function:\n%s", out)
	}
}
