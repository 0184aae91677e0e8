package cifar

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Data is a whole data set: the official training and test splits.
type Data struct {
	Kind  Kind
	Train *Split // 50,000 images in the official data
	Test  *Split // 10,000 images in the official data
	// Source is the folder or archive the data was read from.
	Source string
}

// Open reads the data set of the given Kind from dir, looking in order for
//
//   - dir/<Kind.Folder()>/ (the extracted official archive),
//   - the batch files directly in dir,
//   - dir/<Kind.ArchiveName()> (the official archive, read without extracting).
//
// If none is there it returns an error wrapping ErrNotFound, or ErrWrongKind
// when the other data set is there instead. A missing batch file gives
// ErrMissing; bad files give the errors of Decode, wrapped with the file name.
func Open(dir string, kind Kind) (*Data, error) {
	if err := kind.valid(); err != nil {
		return nil, err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("cifar: data directory %s: %w (%w)", dir, ErrNotFound, err)
	}
	if !st.IsDir() {
		if strings.HasSuffix(dir, ".tar.gz") || strings.HasSuffix(dir, ".tgz") {
			return openArchiveFile(dir, kind)
		}
		return nil, fmt.Errorf("cifar: data directory %s is not a directory: %w", dir, ErrNotFound)
	}
	folder := filepath.Join(dir, kind.Folder())
	if isDir(folder) {
		return openFolder(folder, kind, folder)
	}
	if exists(filepath.Join(dir, kind.TestFile())) {
		return openFolder(dir, kind, dir)
	}
	if archive := filepath.Join(dir, kind.ArchiveName()); exists(archive) {
		return openArchiveFile(archive, kind)
	}
	o := kind.other()
	for _, p := range []string{filepath.Join(dir, o.Folder()), filepath.Join(dir, o.ArchiveName())} {
		if exists(p) {
			return nil, fmt.Errorf("cifar: found %s, which is %v, but %v was asked for: %w", p, o, kind, ErrWrongKind)
		}
	}
	if kind == CIFAR10 && exists(filepath.Join(dir, CIFAR100.TestFile())) {
		return nil, fmt.Errorf("cifar: %s holds CIFAR-100 files (test.bin), but cifar10 was asked for: %w", dir, ErrWrongKind)
	}
	return nil, fmt.Errorf("cifar: no %v in %s (looked for %s/, the batch files, and %s): %w",
		kind, dir, kind.Folder(), kind.ArchiveName(), ErrNotFound)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func isDir(p string) bool { st, err := os.Stat(p); return err == nil && st.IsDir() }

// openFolder reads the batch files of kind from folder; errors name the
// files as if folder were called label.
func openFolder(folder string, kind Kind, label string) (*Data, error) {
	read := func(name string) (*Split, error) {
		p := filepath.Join(folder, name)
		shown := strings.TrimSuffix(label, "/") + "/" + name
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			if o := kind.other(); exists(filepath.Join(folder, o.TestFile())) {
				return nil, fmt.Errorf("cifar: %s holds %v files (%s), but %v was asked for: %w", label, o, o.TestFile(), kind, ErrWrongKind)
			}
			return nil, fmt.Errorf("cifar: %s: %w", shown, ErrMissing)
		}
		if err != nil {
			return nil, fmt.Errorf("cifar: read %s: %w", shown, err)
		}
		s, err := decode(kind, b)
		if err != nil {
			return nil, fmt.Errorf("cifar: %s: %w", shown, err)
		}
		return s, nil
	}
	d := &Data{Kind: kind, Source: label}
	for _, name := range kind.TrainFiles() {
		s, err := read(name)
		if err != nil {
			return nil, err
		}
		d.Train = concat(d.Train, s)
	}
	var err error
	if d.Test, err = read(kind.TestFile()); err != nil {
		return nil, err
	}
	return d, nil
}

func openArchiveFile(p string, kind Kind) (*Data, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("cifar: %w", err)
	}
	defer f.Close()
	d, err := openArchive(f, kind, p)
	if err != nil {
		return nil, err
	}
	d.Source = p
	return d, nil
}

// OpenArchive reads the data set of the given Kind from an official .tar.gz
// archive without extracting it. Errors are those of Open, plus the gzip and
// tar errors of a corrupt or truncated archive.
func OpenArchive(r io.Reader, kind Kind) (*Data, error) {
	if err := kind.valid(); err != nil {
		return nil, err
	}
	return openArchive(r, kind, "archive")
}

// openArchive is OpenArchive; errors name the archive label.
func openArchive(r io.Reader, kind Kind, label string) (*Data, error) {
	files, err := readArchive(r, kind)
	if err != nil {
		return nil, fmt.Errorf("cifar: %s: %w", label, err)
	}
	d := &Data{Kind: kind}
	get := func(name string) (*Split, error) {
		b, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("cifar: %s has no %s/%s: %w", label, kind.Folder(), name, ErrMissing)
		}
		s, err := decode(kind, b)
		if err != nil {
			return nil, fmt.Errorf("cifar: %s: %s/%s: %w", label, kind.Folder(), name, err)
		}
		return s, nil
	}
	for _, name := range kind.TrainFiles() {
		s, err := get(name)
		if err != nil {
			return nil, err
		}
		d.Train = concat(d.Train, s)
	}
	if d.Test, err = get(kind.TestFile()); err != nil {
		return nil, err
	}
	return d, nil
}

// readArchive returns the contents of the regular files directly under
// kind.Folder() in the .tar.gz r, keyed by base name. It fails with
// ErrWrongKind if the archive holds the other data set's folder instead.
func readArchive(r io.Reader, kind Kind) (map[string][]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	sawOther := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		dir, name := path.Split(strings.TrimPrefix(path.Clean(h.Name), "./"))
		dir = strings.TrimSuffix(dir, "/")
		if dir == kind.other().Folder() {
			sawOther = true
		}
		if dir != kind.Folder() || h.Typeflag != tar.TypeReg {
			continue
		}
		// The largest official file is 50,000 CIFAR-100 records; refuse
		// anything far larger rather than allocate it.
		const maxFile = 64 << 20
		if h.Size > maxFile {
			return nil, fmt.Errorf("%s is %d bytes, more than any CIFAR file: %w", h.Name, h.Size, ErrSize)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		files[name] = b
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, err
	}
	if len(files) == 0 && sawOther {
		return nil, fmt.Errorf("it holds %s, which is %v, but %v was asked for: %w",
			kind.other().Folder(), kind.other(), kind, ErrWrongKind)
	}
	return files, nil
}
