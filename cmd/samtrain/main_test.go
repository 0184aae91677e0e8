package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samtrain/samtrain/cuda"
	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/safetensors"
	"github.com/samtrain/samtrain/train"
)

var pngDecode = png.Decode

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
		{[]string{"plot", "somerun", "--out", "f.png"}, "flags go before"},
		{[]string{"eval"}, "CHECKPOINT"},
		{[]string{"eval", "--batch", "0", "c"}, "--batch"},
		{[]string{"interpolate", "a"}, "two checkpoints"},
		{[]string{"interpolate", "--from", "2", "--to", "1", "a", "b"}, "--from"},
		{[]string{"interpolate", "--points", "1", "a", "b"}, "--points"},
		{[]string{"export", "a"}, "CHECKPOINT OUT"},
		{[]string{"plot"}, "run folders"},
		{[]string{"--schedule", "linear"}, "schedule"},
		{[]string{"--bn-policy", "second"}, "bn policy"},
		{[]string{"--sam-from", "3", "--sam-until", "2"}, "SAM window"},
		{[]string{"--threads", "0"}, "--threads"},
		{[]string{"--resume", "--finetune-from", "x"}, "--finetune-from"},
		{[]string{"--precision", "fp16"}, "--precision"},
		{[]string{"--device", "cpu", "--precision", "bf16"}, "--precision bf16 needs an NVIDIA GPU"},
		{[]string{"--device", "cpu", "--precision", "tf32"}, "--precision tf32 needs an NVIDIA GPU"},
		{[]string{"eval", "--device", "cpu", "--precision", "bf16", "c"}, "--precision bf16"},
		{[]string{"bench", "--device", "cpu", "--precision", "tf32"}, "--precision tf32"},
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

