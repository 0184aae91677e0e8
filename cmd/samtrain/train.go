package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/train"
)

// trainAction is the root command: validate the flags, open the data,
// pick the device, build the training view, then train.
func trainAction(c *cli.Context) error {
	cfg, err := parseTrainConfig(c)
	if err != nil {
		return err
	}
	data, err := openData(cfg.DataDir, cfg.Dataset)
	if err != nil {
		return err
	}
	dev, err := openDevice(c.App.Writer, cfg.Device, cfg.Threads, cfg.Precision)
	if err != nil {
		return err
	}
	defer dev.Close()
	if cfg.ValSize >= data.Train.Len() {
		return usagef("--val-size %d: want fewer than the %d training images", cfg.ValSize, data.Train.Len())
	}
	view, err := train.NewData(data, &cfg.Spec)
	if err != nil {
		return err
	}
	nval := 0
	if view.Val != nil {
		nval = view.Val.Len()
	}
	fmt.Fprintf(c.App.Writer, "run: %v\n", cfg)
	fmt.Fprintf(c.App.Writer, "data: %s: %d training images (%d with noisy labels), %d validation, %d test; sha256 %s\n",
		data.Source, view.Train.Len(), view.Train.Noisy(), nval, view.Test.Len(), view.SHA256)
	if cfg.Resume && dev.Name == "cpu" {
		warnThreads(c, cfg.Out, cfg.Threads)
	}
	if cfg.Resume {
		warnPrecision(c.App.Writer, cfg.Out, dev.Precision)
	}
	r := &train.Run{
		Spec:      cfg.Spec,
		Data:      view,
		Backend:   dev.Backend,
		Out:       cfg.Out,
		Resume:    cfg.Resume,
		EvalBatch: cfg.EvalBatch,
		Info: map[string]any{
			"args":        c.Args().Slice(),
			"flags":       setFlags(c),
			"version":     version(),
			"device":      dev.Name,
			"device_info": dev.Desc,
			"precision":   dev.Precision,
			"threads":     cfg.Threads,
			"data_dir":    cfg.DataDir,
			"data_from":   data.Source,
		},
		Log:      c.App.Writer,
		Progress: c.App.ErrWriter,
		Terminal: isTerminal(c.App.ErrWriter),
	}
	res, err := r.Train(c.Context)
	if errors.Is(err, train.ErrInterrupted) {
		return fmt.Errorf("%w; continue with the same flags and --resume", err)
	}
	if err != nil {
		return err
	}
	if n := len(res.Metrics); n > 0 {
		m := res.Metrics[n-1]
		fmt.Fprintf(c.App.Writer, "done: %d epochs, test error %.2f%%; outputs in %s\n", m.Epoch, 100*m.TestErr, cfg.Out)
	} else {
		fmt.Fprintf(c.App.Writer, "done: nothing left to train in %s\n", cfg.Out)
	}
	return nil
}

// setFlags returns the flags given on the command line with their values.
func setFlags(c *cli.Context) map[string]any {
	m := map[string]any{}
	for _, f := range c.App.Flags {
		name := f.Names()[0]
		if c.IsSet(name) {
			m[name] = c.Value(name)
		}
	}
	return m
}

// version returns the module version and VCS revision of the binary.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += " (modified)"
			}
		}
	}
	return v
}

// openData opens the data set and, when it is not there, says how to get it.
func openData(dir string, kind cifar.Kind) (*cifar.Data, error) {
	d, err := cifar.Open(dir, kind)
	if errors.Is(err, cifar.ErrNotFound) {
		return nil, fmt.Errorf("no %v data in %s: download it with 'samtrain data download --dataset %v --data-dir %s', or point --data-dir at an offline copy (a folder holding %s/ or %s)",
			kind, dir, kind, dir, kind.Folder(), kind.ArchiveName())
	}
	return d, err
}

// openView opens the data set of s in dir and builds the view s trains on.
func openView(dir string, s *train.Spec) (*train.Data, error) {
	data, err := openData(dir, s.Kind())
	if err != nil {
		return nil, err
	}
	return train.NewData(data, s)
}

// defaultThreads is the default of --threads: every CPU.
func defaultThreads() int { return runtime.NumCPU() }

// warnPrecision says on w when a resumed run computes in another precision
// than the run it continues (a run from before --precision existed was fp32).
func warnPrecision(w io.Writer, out, prec string) {
	b, err := os.ReadFile(filepath.Join(out, train.ConfigFile))
	if err != nil {
		return
	}
	var cfg struct {
		Info struct {
			Precision string `json:"precision"`
		} `json:"info"`
	}
	if json.Unmarshal(b, &cfg) != nil {
		return
	}
	if cfg.Info.Precision == "" {
		cfg.Info.Precision = "fp32"
	}
	if cfg.Info.Precision != prec {
		fmt.Fprintf(w, "note: the run computed with --precision %s, resuming with %s: its later epochs compute differently\n", cfg.Info.Precision, prec)
	}
}

// warnThreads says when a resumed run uses another --threads than the run
// it continues: the CPU kernels split their sums by thread, so the weights
// then differ from an uninterrupted run in the last bits.
func warnThreads(c *cli.Context, out string, threads int) {
	b, err := os.ReadFile(filepath.Join(out, train.ConfigFile))
	if err != nil {
		return
	}
	var cfg struct {
		Info struct {
			Threads int `json:"threads"`
		} `json:"info"`
	}
	if json.Unmarshal(b, &cfg) == nil && cfg.Info.Threads != 0 && cfg.Info.Threads != threads {
		fmt.Fprintf(c.App.Writer, "note: the run used --threads %d, resuming with %d: the result will not be bit-for-bit that of an uninterrupted run\n", cfg.Info.Threads, threads)
	}
}
