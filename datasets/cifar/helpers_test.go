package cifar

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// records returns n records of kind with labels (i*7+off) mod classes and
// pixels drawn from a PCG seeded with seed; for CIFAR-100 the coarse label
// is fine/5 (any value in 0…19 would do).
func records(kind Kind, n, off int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 99))
	var b []byte
	for i := range n {
		fine := byte((i*7 + off) % kind.Classes())
		if kind == CIFAR100 {
			b = append(b, fine/5)
		}
		b = append(b, fine)
		for range ImageBytes {
			b = append(b, byte(r.Uint32()))
		}
	}
	return b
}

// dataFiles returns the batch files of a tiny data set: perFile training
// images in each training file and nTest test images.
func dataFiles(kind Kind, perFile, nTest int) map[string][]byte {
	files := map[string][]byte{}
	for k, name := range kind.TrainFiles() {
		files[name] = records(kind, perFile, k, uint64(k+1))
	}
	files[kind.TestFile()] = records(kind, nTest, 3, 100)
	return files
}

// writeFolder writes files into dir/sub.
func writeFolder(t *testing.T, dir, sub string, files map[string][]byte) {
	t.Helper()
	p := filepath.Join(dir, sub)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(p, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// archive returns a .tar.gz holding files under folder/, laid out like the
// official archives (a directory entry, then the files).
func archive(t testing.TB, folder string, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: folder + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedKeys(files) {
		b := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: folder + "/" + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sortedKeys(m map[string][]byte) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	for i := range k {
		for j := i + 1; j < len(k); j++ {
			if k[j] < k[i] {
				k[i], k[j] = k[j], k[i]
			}
		}
	}
	return k
}
