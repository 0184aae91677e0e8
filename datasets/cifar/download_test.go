package cifar

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func hexMD5(b []byte) string    { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
func hexSHA256(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// serve returns a server answering every request with h and counting them.
func serve(t *testing.T, h http.HandlerFunc) (*httptest.Server, *int) {
	n := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*n++
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

func body(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestDownload(t *testing.T) {
	files := dataFiles(CIFAR10, 4, 3)
	files["batches.meta.txt"] = []byte(strings.Join(CIFAR10.ClassNames(), "\n") + "\n")
	a := archive(t, CIFAR10.Folder(), files)
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/data/"+CIFAR10.ArchiveName() {
					http.NotFound(w, r)
					return
				}
				body(a)(w, r)
			})
			dir := t.TempDir()
			var prog bytes.Buffer
			d := &Downloader{BaseURL: srv.URL + "/data/", Client: srv.Client(), MD5: hexMD5(a), Progress: &prog, KeepArchive: keep}
			res, err := d.Download(context.Background(), dir, CIFAR10)
			if err != nil {
				t.Fatal(err)
			}
			if res.SHA256 != hexSHA256(a) || res.MD5 != hexMD5(a) || res.Bytes != int64(len(a)) {
				t.Errorf("got %+v, want sha256 %s md5 %s bytes %d", res, hexSHA256(a), hexMD5(a), len(a))
			}
			got, err := Open(dir, CIFAR10)
			if err != nil {
				t.Fatal(err)
			}
			if got.Source != res.Folder || got.Train.Len() != 20 || got.Test.Len() != 3 {
				t.Fatalf("opened %s with %d/%d images", got.Source, got.Train.Len(), got.Test.Len())
			}
			sums, err := os.ReadFile(filepath.Join(res.Folder, SumsFile))
			if err != nil {
				t.Fatal(err)
			}
			for name, b := range files {
				if line := hexSHA256(b) + "  " + name + "\n"; !strings.Contains(string(sums), line) {
					t.Errorf("%s lacks %q", SumsFile, line)
				}
			}
			if !strings.HasPrefix(string(sums), hexSHA256(a)+"  "+CIFAR10.ArchiveName()+"\n") {
				t.Errorf("%s does not start with the archive's sum", SumsFile)
			}
			if !strings.Contains(prog.String(), "100%") {
				t.Errorf("progress %q lacks 100%%", prog.String())
			}
			ents, _ := os.ReadDir(dir)
			want := 1
			if keep {
				want = 2
				if b, err := os.ReadFile(res.Archive); err != nil || !bytes.Equal(b, a) {
					t.Errorf("kept archive differs: %v", err)
				}
			}
			if len(ents) != want {
				t.Errorf("%d entries in dir, want %d (no temporary folder)", len(ents), want)
			}
			// A second download finds the folder and fetches nothing.
			n := 0
			d.Client = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
				n++
				return nil, errors.New("unexpected request")
			})}
			res2, err := d.Download(context.Background(), dir, CIFAR10)
			if err != nil || !res2.Existed || n != 0 {
				t.Errorf("second download: %+v, %v, %d requests", res2, err, n)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDownloadFailures(t *testing.T) {
	a := archive(t, CIFAR10.Folder(), dataFiles(CIFAR10, 2, 2))
	half := a[:len(a)/2]
	bad := dataFiles(CIFAR10, 2, 2)
	bad["data_batch_4.bin"][0] = 12
	badLabel := archive(t, CIFAR10.Folder(), bad)
	c100 := archive(t, CIFAR100.Folder(), dataFiles(CIFAR100, 2, 2))
	for _, tc := range []struct {
		name    string
		h       http.HandlerFunc
		md5     string
		wantErr error
		status  int
	}{
		{"wrong checksum", body(a), "", ErrChecksum, 0},
		{"404", http.NotFound, "", nil, 404},
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, "", nil, 500},
		// The server announces the whole archive but sends half of it.
		{"truncated transfer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(a)))
			w.Write(half)
		}, hexMD5(a), nil, 0},
		// A truncated archive whose MD5 is the expected one (a mirror
		// publishing a broken file): caught while extracting.
		{"truncated archive", body(half), hexMD5(half), nil, 0},
		{"label out of range", body(badLabel), hexMD5(badLabel), ErrLabel, 0},
		{"cifar100 archive", body(c100), hexMD5(c100), ErrWrongKind, 0},
		{"stall before headers", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, hexMD5(a), ErrStalled, 0},
		{"stall mid-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(a)))
			w.Write(a[:100])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, hexMD5(a), ErrStalled, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := serve(t, tc.h)
			dir := t.TempDir()
			d := &Downloader{BaseURL: srv.URL, Client: srv.Client(), MD5: tc.md5, StallTimeout: 200 * time.Millisecond}
			res, err := d.Download(context.Background(), dir, CIFAR10)
			if err == nil {
				t.Fatalf("got %+v, want an error", res)
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), "cifar: ") {
				t.Errorf("error %q lacks the cifar: prefix", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
			var se *StatusError
			if tc.status != 0 && (!errors.As(err, &se) || se.StatusCode != tc.status) {
				t.Errorf("got %v, want status %d", err, tc.status)
			}
			assertEmpty(t, dir)
		})
	}
}

func TestDownloadCanceled(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	d := &Downloader{BaseURL: srv.URL, Client: srv.Client()}
	if _, err := d.Download(ctx, dir, CIFAR10); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	assertEmpty(t, dir)
}

