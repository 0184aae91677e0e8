package cuda

import (
	"os"
	"os/exec"
	"path/filepath"
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

// checkCUDA compiles src with clang's CUDA front end for the device side of sm_80, checks
// only (no code generation, no CUDA installation needed), and returns clang's output and
// whether it succeeded.
func checkCUDA(t *testing.T, clang, src string) (string, bool) {
	t.Helper()
	decl, err := filepath.Abs("testdata/clang/cuda_decl.h")
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "kernels.cu")
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(clang, "-x", "cuda", "--cuda-device-only", "--cuda-gpu-arch=sm_80",
		"-nocudainc", "-nocudalib", "-fsyntax-only", "-std=c++17", "-Wall", "-Wextra", "-Werror",
		"-include", decl, f).CombinedOutput()
	return string(out), err == nil
}

// TestKernelsCompileAsCUDA checks KernelSource, the program NVRTC compiles on a GPU, with
// clang's CUDA front end (skipped without clang): unlike the fake's g++ build, it knows
// __global__ and __device__, so it rejects device code calling host functions, kernels
// that are not extern "C" __global__ void, and the like, with warnings as errors. A broken
// snippet must fail the same check, so that a silently skipped compilation cannot pass.
func TestKernelsCompileAsCUDA(t *testing.T) {
	clang := clangCUDA()
	if clang == "" {
		t.Skip("clang not found: the kernels' CUDA check needs clang's CUDA front end")
	}
	if _, err := os.Stat("testdata/clang/cuda_decl.h"); err != nil {
		t.Skip("testdata/clang/cuda_decl.h not found (test binary run outside the package folder)")
	}
	src := KernelSource()
	if out, ok := checkCUDA(t, clang, src); !ok {
		t.Fatalf("clang rejects the kernels:\n%s", out)
	}
	for _, name := range kernelNames {
		if !strings.Contains(src, `extern "C" __global__ void `+name+"(") {
			t.Errorf("kernel %s is not defined as extern \"C\" __global__ void", name)
		}
	}
	bad := "int host_only() { return 1; }\n__device__ int on_device() { return host_only(); }\n"
	if out, ok := checkCUDA(t, clang, bad); ok {
		t.Errorf("clang accepts device code that calls a host function:\n%s", out)
	}
}
