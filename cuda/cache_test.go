package cuda

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCachedCompile(t *testing.T) {
	dir := t.TempDir()
	calls := 0
	compile := func(out string) func() ([]byte, error) {
		return func() ([]byte, error) { calls++; return []byte(out), nil }
	}
	opts := []string{"--gpu-architecture=sm_90"}
	for i, tc := range []struct {
		src   string
		opts  []string
		arch  string
		hit   bool
		calls int
	}{
		{"k1", opts, "sm_90", false, 1},
		{"k1", opts, "sm_90", true, 1},
		{"k2", opts, "sm_90", false, 2},                                       // source changed
		{"k1", []string{"--gpu-architecture=sm_90", "-G"}, "sm_90", false, 3}, // options changed
		{"k1", opts, "sm_80", false, 4},                                       // architecture changed
		{"k1", opts, "sm_80", true, 4},
	} {
		b, hit, werr, err := cachedCompile(dir, tc.src, tc.opts, tc.arch, compile("cubin-"+tc.src))
		if err != nil || werr != nil {
			t.Fatalf("%d: %v %v", i, err, werr)
		}
		if hit != tc.hit || calls != tc.calls || string(b) != "cubin-"+tc.src {
			t.Errorf("%d: hit %v after %d compiles, got %q; want hit %v after %d", i, hit, calls, b, tc.hit, tc.calls)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "cubin", "*"))
	if len(files) != 4 {
		t.Errorf("cache holds %d files %v, want 4 and no temporary files", len(files), files)
	}

	wantErr := errors.New("boom")
	if _, _, _, err := cachedCompile(dir, "k3", opts, "sm_90", func() ([]byte, error) { return nil, wantErr }); !errors.Is(err, wantErr) {
		t.Errorf("compile error %v, want %v", err, wantErr)
	}
	if b, hit, _, err := cachedCompile("", "k1", opts, "sm_90", compile("x")); err != nil || hit || string(b) != "x" {
		t.Errorf("no cache dir: %q %v %v", b, hit, err)
	}
}

func TestCachedCompileUnwritable(t *testing.T) {
	dir := t.TempDir()
	// A file where the cubin folder should be: the cache cannot be written, compiling works.
	if err := os.WriteFile(filepath.Join(dir, "cubin"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b, hit, werr, err := cachedCompile(dir, "k", nil, "sm_90", func() ([]byte, error) { return []byte("c"), nil })
	if err != nil || hit || string(b) != "c" || werr == nil {
		t.Errorf("got %q hit %v werr %v err %v; want the CUBIN and a write error", b, hit, werr, err)
	}
}

func TestCacheKey(t *testing.T) {
	// Length prefixes keep shifted boundaries apart.
	if cacheKey("ab", []string{"c"}, "sm_90") == cacheKey("a", []string{"bc"}, "sm_90") {
		t.Error("keys collide when a byte moves from source to options")
	}
	if cacheKey("a", []string{"b", "c"}, "x") == cacheKey("a", []string{"bc"}, "x") {
		t.Error("keys collide when options are split differently")
	}
}
