package cuda

import (
	"fmt"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/ebitengine/purego"
)

// LoadError says which library or symbol could not be loaded and where it was looked for.
type LoadError struct {
	Library string   // e.g. "libcudnn.so.9"
	Tried   []string // paths tried, in order (a bare name means the dynamic loader's own search)
	Symbols []string // missing symbols, when the library loaded but lacks them
	Err     error    // the last dlopen error, if any
}

func (e *LoadError) Error() string {
	if len(e.Symbols) > 0 {
		return fmt.Sprintf("cuda: %s lacks %s", e.Library, strings.Join(e.Symbols, ", "))
	}
	s := fmt.Sprintf("cuda: cannot load %s (tried %s)", e.Library, strings.Join(e.Tried, ", "))
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *LoadError) Unwrap() error { return e.Err }

// library is one loaded shared object.
type library struct {
	name   string // the first of the names asked for, for messages
	path   string
	handle uintptr
}

// openLibrary dlopens the first of names found in dirs; failing that, it asks the dynamic loader
// for each bare name (its own search: LD_LIBRARY_PATH at start-up, the ld.so cache). Libraries
// are opened RTLD_GLOBAL so that later ones resolve their dependencies against them.
func openLibrary(dirs, names []string) (*library, error) {
	const mode = purego.RTLD_NOW | purego.RTLD_GLOBAL
	e := &LoadError{Library: names[0]}
	var tried []string
	for _, d := range dirs {
		for _, n := range names {
			tried = append(tried, filepath.Join(d, n))
		}
	}
	if p, _ := FindLibrary(dirs, names); p != "" {
		h, err := purego.Dlopen(p, mode)
		if err == nil {
			return &library{name: names[0], path: p, handle: h}, nil
		}
		e.Err = err
	}
	for _, n := range names {
		tried = append(tried, n)
		h, err := purego.Dlopen(n, mode)
		if err == nil {
			return &library{name: names[0], path: n, handle: h}, nil
		}
		if e.Err == nil {
			e.Err = err
		}
	}
	e.Tried = tried
	return nil, e
}

// binder registers Go function variables for the C symbols of one library, collecting the
// missing ones so that a load reports all of them at once.
type binder struct {
	lib     *library
	missing []string
}

// bind sets *fptr to call the first of names the library exports.
func (b *binder) bind(fptr any, names ...string) {
	for _, n := range names {
		sym, err := purego.Dlsym(b.lib.handle, n)
		if err == nil && sym != 0 {
			purego.RegisterFunc(fptr, sym)
			return
		}
	}
	b.missing = append(b.missing, strings.Join(names, "|"))
}

func (b *binder) err() error {
	if len(b.missing) == 0 {
		return nil
	}
	return &LoadError{Library: b.lib.path, Symbols: b.missing}
}

// goString copies the NUL-terminated C string at p.
func goString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}