// TestProgress checks the download report's words and steps; the mechanics
// (throttle, steps, ETA) are tested in internal/progress.
func TestProgress(t *testing.T) {
	for _, tc := range []struct {
		term  bool
		total int64
		want  string
	}{
		// 100 MB in 10 MB steps of 1 s each: 10 MB/s, a plain line per
		// 10 percent.
		{false, 100e6, "a.tar.gz:  10% 10.0 MB/100.0 MB, 10.0 MB/s, ETA 9s\n" +
			"a.tar.gz:  20% 20.0 MB/100.0 MB, 10.0 MB/s, ETA 8s\n" +
			"a.tar.gz:  30% 30.0 MB/100.0 MB, 10.0 MB/s, ETA 7s\n" +
			"a.tar.gz:  40% 40.0 MB/100.0 MB, 10.0 MB/s, ETA 6s\n" +
			"a.tar.gz:  50% 50.0 MB/100.0 MB, 10.0 MB/s, ETA 5s\n" +
			"a.tar.gz:  60% 60.0 MB/100.0 MB, 10.0 MB/s, ETA 4s\n" +
			"a.tar.gz:  70% 70.0 MB/100.0 MB, 10.0 MB/s, ETA 3s\n" +
			"a.tar.gz:  80% 80.0 MB/100.0 MB, 10.0 MB/s, ETA 2s\n" +
			"a.tar.gz:  90% 90.0 MB/100.0 MB, 10.0 MB/s, ETA 1s\n" +
			"a.tar.gz: 100% 100.0 MB/100.0 MB, 10.0 MB/s, done in 10s\n"},
		// On a terminal every update (1 s apart, more than the 100 ms
		// throttle) redraws; Finish ends the line.
		{true, 100e6, "\ra.tar.gz [===                           ]  10% 10.0 MB/100.0 MB, 10.0 MB/s, ETA 9s\x1b[K" +
			"\ra.tar.gz [======                        ]  20% 20.0 MB/100.0 MB, 10.0 MB/s, ETA 8s\x1b[K" +
			"\ra.tar.gz [=========                     ]  30% 30.0 MB/100.0 MB, 10.0 MB/s, ETA 7s\x1b[K" +
			"\ra.tar.gz [============                  ]  40% 40.0 MB/100.0 MB, 10.0 MB/s, ETA 6s\x1b[K" +
			"\ra.tar.gz [===============               ]  50% 50.0 MB/100.0 MB, 10.0 MB/s, ETA 5s\x1b[K" +
			"\ra.tar.gz [==================            ]  60% 60.0 MB/100.0 MB, 10.0 MB/s, ETA 4s\x1b[K" +
			"\ra.tar.gz [=====================         ]  70% 70.0 MB/100.0 MB, 10.0 MB/s, ETA 3s\x1b[K" +
			"\ra.tar.gz [========================      ]  80% 80.0 MB/100.0 MB, 10.0 MB/s, ETA 2s\x1b[K" +
			"\ra.tar.gz [===========================   ]  90% 90.0 MB/100.0 MB, 10.0 MB/s, ETA 1s\x1b[K" +
			"\ra.tar.gz [==============================] 100% 100.0 MB/100.0 MB, 10.0 MB/s, done in 10s\x1b[K\n"},
		// Unknown size: a line per 16 MiB (16.8 MB), so at 20, 40, 60, 70
		// and 90 MB, then the total with the time taken.
		{false, -1, "a.tar.gz: 20.0 MB, 10.0 MB/s\n" +
			"a.tar.gz: 40.0 MB, 10.0 MB/s\n" +
			"a.tar.gz: 60.0 MB, 10.0 MB/s\n" +
			"a.tar.gz: 70.0 MB, 10.0 MB/s\n" +
			"a.tar.gz: 90.0 MB, 10.0 MB/s\n" +
			"a.tar.gz: 100.0 MB, 10.0 MB/s, done in 10s\n"},
	} {
		var buf bytes.Buffer
		now := time.Unix(0, 0)
		p := newProgress(&buf, tc.term, "a.tar.gz", tc.total, func() time.Time { return now })
		for i := int64(1); i <= 10; i++ {
			now = now.Add(time.Second)
			p.Update(i * 10e6)
		}
		p.Finish(100e6)
		if got := buf.String(); got != tc.want {
			t.Errorf("term %v total %d:\ngot  %q\nwant %q", tc.term, tc.total, got, tc.want)
		}
	}
}

func TestVerify(t *testing.T) {
	files := dataFiles(CIFAR10, 2, 2)
	a := archive(t, CIFAR10.Folder(), files)
	srv, _ := serve(t, body(a))
	dir := t.TempDir()
	d := &Downloader{BaseURL: srv.URL, Client: srv.Client(), MD5: hexMD5(a)}
	if _, err := d.Download(context.Background(), dir, CIFAR10); err != nil {
		t.Fatal(err)
	}
	lines, err := Verify(dir, CIFAR10)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "sums: 6 files match") {
		t.Errorf("verify lines %q lack the sums check", lines)
	}
	// An archive that is not the official one fails the MD5 check.
	write(t, filepath.Join(dir, CIFAR10.ArchiveName()), a)
	if _, err := Verify(dir, CIFAR10); !errors.Is(err, ErrChecksum) {
		t.Errorf("got %v, want ErrChecksum for a non-official archive", err)
	}
	os.Remove(filepath.Join(dir, CIFAR10.ArchiveName()))
	// A changed pixel fails the recorded SHA-256.
	p := filepath.Join(dir, CIFAR10.Folder(), "data_batch_2.bin")
	b := bytes.Clone(files["data_batch_2.bin"])
	b[5]++
	write(t, p, b)
	if _, err := Verify(dir, CIFAR10); !errors.Is(err, ErrChecksum) {
		t.Errorf("got %v, want ErrChecksum", err)
	}
	if _, err := Verify(t.TempDir(), CIFAR10); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty dir: got %v, want ErrNotFound", err)
	}
}
