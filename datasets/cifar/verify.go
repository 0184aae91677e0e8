package cifar

import (
	"bufio"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Verify checks the data set of kind in dir and returns one line per check
// passed:
//
//   - structure: Open succeeds (every batch file present, whole records,
//     labels in range), with the number of images per split;
//   - recorded sums: if the folder holds SumsFile (written by Download),
//     every file listed there that is present matches its SHA-256;
//   - archive: if dir holds the official archive, its MD5 is the published one.
//
// It also reports, without failing, when the splits do not have the
// official sizes (50,000 and 10,000 images). The first failed check ends
// Verify with an error (ErrChecksum for a sum that does not match).
func Verify(dir string, kind Kind) ([]string, error) {
	d, err := Open(dir, kind)
	if err != nil {
		return nil, err
	}
	var lines []string
	lines = append(lines, fmt.Sprintf("structure: %s: %d training and %d test images, labels in 0…%d",
		d.Source, d.Train.Len(), d.Test.Len(), kind.Classes()-1))
	if d.Train.Len() != 50000 || d.Test.Len() != 10000 {
		lines = append(lines, fmt.Sprintf("note: the official %v has 50000 training and 10000 test images; this copy is a subset or modified", kind))
	}
	if isDir(d.Source) {
		l, err := checkSums(d.Source, kind)
		if err != nil {
			return lines, err
		}
		lines = append(lines, l)
	}
	archive := filepath.Join(dir, kind.ArchiveName())
	if strings.HasSuffix(d.Source, ".tar.gz") {
		archive = d.Source
	}
	if exists(archive) {
		sum, err := fileSum(archive, md5.New())
		if err != nil {
			return lines, fmt.Errorf("cifar: %w", err)
		}
		if sum != kind.ArchiveMD5() {
			return lines, fmt.Errorf("cifar: %s: MD5 %s, want the published %s (not the official archive): %w",
				archive, sum, kind.ArchiveMD5(), ErrChecksum)
		}
		lines = append(lines, fmt.Sprintf("archive: %s: MD5 %s matches the published sum", archive, sum))
	}
	return lines, nil
}

// checkSums checks the files listed in folder/SumsFile.
func checkSums(folder string, kind Kind) (string, error) {
	p := filepath.Join(folder, SumsFile)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("sums: no %s in %s (written by samtrain data download); skipped", SumsFile, folder), nil
	}
	if err != nil {
		return "", fmt.Errorf("cifar: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 || strings.ContainsAny(name, `/\`) {
			return "", fmt.Errorf("cifar: %s: line %d: want \"<sha256>  <file>\"", p, line)
		}
		fp := filepath.Join(folder, name)
		if name == kind.ArchiveName() {
			fp = filepath.Join(filepath.Dir(folder), name)
			if !exists(fp) {
				continue // archive not kept
			}
		}
		got, err := fileSum(fp, sha256.New())
		if err != nil {
			return "", fmt.Errorf("cifar: %s: %w", p, err)
		}
		if got != sum {
			return "", fmt.Errorf("cifar: %s: SHA-256 %s, recorded %s: %w", fp, got, sum, ErrChecksum)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("cifar: %s: %w", p, err)
	}
	return fmt.Sprintf("sums: %d files match %s", n, p), nil
}
