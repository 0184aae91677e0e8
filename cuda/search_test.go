package cuda

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// tree creates the folders and empty files (paths ending without "/") under root.
func tree(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		full := filepath.Join(root, p)
		if p[len(p)-1] == '/' {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSearchDirs(t *testing.T) {
	root := t.TempDir()
	tree(t, root,
		"ld1/", "ld2/",
		"usr/local/cuda/lib64/",
		"usr/lib/x86_64-linux-gnu/",
		"usr/local/nvidia/lib64/",
		"venv/lib/python3.12/site-packages/nvidia/cudnn/lib/",
		"venv/lib/python3.12/site-packages/nvidia/cublas/lib/",
		"home/.local/lib/python3.9/site-packages/nvidia/cu13/lib/",
		"home/.local/lib/python3.11/site-packages/nvidia/cu13/lib/",
		"usr/local/lib/python3.11/dist-packages/nvidia/cuda_nvrtc/lib/",
		"usr/local/lib/python3.11/dist-packages/nvidia/nolib/",
		"cudahome/lib64/",
	)
	env := map[string]string{
		"LD_LIBRARY_PATH": filepath.Join(root, "ld1") + ":" + filepath.Join(root, "missing") + "::" + filepath.Join(root, "ld2") + ":" + filepath.Join(root, "ld1"),
		"VIRTUAL_ENV":     filepath.Join(root, "venv"),
		"HOME":            filepath.Join(root, "home"),
		"CUDA_HOME":       filepath.Join(root, "cudahome"),
	}
	got := SearchDirs(root, func(k string) string { return env[k] })
	rel := make([]string, len(got))
	for i, d := range got {
		r, err := filepath.Rel(root, d)
		if err != nil {
			t.Fatal(err)
		}
		rel[i] = r
	}
	want := []string{
		"ld1", "ld2", // LD_LIBRARY_PATH in order, missing and repeated folders dropped
		"cudahome/lib64",
		"usr/local/cuda/lib64",
		"usr/local/nvidia/lib64",
		"usr/lib/x86_64-linux-gnu",
		"usr/lib", // exists as the parent of the one above
		"venv/lib/python3.12/site-packages/nvidia/cudnn/lib", // globs in descending natural order
		"venv/lib/python3.12/site-packages/nvidia/cublas/lib",
		"home/.local/lib/python3.11/site-packages/nvidia/cu13/lib", // 3.11 before 3.9
		"home/.local/lib/python3.9/site-packages/nvidia/cu13/lib",
		"usr/local/lib/python3.11/dist-packages/nvidia/cuda_nvrtc/lib",
	}
	if !reflect.DeepEqual(rel, want) {
		t.Errorf("SearchDirs =\n%q\nwant\n%q", rel, want)
	}
	if got := SearchDirs(filepath.Join(root, "nothing"), nil); len(got) != 0 {
		t.Errorf("SearchDirs of an empty tree = %q, want none", got)
	}
}

func TestFindLibrary(t *testing.T) {
	root := t.TempDir()
	tree(t, root, "a/libcublas.so.12", "b/libcublas.so.13", "b/libcublas.so.12", "c/libcudnn.so.9/")
	a, b, c := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")
	for _, tc := range []struct {
		name  string
		dirs  []string
		names []string
		want  string
		tries int
	}{
		{"first folder wins over a better name later", []string{a, b}, libCUBLAS, filepath.Join(a, "libcublas.so.12"), 2},
		{"best name within a folder", []string{b}, libCUBLAS, filepath.Join(b, "libcublas.so.13"), 1},
		{"a folder of that name is not a library", []string{c}, libCUDNN, "", 1},
		{"absent", []string{a, b, c}, libCUDA, "", 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, tried := FindLibrary(tc.dirs, tc.names)
			if got != tc.want || len(tried) != tc.tries {
				t.Errorf("FindLibrary = %q after %d tries %q, want %q after %d", got, len(tried), tried, tc.want, tc.tries)
			}
		})
	}
}

func TestNaturalLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"python3.9", "python3.12", true},
		{"python3.12", "python3.9", false},
		{"python3.09", "python3.9", false},
		{"a", "b", true},
		{"lib", "lib2", true},
		{"x", "x", false},
	} {
		if got := naturalLess(tc.a, tc.b); got != tc.want {
			t.Errorf("naturalLess(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
