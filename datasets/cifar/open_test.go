package cifar

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	files10 := dataFiles(CIFAR10, 3, 4)
	files100 := dataFiles(CIFAR100, 15, 4)
	for _, tc := range []struct {
		name    string
		kind    Kind
		setup   func(t *testing.T, dir string) string // returns the path given to Open
		wantErr error
		train   int
	}{
		{"cifar10 folder", CIFAR10, func(t *testing.T, dir string) string {
			writeFolder(t, dir, CIFAR10.Folder(), files10)
			return dir
		}, nil, 15},
		{"cifar100 folder", CIFAR100, func(t *testing.T, dir string) string {
			writeFolder(t, dir, CIFAR100.Folder(), files100)
			return dir
		}, nil, 15},
		{"files directly in dir", CIFAR10, func(t *testing.T, dir string) string {
			writeFolder(t, dir, ".", files10)
			return dir
		}, nil, 15},
		{"archive in dir", CIFAR10, func(t *testing.T, dir string) string {
			write(t, filepath.Join(dir, CIFAR10.ArchiveName()), archive(t, CIFAR10.Folder(), files10))
			return dir
		}, nil, 15},
		{"archive path", CIFAR100, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, CIFAR100.ArchiveName())
			write(t, p, archive(t, CIFAR100.Folder(), files100))
			return p
		}, nil, 15},
		{"no such dir", CIFAR10, func(t *testing.T, dir string) string {
			return filepath.Join(dir, "nope")
		}, ErrNotFound, 0},
		{"empty dir", CIFAR10, func(t *testing.T, dir string) string { return dir }, ErrNotFound, 0},
		{"missing batch file", CIFAR10, func(t *testing.T, dir string) string {
			f := map[string][]byte{}
			for k, v := range files10 {
				if k != "data_batch_3.bin" {
					f[k] = v
				}
			}
			writeFolder(t, dir, CIFAR10.Folder(), f)
			return dir
		}, ErrMissing, 0},
		{"missing test file in archive", CIFAR10, func(t *testing.T, dir string) string {
			f := map[string][]byte{}
			for k, v := range files10 {
				if k != CIFAR10.TestFile() {
					f[k] = v
				}
			}
			write(t, filepath.Join(dir, CIFAR10.ArchiveName()), archive(t, CIFAR10.Folder(), f))
			return dir
		}, ErrMissing, 0},
		{"truncated batch file", CIFAR10, func(t *testing.T, dir string) string {
			writeFolder(t, dir, CIFAR10.Folder(), files10)
			p := filepath.Join(dir, CIFAR10.Folder(), "data_batch_2.bin")
			write(t, p, files10["data_batch_2.bin"][:100])
			return dir
		}, ErrSize, 0},
		{"label out of range", CIFAR10, func(t *testing.T, dir string) string {
			writeFolder(t, dir, CIFAR10.Folder(), files10)
			b := bytes.Clone(files10[CIFAR10.TestFile()])
			b[0] = 200
			write(t, filepath.Join(dir, CIFAR10.Folder(), CIFAR10.TestFile()), b)
			return dir
		}, ErrLabel, 0},
		{"cifar100 folder for cifar10", CIFAR10, func(t *testing.T, dir string) string {
			writeFolder(t, dir, CIFAR100.Folder(), files100)
			return dir
		}, ErrWrongKind, 0},
		{"cifar100 files directly for cifar10", CIFAR10, func(t *testing.T, dir string) string {
			writeFolder(t, dir, ".", files100)
			return dir
		}, ErrWrongKind, 0},
		{"cifar100 archive path for cifar10", CIFAR10, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "x.tar.gz")
			write(t, p, archive(t, CIFAR100.Folder(), files100))
			return p
		}, ErrWrongKind, 0},
		{"cifar100 train.bin renamed into cifar10 folder", CIFAR10, func(t *testing.T, dir string) string {
			writeFolder(t, dir, CIFAR10.Folder(), files10)
			// 15 CIFAR-100 records (46,110 bytes) are not whole CIFAR-10 records.
			write(t, filepath.Join(dir, CIFAR10.Folder(), "data_batch_1.bin"), files100["train.bin"])
			return dir
		}, ErrWrongKind, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.setup(t, t.TempDir())
			d, err := Open(p, tc.kind)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got error %v, want %v", err, tc.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "cifar: ") {
					t.Errorf("error %q lacks the cifar: prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Train.Len() != tc.train || d.Test.Len() != 4 {
				t.Fatalf("got %d train, %d test images, want %d, 4", d.Train.Len(), d.Test.Len(), tc.train)
			}
			// The training split is the batch files concatenated in order.
			var want []byte
			for _, name := range tc.kind.TrainFiles() {
				f := files10
				if tc.kind == CIFAR100 {
					f = files100
				}
				want = append(want, f[name]...)
			}
			w, err := Decode(tc.kind, want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.Train.Images, w.Images) || !equalInts(d.Train.Labels, w.Labels) || !equalInts(d.Train.Index, w.Index) {
				t.Error("training split differs from the concatenated batch files")
			}
		})
	}
}

func TestOpenArchiveTruncated(t *testing.T) {
	a := archive(t, CIFAR10.Folder(), dataFiles(CIFAR10, 2, 2))
	for _, n := range []int{0, 10, len(a) / 2, len(a) - 5} {
		if _, err := OpenArchive(bytes.NewReader(a[:n]), CIFAR10); err == nil {
			t.Errorf("archive truncated to %d of %d bytes: got nil error", n, len(a))
		}
	}
}

func TestOpenUnreadable(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root reads files without permission")
	}
	dir := t.TempDir()
	writeFolder(t, dir, CIFAR10.Folder(), dataFiles(CIFAR10, 1, 1))
	p := filepath.Join(dir, CIFAR10.Folder(), CIFAR10.TestFile())
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, CIFAR10); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("got %v, want a permission error", err)
	}
}

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Kind
		ok   bool
	}{
		{"cifar10", CIFAR10, true}, {"CIFAR-10", CIFAR10, true}, {"cifar100", CIFAR100, true},
		{"cifar-100", CIFAR100, true}, {"mnist", 0, false}, {"", 0, false},
	} {
		got, err := ParseKind(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseKind(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for _, k := range []Kind{CIFAR10, CIFAR100} {
		names := k.ClassNames()
		if len(names) != k.Classes() {
			t.Errorf("%v: %d class names, want %d", k, len(names), k.Classes())
		}
		if k == CIFAR100 && !sort.StringsAreSorted(names) {
			// The official fine_label_names.txt lists the classes alphabetically.
			t.Errorf("%v: class names not sorted", k)
		}
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				t.Errorf("%v: class name %q twice", k, n)
			}
			seen[n] = true
		}
	}
	if got, want := CIFAR10.RecordSize(), 3073; got != want {
		t.Errorf("CIFAR10 record size %d, want %d", got, want)
	}
	if got, want := CIFAR100.RecordSize(), 3074; got != want {
		t.Errorf("CIFAR100 record size %d, want %d", got, want)
	}
}

func write(t testing.TB, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func equalInts(a, b []int) bool {
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
