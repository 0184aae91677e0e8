package cifar

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/samtrain/samtrain/internal/atomicfile"
)

// DefaultBaseURL is where the official archives are published.
const DefaultBaseURL = "https://www.cs.toronto.edu/~kriz"

// SumsFile is the name of the file, inside the extracted folder, where
// Download records the SHA-256 of the archive and of each extracted file
// (in the format of sha256sum); Verify checks it.
const SumsFile = "SHA256SUMS"

// Downloader fetches an official archive, checks it and extracts it. The
// zero Downloader fetches from DefaultBaseURL with http.DefaultClient.
type Downloader struct {
	// BaseURL is the URL of the folder holding the archives; empty means
	// DefaultBaseURL. The archive URL is BaseURL + "/" + Kind.ArchiveName().
	BaseURL string
	// Client makes the request; nil means http.DefaultClient. A stalled
	// transfer is caught by StallTimeout, so Client needs no overall timeout
	// (which would cut off slow but steady downloads).
	Client *http.Client
	// MD5, if not empty, replaces the published MD5 (Kind.ArchiveMD5) that
	// the archive must match, for a mirror of a different build.
	MD5 string
	// StallTimeout aborts the download when no byte arrives for this long,
	// including while waiting for the response; zero means 60 seconds.
	StallTimeout time.Duration
	// Progress, if not nil, receives progress reports.
	Progress io.Writer
	// Terminal makes the progress report one line redrawn in place: a bar
	// with percentage, rate and estimated time left. Otherwise Progress gets
	// a plain line at every 10 percent.
	Terminal bool
	// KeepArchive keeps the archive next to the extracted folder.
	KeepArchive bool
}

// Download is the outcome of Downloader.Download.
type Download struct {
	Folder  string // the extracted data set: dir/Kind.Folder()
	Archive string // the kept archive, or "" if not kept
	URL     string // where the archive came from
	Bytes   int64  // archive size
	MD5     string // hex MD5 of the archive (equal to the expected one)
	SHA256  string // hex SHA-256 of the archive, also recorded in SumsFile
	Existed bool   // the folder was already there; nothing was fetched
}

