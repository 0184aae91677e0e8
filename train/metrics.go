package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/samtrain/samtrain/internal/atomicfile"
)

// MetricsFile is the name of the per-epoch log in a run's output folder:
// one JSON object (Metrics) per line.
const MetricsFile = "metrics.jsonl"

// Metrics is the record of one finished epoch.
type Metrics struct {
	Epoch     int     `json:"epoch"` // 1-based
	Steps     int64   `json:"steps"` // optimizer steps so far
	LR        float64 `json:"lr"`    // learning rate of the epoch's last step
	Rho       float64 `json:"rho"`   // ρ of the epoch's last step; 0 when the step was ERM
	TrainLoss float64 `json:"train_loss"`
	TrainErr  float64 `json:"train_err"` // against the labels trained on (noisy under label noise)
	// TrainErrClean is the training error against the clean labels; only
	// with label noise.
	TrainErrClean *float64 `json:"train_err_clean,omitempty"`
	ValLoss       *float64 `json:"val_loss,omitempty"`
	ValErr        *float64 `json:"val_err,omitempty"`
	TestLoss      float64  `json:"test_loss"`
	TestErr       float64  `json:"test_err"`
	Seconds       float64  `json:"seconds"`      // wall time of the epoch, evaluation included
	ImagesPerSec  float64  `json:"images_per_s"` // training images per second of training time
}

// String is the epoch's line on stdout.
func (m *Metrics) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %3d  lr %.4g  rho %.3g  train loss %.4f err %5.2f%%", m.Epoch, m.LR, m.Rho, m.TrainLoss, 100*m.TrainErr)
	if m.TrainErrClean != nil {
		fmt.Fprintf(&b, " (clean labels %5.2f%%)", 100**m.TrainErrClean)
	}
	if m.ValLoss != nil {
		fmt.Fprintf(&b, "  val loss %.4f err %5.2f%%", *m.ValLoss, 100**m.ValErr)
	}
	fmt.Fprintf(&b, "  test loss %.4f err %5.2f%%  %.1fs  %.0f img/s", m.TestLoss, 100*m.TestErr, m.Seconds, m.ImagesPerSec)
	return b.String()
}

// ReadMetrics reads a metrics.jsonl file (or the one in a run folder).
func ReadMetrics(path string) ([]Metrics, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, MetricsFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: metrics: %w", err)
	}
	var ms []Metrics
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("train: metrics %s line %d: %w", path, n, err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// appendMetrics appends m as one line to path and syncs the file.
func appendMetrics(path string, m *Metrics) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("train: metrics: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("train: metrics: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("train: metrics: %w", err)
	}
	return nil
}

// truncateMetrics keeps the records of the first epochs epochs of path
// (those a checkpoint covers), rewriting it atomically; a missing file is
// created empty.
func truncateMetrics(path string, epochs int) error {
	var keep []byte
	if _, err := os.Stat(path); err == nil {
		ms, err := ReadMetrics(path)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Epoch <= epochs {
				b, _ := json.Marshal(m)
				keep = append(append(keep, b...), '\n')
			}
		}
	}
	return writeFileAtomic(path, keep)
}

// writeFileAtomic writes b to path atomically (temporary file, fsync,
// rename).
func writeFileAtomic(path string, b []byte) error {
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}