// TestTrainWorkflow trains a tiny network on generated data through the
// command line, then evaluates, exports, fine-tunes, interpolates and plots
// it, checking each command's outputs.
func TestTrainWorkflow(t *testing.T) {
	dir := writeData(t, cifar10Files(2)) // 20 images per file: 100 training images, 20 test
	out := filepath.Join(t.TempDir(), "erm")
	tiny := []string{"--data-dir", dir, "--model", "preact-resnet18", "--width", "2", "--batch-size", "16", "--epochs", "2", "--threads", "1"}
	code, stdout, stderr := samtrain(append(tiny, "--out", out, "--rho", "0", "--val-size", "10", "--label-noise", "0.5")...)
	if code != exitOK {
		t.Fatalf("train: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"device: ", "90 training images", "10 validation, 20 test", "epoch   2", "clean labels", "val loss", "done: 2 epochs"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "100% 5/5 steps") {
		t.Errorf("no plain progress lines on stderr: %q", stderr)
	}
	ms, err := train.ReadMetrics(out)
	if err != nil || len(ms) != 2 || ms[1].ValErr == nil || ms[1].TrainErrClean == nil {
		t.Fatalf("metrics: %v, %+v", err, ms)
	}
	var cfg struct {
		Spec train.Spec     `json:"spec"`
		Info map[string]any `json:"info"`
		Sum  string         `json:"data_sha256"`
	}
	b, err := os.ReadFile(filepath.Join(out, train.ConfigFile))
	if err != nil || json.Unmarshal(b, &cfg) != nil {
		t.Fatalf("config.json: %v %s", err, b)
	}
	if cfg.Spec.Epochs != 2 || cfg.Spec.LabelNoise != 0.5 || (cfg.Info["device"] != "cpu" && cfg.Info["device"] != "cuda") || len(cfg.Sum) != 64 || cfg.Info["version"] == nil {
		t.Errorf("config.json: %+v", cfg)
	}
	if _, err := os.Stat(filepath.Join(out, train.LabelsFile)); err != nil {
		t.Errorf("no label-noise record: %v", err)
	}
	ckpt := filepath.Join(out, train.CheckpointFile)

	// A second run into the same folder without --resume is refused; with
	// it there is nothing left to do.
	if code, _, stderr := samtrain(append(tiny, "--out", out, "--rho", "0", "--val-size", "10", "--label-noise", "0.5")...); code != exitError || !strings.Contains(stderr, "resume") {
		t.Errorf("rerun: exit %d, %q", code, stderr)
	}
	if code, stdout, _ := samtrain(append(tiny, "--out", out, "--rho", "0", "--val-size", "10", "--label-noise", "0.5", "--resume")...); code != exitOK || !strings.Contains(stdout, "nothing left") {
		t.Errorf("resume of a finished run: exit %d, %q", code, stdout)
	}
	if code, _, stderr := samtrain(append(tiny, "--out", out, "--rho", "0.1", "--val-size", "10", "--label-noise", "0.5", "--resume")...); code != exitError || !strings.Contains(stderr, "rho: 0 -> 0.1") {
		t.Errorf("resume with other flags: exit %d, %q", code, stderr)
	}

	// eval reproduces the last epoch's test and validation scores.
	code, stdout, stderr = samtrain("eval", "--data-dir", dir, "--json", "--batch", "7", ckpt)
	if code != exitOK {
		t.Fatalf("eval: exit %d, %q", code, stderr)
	}
	var ev struct {
		Scores map[string]train.Score `json:"scores"`
	}
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(ev.Scores["test"].Loss - ms[1].TestLoss); d > 1e-9 || ev.Scores["test"].Err != ms[1].TestErr || ev.Scores["val"].Err != *ms[1].ValErr {
		t.Errorf("eval %+v, last epoch test loss %v err %v val err %v", ev.Scores, ms[1].TestLoss, ms[1].TestErr, *ms[1].ValErr)
	}
	if ev.Scores["train"].N != 90 {
		t.Errorf("eval scored %d training images, want 90", ev.Scores["train"].N)
	}

	// export writes the model under its PyTorch names, loadable by --finetune-from.
	exported := filepath.Join(t.TempDir(), "erm.safetensors")
	if code, _, stderr := samtrain("export", ckpt, exported); code != exitOK {
		t.Fatalf("export: exit %d, %q", code, stderr)
	}
	ts, meta, err := safetensors.ReadFile(exported)
	if err != nil || meta["format"] != "pt" {
		t.Fatalf("exported file: %v %v", err, meta)
	}
	for _, name := range []string{"conv1.weight", "layer1.0.bn1.running_mean", "layer4.1.conv2.weight", "linear.weight", "linear.bias"} {
		if _, ok := ts[name]; !ok {
			t.Errorf("export lacks %s", name)
		}
	}
	if ts["layer1.0.bn1.num_batches_tracked"].Dtype != safetensors.I64 || ts["conv1.weight"].Dtype != safetensors.F32 {
		t.Errorf("export dtypes: %v %v", ts["layer1.0.bn1.num_batches_tracked"].Dtype, ts["conv1.weight"].Dtype)
	}

	// Fine-tune the ERM model with SAM from epoch 1 on (ERM->SAM).
	sam := filepath.Join(t.TempDir(), "sam")
	code, stdout, stderr = samtrain(append(tiny, "--out", sam, "--rho", "0.05", "--m", "8", "--sam-from", "1", "--finetune-from", exported)...)
	if code != exitOK || !strings.Contains(stdout, "starting from the weights of") {
		t.Fatalf("fine-tune: exit %d, %q %q", code, stdout, stderr)
	}
	if ms, _ := train.ReadMetrics(sam); len(ms) != 2 || ms[0].Rho != 0 || ms[1].Rho != 0.05 {
		t.Errorf("fine-tune rho per epoch: %+v", ms)
	}
	if code, stdout, stderr := samtrain(append(tiny, "--out", sam, "--rho", "0.05", "--m", "8", "--sam-from", "1", "--resume")...); code != exitOK || !strings.Contains(stdout, "nothing left") {
		t.Errorf("resume of the fine-tuned run without --finetune-from: exit %d, %q %q", code, stdout, stderr)
	}

	// Interpolate between the two and plot everything.
	ip := filepath.Join(t.TempDir(), "ip.jsonl")
	code, stdout, stderr = samtrain("interpolate", "--data-dir", dir, "--out", ip, "--points", "4", "--bn-batches", "2", "--batch", "20", "--train-images", "40", ckpt, filepath.Join(sam, train.CheckpointFile))
	if code != exitOK || !strings.Contains(stdout, "2 batches of 20") {
		t.Fatalf("interpolate: exit %d, %q %q", code, stdout, stderr)
	}
	pts, err := train.ReadPoints(ip)
	if err != nil || len(pts) != 4 || pts[0].T != -1 || pts[3].T != 2 || pts[1].Train.N != 40 || pts[1].Test.N != 20 {
		t.Errorf("interpolation points: %v %+v", err, pts)
	}
	for _, args := range [][]string{{out, sam}, {ip}} {
		png := filepath.Join(t.TempDir(), "f.png")
		if code, _, stderr := samtrain(append([]string{"plot", "--out", png}, args...)...); code != exitOK {
			t.Errorf("plot %v: exit %d, %q", args, code, stderr)
			continue
		}
		f, err := os.Open(png)
		if err != nil {
			t.Fatal(err)
		}
		img, err := pngDecode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() <= img.Bounds().Dy() {
			t.Errorf("plot %v: %v, bounds %v (want two panels side by side)", args, err, img.Bounds())
		}
	}
}

// TestDevice checks --device where no CUDA library loads (the test skips
// on a machine where CUDA works): cuda is refused before any work, with the
// reason; auto takes the CPU and says why in one line; cpu says nothing.
func TestDevice(t *testing.T) {
	if d, err := cuda.Open(cuda.Config{Dirs: cuda.SearchDirs("/", os.Getenv)}); err == nil {
		d.Close()
		t.Skip("CUDA works on this machine")
	}
	dir := writeData(t, cifar10Files(1))
	code, stdout, stderr := samtrain("--data-dir", dir, "--device", "cuda", "--out", t.TempDir())
	if code != exitError || !strings.Contains(stderr, "--device cuda: cuda: ") || stdout != "" {
		t.Errorf("cuda: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, tc := range []struct{ mode, note string }{
		{"auto", "device: cpu, because CUDA is unavailable: cuda: "},
		{"cpu", ""},
	} {
		var buf bytes.Buffer
		d, err := openDevice(&buf, tc.mode, 1, cuda.FP32)
		if err != nil {
			t.Fatalf("%s: %v", tc.mode, err)
		}
		if d.Name != "cpu" || !strings.HasPrefix(buf.String(), tc.note) || strings.Count(buf.String(), "\n") != min(len(tc.note), 1) {
			t.Errorf("%s: device %s, note %q, want cpu and one line %q...", tc.mode, d.Name, buf.String(), tc.note)
		}
	}
	// Without a GPU, auto cannot honour a precision other than fp32: a usage
	// error naming the flag and why, before any work.
	var buf bytes.Buffer
	_, err := openDevice(&buf, "auto", 1, cuda.BF16)
	var u *usageError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "--precision bf16 needs an NVIDIA GPU, and --device auto found none: CUDA is unavailable: cuda: ") || buf.Len() != 0 {
		t.Errorf("auto with bf16: %v, output %q; want a usage error saying CUDA is unavailable", err, buf.String())
	}
	code, stdout, stderr = samtrain("--data-dir", dir, "--precision", "tf32", "--out", t.TempDir())
	if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--precision tf32") || stdout != "" {
		t.Errorf("auto with tf32: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestUnwritableOut checks that an output folder that cannot be created is
// an error before training.
func TestUnwritableOut(t *testing.T) {
	dir := writeData(t, cifar10Files(1))
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	code, stdout, stderr := samtrain("--data-dir", dir, "--out", filepath.Join(file, "run"), "--width", "2", "--batch-size", "10", "--threads", "1")
	if code != exitError || !strings.Contains(stderr, "output folder") || strings.Contains(stdout, "epoch   1") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
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

// TestInterrupt cancels the context as SIGINT does: the run saves a
// checkpoint, says how to continue, and --resume finishes it; another
// --threads is noted.
func TestInterrupt(t *testing.T) {
	dir := writeData(t, cifar10Files(1))
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"samtrain", "--data-dir", dir, "--out", out, "--model", "preact-resnet18", "--width", "2", "--batch-size", "10", "--epochs", "1", "--threads", "1"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, args, &stdout, &stderr); code != exitError || !strings.Contains(stderr.String(), "--resume") {
		t.Fatalf("interrupted: exit %d, %q", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, train.CheckpointFile)); err != nil {
		t.Fatalf("no checkpoint after the interrupt: %v", err)
	}
	code, so, se := samtrain(append(args[1:len(args)-1], "2", "--resume")...)
	if code != exitOK || !strings.Contains(so, "done: 1 epochs") || !strings.Contains(so, "--threads 1, resuming with 2") {
		t.Errorf("resume: exit %d, %q %q", code, so, se)
	}
}
