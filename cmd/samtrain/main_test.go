package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samtrain/samtrain/datasets/cifar"
)

// samtrain runs the app in-process and returns its exit status and output.
func samtrain(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"samtrain"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// cifar10Files returns CIFAR-10 batch files with perClass images of each
// class in every file; pixel bytes are the image's position mod 256.
func cifar10Files(perClass int) map[string][]byte {
	files := map[string][]byte{}
	for _, name := range append(cifar.CIFAR10.TrainFiles(), cifar.CIFAR10.TestFile()) {
		var b []byte
		for i := range 10 * perClass {
			b = append(b, byte(i%10))
			b = append(b, bytes.Repeat([]byte{byte(i)}, cifar.ImageBytes)...)
		}
		files[name] = b
	}
	return files
}

func writeData(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	folder := filepath.Join(dir, cifar.CIFAR10.Folder())
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(folder, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func tgz(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, b := range files {
		tw.WriteHeader(&tar.Header{Name: cifar.CIFAR10.Folder() + "/" + name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestBadFlags(t *testing.T) {
	dir := writeData(t, cifar10Files(1))
	for _, tc := range []struct {
		args []string
		flag string // the flag the one-line message must name
	}{
		{[]string{"--rho", "-0.1"}, "--rho"},
		{[]string{"--rho", "NaN"}, "--rho"},
		{[]string{"--rho", "Inf"}, "--rho"},
		{[]string{"--rho", "abc"}, "rho"},
		{[]string{"--m", "3"}, "--m"},
		{[]string{"--m", "-1"}, "--m"},
		{[]string{"--m", "256"}, "--m"},
		{[]string{"--batch-size", "100", "--m", "128"}, "--m"},
		{[]string{"--batch-size", "0"}, "--batch-size"},
		{[]string{"--model", "vgg16"}, "--model"},
		{[]string{"--dataset", "mnist"}, "--dataset"},
		{[]string{"--device", "tpu"}, "--device"},
		{[]string{"--epochs", "0"}, "--epochs"},
		{[]string{"--lr", "0"}, "--lr"},
		{[]string{"--momentum", "1"}, "--momentum"},
		{[]string{"--weight-decay", "-1"}, "--weight-decay"},
		{[]string{"--val-size", "-5"}, "--val-size"},
		{[]string{"--label-noise", "1"}, "--label-noise"},
		{[]string{"--label-noise", "NaN"}, "--label-noise"},
		{[]string{"--width", "0"}, "--width"},
		{[]string{"--data-dir", filepath.Join(dir, "missing")}, "--data-dir"},
		{[]string{"--no-such-flag"}, "no-such-flag"},
		{[]string{"stray-argument"}, "stray-argument"},
		{[]string{"data", "frobnicate"}, "frobnicate"},
		{[]string{"data", "info", "--dataset", "svhn"}, "--dataset"},
		{[]string{"data", "download", "--dataset", "svhn"}, "--dataset"},
	} {
		args := append([]string{"--data-dir", dir}, tc.args...)
		code, stdout, stderr := samtrain(args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tc.args, code, exitUsage, stderr)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.flag) {
			t.Errorf("%v: stderr %q, want one line naming %s", tc.args, stderr, tc.flag)
		}
		if stdout != "" {
			t.Errorf("%v: stdout %q, want nothing (no work before validation)", tc.args, stdout)
		}
	}
}

func TestTrainNoData(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := samtrain("--data-dir", dir)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	for _, want := range []string{"samtrain data download", "--data-dir", "cifar-10-batches-bin"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
}

func TestTrainNotWired(t *testing.T) {
	dir := writeData(t, cifar10Files(2)) // 20 images per file: 100 training images
	code, stdout, stderr := samtrain("--data-dir", dir, "--val-size", "10", "--label-noise", "0.5", "--m", "32")
	if code != exitError || !strings.Contains(stderr, "not wired yet") {
		t.Errorf("exit %d, stderr %q; want %d and a 'not wired yet' error", code, stderr, exitError)
	}
	if !strings.Contains(stdout, "90 training images") || !strings.Contains(stdout, "10 validation, 20 test") || !strings.Contains(stdout, "m=32") {
		t.Errorf("stdout %q lacks the run and data summary", stdout)
	}
	// --val-size beyond the data's size is a usage error.
	if code, _, stderr := samtrain("--data-dir", dir, "--val-size", "100"); code != exitUsage {
		t.Errorf("--val-size 100 of 100: exit %d, stderr %q", code, stderr)
	}
}

func TestHelp(t *testing.T) {
	code, stdout, _ := samtrain("--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, f := range trainFlags() {
		if !strings.Contains(stdout, f.Names()[0]) {
			t.Errorf("--help lacks flag %s", f.Names()[0])
		}
	}
	for _, want := range []string{"ρ", "m-sharpness", "n-SAM", "samtrain data download"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestDataInfoVerify(t *testing.T) {
	dir := writeData(t, cifar10Files(3))
	code, stdout, stderr := samtrain("data", "info", "--data-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"train: 150 images", "test:  30 images", "airplane", "balanced: 10 classes, 15 training and 3 test images per class"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("info output %q lacks %q", stdout, want)
		}
	}
	if code, stdout, stderr := samtrain("data", "verify", "--data-dir", dir); code != exitOK || !strings.Contains(stdout, "cifar10: OK") {
		t.Errorf("verify: exit %d, %q %q", code, stdout, stderr)
	}
	// Unbalanced: drop the last image of the test file.
	files := cifar10Files(3)
	files["test_batch.bin"] = files["test_batch.bin"][:29*cifar.CIFAR10.RecordSize()]
	if _, stdout, _ := samtrain("data", "info", "--data-dir", writeData(t, files)); !strings.Contains(stdout, "not balanced") {
		t.Errorf("info of unbalanced data: %q", stdout)
	}
	// A truncated file fails verify and info with exit status 1.
	files["test_batch.bin"] = files["test_batch.bin"][:100]
	bad := writeData(t, files)
	for _, cmd := range []string{"verify", "info"} {
		if code, _, stderr := samtrain("data", cmd, "--data-dir", bad); code != exitError || !strings.Contains(stderr, "test_batch.bin") {
			t.Errorf("%s of truncated data: exit %d, %q", cmd, code, stderr)
		}
	}
	if code, _, stderr := samtrain("data", "info", "--data-dir", t.TempDir()); code != exitError || !strings.Contains(stderr, "samtrain data download") {
		t.Errorf("info without data: exit %d, %q", code, stderr)
	}
}

func TestDataDownload(t *testing.T) {
	a := tgz(t, cifar10Files(1))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+cifar.CIFAR10.ArchiveName() {
			http.NotFound(w, r)
			return
		}
		w.Write(a)
	}))
	defer srv.Close()
	sum := md5.Sum(a)
	dir := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr := samtrain("data", "download", "--data-dir", dir, "--base-url", srv.URL, "--md5", hex.EncodeToString(sum[:]))
	if code != exitOK || !strings.Contains(stdout, "extracted to") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "100%") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
	if code, stdout, _ := samtrain("data", "info", "--data-dir", dir); code != exitOK || !strings.Contains(stdout, "train: 50 images") {
		t.Errorf("info after download: %d %q", code, stdout)
	}
	if code, stdout, _ := samtrain("data", "download", "--data-dir", dir, "--base-url", srv.URL); code != exitOK || !strings.Contains(stdout, "already") {
		t.Errorf("second download: %d %q", code, stdout)
	}
	// The published MD5 does not match the generated archive.
	dir2 := t.TempDir()
	if code, _, stderr := samtrain("data", "download", "--data-dir", dir2, "--base-url", srv.URL); code != exitError || !strings.Contains(stderr, "MD5") {
		t.Errorf("wrong checksum: exit %d, %q", code, stderr)
	}
	if code, _, stderr := samtrain("data", "download", "--dataset", "cifar100", "--data-dir", dir2, "--base-url", srv.URL); code != exitError || !strings.Contains(stderr, "404") {
		t.Errorf("404: exit %d, %q", code, stderr)
	}
	if ents, _ := os.ReadDir(dir2); len(ents) != 0 {
		t.Errorf("failed downloads left %d entries", len(ents))
	}
}
