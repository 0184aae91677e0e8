package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/samtrain/samtrain/internal/atomicfile"
)

// DefaultCacheDir returns os.UserCacheDir()/samtrain, where a command keeps compiled kernels.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cuda: cache folder: %w", err)
	}
	return filepath.Join(d, "samtrain"), nil
}

// cacheKey is the hex sha256 of source, options and architecture, each length-prefixed so
// that no two different inputs share a key.
func cacheKey(src string, opts []string, arch string) string {
	h := sha256.New()
	put := func(s string) { fmt.Fprintf(h, "%d:%s;", len(s), s) }
	put(src)
	fmt.Fprintf(h, "%d;", len(opts))
	for _, o := range opts {
		put(o)
	}
	put(arch)
	return hex.EncodeToString(h.Sum(nil))
}

// cachedCompile returns the CUBIN for (src, opts, arch) from dir/cubin/<key>.cubin, or compiles
// it and writes it there atomically (temp file, fsync, rename). An empty dir disables the
// cache; a cache that cannot be written only costs a recompile next time, so write errors are
// returned only with the compiled CUBIN for the caller to log or ignore.
func cachedCompile(dir, src string, opts []string, arch string, compile func() ([]byte, error)) (cubin []byte, hit bool, werr, err error) {
	if dir == "" {
		cubin, err = compile()
		return cubin, false, nil, err
	}
	path := filepath.Join(dir, "cubin", cacheKey(src, opts, arch)+".cubin")
	if b, rerr := os.ReadFile(path); rerr == nil && len(b) > 0 {
		return b, true, nil, nil
	} else if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		werr = rerr
	}
	if cubin, err = compile(); err != nil {
		return nil, false, werr, err
	}
	if e := os.MkdirAll(filepath.Dir(path), 0o755); e != nil {
		werr = errors.Join(werr, fmt.Errorf("cuda: cache: %w", e))
	} else if e := atomicfile.WriteFile(path, cubin); e != nil {
		werr = errors.Join(werr, fmt.Errorf("cuda: cache: %w", e))
	}
	return cubin, false, werr, nil
}