// Download fetches the archive of kind into dir unless dir/Kind.Folder()
// already exists. It checks the archive's MD5, extracts it into a
// temporary folder inside dir, checks every batch file with Decode, records
// SHA-256 sums in SumsFile and renames the folder into place. On any error
// nothing is left in dir. Errors wrap ErrChecksum, ErrStalled, a
// *StatusError or the errors of Open.
func (d *Downloader) Download(ctx context.Context, dir string, kind Kind) (*Download, error) {
	if err := kind.valid(); err != nil {
		return nil, err
	}
	folder := filepath.Join(dir, kind.Folder())
	if isDir(folder) {
		return &Download{Folder: folder, Existed: true}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cifar: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".download-"+kind.String()+"-")
	if err != nil {
		return nil, fmt.Errorf("cifar: %w", err)
	}
	defer os.RemoveAll(tmp) // after the renames below it holds nothing of value

	base := d.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	res := &Download{Folder: folder, URL: strings.TrimSuffix(base, "/") + "/" + kind.ArchiveName()}
	archivePath := filepath.Join(tmp, kind.ArchiveName())
	if err := d.fetch(ctx, res, archivePath); err != nil {
		return nil, err
	}
	want := d.MD5
	if want == "" {
		want = kind.ArchiveMD5()
	}
	if !strings.EqualFold(res.MD5, want) {
		return nil, fmt.Errorf("cifar: %s: MD5 %s, want %s (corrupt or not the official archive): %w", res.URL, res.MD5, want, ErrChecksum)
	}
	sums, err := extract(archivePath, tmp, kind)
	if err != nil {
		return nil, fmt.Errorf("cifar: %s: %w", res.URL, err)
	}
	staged := filepath.Join(tmp, kind.Folder())
	if _, err := openFolder(staged, kind, res.URL+": "+kind.Folder()); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s\n", res.SHA256, kind.ArchiveName())
	for _, s := range sums {
		fmt.Fprintf(&b, "%s  %s\n", s[1], s[0])
	}
	if err := atomicfile.WriteFile(filepath.Join(staged, SumsFile), []byte(b.String())); err != nil {
		return nil, fmt.Errorf("cifar: %w", err)
	}
	if err := syncDir(staged); err != nil {
		return nil, err
	}
	if err := os.Rename(staged, folder); err != nil {
		return nil, fmt.Errorf("cifar: %w", err)
	}
	if d.KeepArchive {
		res.Archive = filepath.Join(dir, kind.ArchiveName())
		if err := os.Rename(archivePath, res.Archive); err != nil {
			return nil, fmt.Errorf("cifar: keep archive: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return res, nil
}

// fetch downloads res.URL into the file p, filling res.Bytes, MD5, SHA256.
func (d *Downloader) fetch(ctx context.Context, res *Download, p string) error {
	stall := d.StallTimeout
	if stall <= 0 {
		stall = 60 * time.Second
	}
	client := d.Client
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stalled := fmt.Errorf("cifar: download %s: no data for %v: %w", res.URL, stall, ErrStalled)
	timer := time.AfterFunc(stall, func() { cancel(stalled) })
	defer timer.Stop()
	// wrap reports a stall as such rather than as "context canceled".
	wrap := func(err error) error {
		if c := context.Cause(ctx); c != nil && errors.Is(c, ErrStalled) {
			return c
		}
		return fmt.Errorf("cifar: download %s: %w", res.URL, err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, res.URL, nil)
	if err != nil {
		return fmt.Errorf("cifar: download: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return wrap(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &StatusError{URL: res.URL, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	f, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("cifar: %w", err)
	}
	defer f.Close()
	mh, sh := md5.New(), sha256.New()
	w := io.MultiWriter(f, mh, sh)
	prog := newProgress(d.Progress, d.Terminal, path.Base(res.URL), resp.ContentLength, nil)
	buf := make([]byte, 256<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			timer.Reset(stall)
			if _, err := w.Write(buf[:n]); err != nil {
				return fmt.Errorf("cifar: write %s: %w", p, err)
			}
			res.Bytes += int64(n)
			prog.Update(res.Bytes)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			prog.Clear()
			return wrap(rerr)
		}
	}
	if resp.ContentLength >= 0 && res.Bytes != resp.ContentLength {
		prog.Clear()
		return fmt.Errorf("cifar: download %s: got %d of %d bytes: %w", res.URL, res.Bytes, resp.ContentLength, io.ErrUnexpectedEOF)
	}
	prog.Finish(res.Bytes)
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cifar: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cifar: %w", err)
	}
	res.MD5, res.SHA256 = hex.EncodeToString(mh.Sum(nil)), hex.EncodeToString(sh.Sum(nil))
	return nil
}

// extract writes the regular files directly under kind.Folder() of the
// .tar.gz at p into dst/kind.Folder(), ignoring every other entry (so no
// entry can escape dst), and returns the (name, hex SHA-256) of each file.
// It fails with ErrMissing if a batch file is absent.
func extract(p, dst string, kind Kind) ([][2]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	out := filepath.Join(dst, kind.Folder())
	if err := os.Mkdir(out, 0o755); err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	var sums [][2]string
	have := map[string]bool{}
	sawOther := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		dir, name := path.Split(strings.TrimPrefix(path.Clean(h.Name), "./"))
		dir = strings.TrimSuffix(dir, "/")
		if dir == kind.other().Folder() {
			sawOther = true
		}
		if dir != kind.Folder() || h.Typeflag != tar.TypeReg || name == "" || name == SumsFile {
			continue
		}
		sh := sha256.New()
		if err := writeFrom(filepath.Join(out, name), io.TeeReader(tr, sh)); err != nil {
			return nil, fmt.Errorf("archive: %s: %w", h.Name, err)
		}
		sums = append(sums, [2]string{name, hex.EncodeToString(sh.Sum(nil))})
		have[name] = true
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	if len(have) == 0 && sawOther {
		return nil, fmt.Errorf("archive holds %s, which is %v, not %v: %w", kind.other().Folder(), kind.other(), kind, ErrWrongKind)
	}
	for _, name := range append(kind.TrainFiles(), kind.TestFile()) {
		if !have[name] {
			return nil, fmt.Errorf("archive has no %s/%s: %w", kind.Folder(), name, ErrMissing)
		}
	}
	return sums, nil
}

// writeFrom copies r into a new file p and syncs it.
func writeFrom(p string, r io.Reader) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("cifar: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cifar: sync %s: %w", p, err)
	}
	return nil
}

// fileSum returns the hex digest of the file p under h.
func fileSum(p string, h hash.Hash) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
