package main

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/datasets/cifar"
)

const trainDescription = `samtrain trains a ResNet on CIFAR-10 or CIFAR-100 with SGD (--rho 0) or with
Sharpness-Aware Minimization. SAM minimises the worst loss within an L2 ball of
radius rho around the weights: each step first moves the weights to
w + rho * g/||g|| (g the gradient), takes the gradient there, and applies it at w.
m-SAM splits each batch into batch-size/m groups of m examples and computes one
such perturbation per group (m-sharpness); m equal to the batch size is one
perturbation for the whole batch (n-SAM), m = 1 one per example (1-SAM).
The paper's main setting is --rho 0.05 with small m on ResNet-18, 200 epochs.

Data: the official binary CIFAR archives, fetched with 'samtrain data download'
or copied by hand into --data-dir (see 'samtrain data --help').`

// Allowed values of the enumerated flags.
var (
	models   = []string{"preact-resnet18", "resnet18", "resnet34"}
	datasets = []string{"cifar10", "cifar100"}
	devices  = []string{"auto", "cpu", "cuda"}
)

// Flag defaults that the help text and the validation share.
const (
	defaultDataDir = "data"
)

// trainFlags returns the root command's flags: everything a training run
// needs, named as in the paper.
func trainFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "model", Value: "resnet18", Usage: "network: " + strings.Join(models, ", ") + " (CIFAR variants with a 3x3 stem)"},
		&cli.StringFlag{Name: "dataset", Value: "cifar10", Usage: "data set: " + strings.Join(datasets, ", ")},
		&cli.StringFlag{Name: "data-dir", Value: defaultDataDir, Usage: "`DIR` holding cifar-10-batches-bin/ or cifar-100-binary/ (or the official .tar.gz); fill it with 'samtrain data download' or copy an offline copy there"},
		&cli.StringFlag{Name: "out", Value: "runs", Usage: "`DIR` for logs, checkpoints and the label-noise record"},
		&cli.Float64Flag{Name: "rho", Value: 0.05, Usage: "SAM radius rho (ρ) of the L2 ball of weight perturbations, >= 0; 0 is plain SGD (ERM)"},
		&cli.IntFlag{Name: "m", Value: 0, Usage: "m-sharpness: examples per SAM perturbation; must divide --batch-size; m = batch size is n-SAM, m = 1 is 1-SAM; 0 means m = batch size"},
		&cli.IntFlag{Name: "batch-size", Value: 128, Usage: "examples per SGD step (the paper uses 128)"},
		&cli.IntFlag{Name: "epochs", Value: 200, Usage: "passes over the training set"},
		&cli.Float64Flag{Name: "lr", Value: 0.1, Usage: "initial learning rate of SGD, > 0"},
		&cli.Float64Flag{Name: "momentum", Value: 0.9, Usage: "SGD (heavy-ball) momentum, in [0, 1)"},
		&cli.Float64Flag{Name: "weight-decay", Value: 5e-4, Usage: "L2 weight decay, >= 0"},
		&cli.IntFlag{Name: "val-size", Value: 0, Usage: "training images held out for validation, chosen with --seed (the paper holds out 5000 to tune hyper-parameters); 0 trains on all"},
		&cli.Float64Flag{Name: "label-noise", Value: 0, Usage: "probability p in [0, 1) that a training label is replaced by a different class chosen uniformly (symmetric noise), drawn once from --seed and recorded in --out"},
		&cli.BoolFlag{Name: "normalize", Usage: "normalise each colour channel by the training set's mean and standard deviation (the paper does not)"},
		&cli.IntFlag{Name: "width", Value: 64, Usage: "channels of the first ResNet stage (64 in the paper; later stages double it), > 0"},
		&cli.Uint64Flag{Name: "seed", Value: 0, Usage: "seed of every random choice: initialisation, validation split, label noise, data order and augmentation"},
		&cli.StringFlag{Name: "device", Value: "auto", Usage: "where to compute: " + strings.Join(devices, ", ") + " (auto: an NVIDIA GPU if one is usable, else the CPU)"},
	}
}

// trainConfig is a validated training run.
type trainConfig struct {
	Model       string
	Dataset     cifar.Kind
	DataDir     string
	Out         string
	Rho         float64
	M           int // after defaulting: divides BatchSize
	BatchSize   int
	Epochs      int
	LR          float64
	Momentum    float64
	WeightDecay float64
	ValSize     int
	LabelNoise  float64
	Normalize   bool
	Width       int
	Seed        uint64
	Device      string
}

