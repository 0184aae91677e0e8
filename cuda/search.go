package cuda

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Library names, most preferred first. cuBLASLt is loaded before cuBLAS (which needs it) and
// the NVRTC builtins before NVRTC, so that both resolve from folders the dynamic loader does
// not search.
var (
	libCUDA     = []string{"libcuda.so.1", "libcuda.so"}
	libCUBLASLt = []string{"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"}
	libCUBLAS   = []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so"}
	libNVRTC    = []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"}
	libCUDNN    = []string{"libcudnn.so.9"}
)

// systemDirs are the usual places of the toolkit, the driver and the distribution's libraries.
var systemDirs = []string{
	"/usr/local/cuda/lib64",
	"/usr/local/cuda/targets/x86_64-linux/lib",
	"/usr/local/nvidia/lib64",
	"/usr/local/nvidia/lib",
	"/usr/lib/x86_64-linux-gnu",
	"/usr/lib/wsl/lib",
	"/usr/lib64",
	"/usr/lib",
}

// sitePackageGlobs are Python package folders where pip's nvidia-* wheels put their libraries
// (site-packages/nvidia/<component>/lib); relative ones are joined to $HOME or $VIRTUAL_ENV.
var sitePackageGlobs = []string{
	"/usr/local/lib/python3*/dist-packages",
	"/usr/local/lib/python3*/site-packages",
	"/usr/lib/python3/dist-packages",
	"/usr/lib/python3*/site-packages",
}

// SearchDirs returns the existing folders to search for the CUDA libraries, in order:
// LD_LIBRARY_PATH, CUDA_HOME/CUDA_PATH's lib64, the system folders, then the nvidia/*/lib
// folders of pip wheels in the virtual environment, the user's and the system's Python
// package folders. getenv reads the environment (os.Getenv in a command; nil reads nothing);
// every absolute system path is joined to root ("" or "/" for the real file system), which
// lets tests build the tree in a temporary folder.
func SearchDirs(root string, getenv func(string) string) []string {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	sys := func(p string) string {
		if root == "" || root == "/" {
			return p
		}
		return filepath.Join(root, p)
	}
	var cands []string
	for _, d := range filepath.SplitList(getenv("LD_LIBRARY_PATH")) {
		if d != "" {
			cands = append(cands, d)
		}
	}
	for _, v := range []string{"CUDA_HOME", "CUDA_PATH"} {
		if h := getenv(v); h != "" {
			cands = append(cands, filepath.Join(h, "lib64"), filepath.Join(h, "targets/x86_64-linux/lib"))
		}
	}
	for _, d := range systemDirs {
		cands = append(cands, sys(d))
	}
	var sites []string
	if v := getenv("VIRTUAL_ENV"); v != "" {
		sites = append(sites, globSorted(filepath.Join(v, "lib/python3*/site-packages"))...)
	}
	if h := getenv("HOME"); h != "" {
		sites = append(sites, globSorted(filepath.Join(h, ".local/lib/python3*/site-packages"))...)
	}
	for _, g := range sitePackageGlobs {
		sites = append(sites, globSorted(sys(g))...)
	}
	for _, s := range sites {
		cands = append(cands, globSorted(filepath.Join(s, "nvidia/*/lib"))...)
	}
	seen := make(map[string]bool)
	var dirs []string
	for _, d := range cands {
		d = filepath.Clean(d)
		if seen[d] {
			continue
		}
		seen[d] = true
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// globSorted returns the matches of pattern in descending natural order, so that python3.12
// comes before python3.9.
func globSorted(pattern string) []string {
	m, _ := filepath.Glob(pattern) // the only error is a malformed pattern, and ours are fixed
	sort.Slice(m, func(i, j int) bool { return naturalLess(m[j], m[i]) })
	return m
}

// naturalLess compares strings with runs of digits compared as numbers.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// FindLibrary returns the path of the first of names found in dirs (each folder is searched
// for every name before the next folder), and every path it tried, for error messages. It
// returns "" when none exists.
func FindLibrary(dirs, names []string) (path string, tried []string) {
	for _, d := range dirs {
		for _, n := range names {
			p := filepath.Join(d, n)
			tried = append(tried, p)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, tried
			}
		}
	}
	return "", tried
}