// parseTrainConfig reads and checks the root flags; every error is a
// usageError naming the flag and what it allows.
func parseTrainConfig(c *cli.Context) (*trainConfig, error) {
	cfg := &trainConfig{
		Model:       c.String("model"),
		DataDir:     c.String("data-dir"),
		Out:         c.String("out"),
		Rho:         c.Float64("rho"),
		M:           c.Int("m"),
		BatchSize:   c.Int("batch-size"),
		Epochs:      c.Int("epochs"),
		LR:          c.Float64("lr"),
		Momentum:    c.Float64("momentum"),
		WeightDecay: c.Float64("weight-decay"),
		ValSize:     c.Int("val-size"),
		LabelNoise:  c.Float64("label-noise"),
		Normalize:   c.Bool("normalize"),
		Width:       c.Int("width"),
		Seed:        c.Uint64("seed"),
		Device:      c.String("device"),
	}
	if c.Args().Present() {
		return nil, usagef("unexpected argument %q: training takes only flags; subcommands are: data", c.Args().First())
	}
	if err := oneOf("model", cfg.Model, models); err != nil {
		return nil, err
	}
	if err := oneOf("dataset", c.String("dataset"), datasets); err != nil {
		return nil, err
	}
	cfg.Dataset, _ = cifar.ParseKind(c.String("dataset"))
	if err := oneOf("device", cfg.Device, devices); err != nil {
		return nil, err
	}
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case bad(cfg.Rho) || cfg.Rho < 0:
		return nil, usagef("--rho %v: want a finite radius >= 0 (0 is plain SGD; the paper uses 0.05 to 0.4)", cfg.Rho)
	case cfg.BatchSize <= 0:
		return nil, usagef("--batch-size %d: want a positive number of examples", cfg.BatchSize)
	case cfg.M < 0 || (cfg.M > 0 && cfg.BatchSize%cfg.M != 0):
		return nil, usagef("--m %d: want a divisor of --batch-size %d (1 to %d), or 0 for m = batch size", cfg.M, cfg.BatchSize, cfg.BatchSize)
	case cfg.Epochs <= 0:
		return nil, usagef("--epochs %d: want a positive number", cfg.Epochs)
	case bad(cfg.LR) || cfg.LR <= 0:
		return nil, usagef("--lr %v: want a finite learning rate > 0", cfg.LR)
	case bad(cfg.Momentum) || cfg.Momentum < 0 || cfg.Momentum >= 1:
		return nil, usagef("--momentum %v: want a number in [0, 1)", cfg.Momentum)
	case bad(cfg.WeightDecay) || cfg.WeightDecay < 0:
		return nil, usagef("--weight-decay %v: want a finite number >= 0", cfg.WeightDecay)
	case cfg.ValSize < 0 || cfg.ValSize >= 50000:
		return nil, usagef("--val-size %d: want 0 to 49999 training images (the paper holds out 5000)", cfg.ValSize)
	case math.IsNaN(cfg.LabelNoise) || cfg.LabelNoise < 0 || cfg.LabelNoise >= 1:
		return nil, usagef("--label-noise %v: want a probability in [0, 1)", cfg.LabelNoise)
	case cfg.Width <= 0:
		return nil, usagef("--width %d: want a positive number of channels", cfg.Width)
	case cfg.Out == "":
		return nil, usagef("--out: want a directory")
	}
	if cfg.M == 0 {
		cfg.M = cfg.BatchSize
	}
	if err := checkDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	return cfg, nil
}

func oneOf(flag, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return usagef("--%s %q: want one of %s", flag, v, strings.Join(allowed, ", "))
}

// checkDataDir rejects a --data-dir that does not exist or is not a
// directory, saying how to fill it.
func checkDataDir(dir string) error {
	if dir == "" {
		return usagef("--data-dir: want a directory")
	}
	st, err := os.Stat(dir)
	if err != nil {
		return usagef("--data-dir %s: no such directory; want an existing directory (create it with 'samtrain data download --data-dir %s', or point --data-dir at an offline copy)", dir, dir)
	}
	if !st.IsDir() && !strings.HasSuffix(dir, ".tar.gz") {
		return usagef("--data-dir %s: not a directory; want the directory holding the data set", dir)
	}
	return nil
}

// String describes the run in one line, for logs.
func (c *trainConfig) String() string {
	return fmt.Sprintf("model=%s dataset=%v rho=%g m=%d batch-size=%d epochs=%d lr=%g momentum=%g weight-decay=%g val-size=%d label-noise=%g normalize=%v width=%d seed=%d device=%s",
		c.Model, c.Dataset, c.Rho, c.M, c.BatchSize, c.Epochs, c.LR, c.Momentum, c.WeightDecay, c.ValSize, c.LabelNoise, c.Normalize, c.Width, c.Seed, c.Device)
}
