package main

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/cuda"
	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/train"
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
	models   = train.Models
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
		precisionFlag(),
		&cli.IntFlag{Name: "threads", Value: defaultThreads(), Usage: "goroutines per kernel of the CPU backend (its Par)"},
		&cli.StringFlag{Name: "schedule", Value: "piecewise", Usage: "learning-rate schedule, evaluated at every step: " + strings.Join(train.Schedules, ", ") + " (piecewise: lr until 50% of training, lr/10 until 75%, then lr/100)"},
		&cli.IntSliceFlag{Name: "milestones", Usage: "epochs at which the multistep schedule divides the rate by 10 (e.g. 100,150)"},
		&cli.IntFlag{Name: "warmup-epochs", Usage: "linear learning-rate warm-up over this many epochs; 0 is none"},
		&cli.BoolFlag{Name: "nesterov", Usage: "Nesterov momentum"},
		&cli.StringFlag{Name: "decay", Value: "l2", Usage: "how weight decay applies: l2 (a term of the loss, so SAM's ascent sees it too; the paper's), coupled (torch.optim.SGD's weight_decay) or decoupled (SGDW)"},
		&cli.StringFlag{Name: "bn-policy", Value: "both", Usage: "BatchNorm running statistics during SAM's two passes: both (updated in both, the paper's), first (only in the clean pass) or eval (eval-mode statistics in both)"},
		&cli.IntFlag{Name: "sam-from", Usage: "first epoch (0-based) that uses SAM; ERM before (the paper's ERM->SAM switch)"},
		&cli.IntFlag{Name: "sam-until", Usage: "first epoch (0-based) back to ERM (SAM->ERM switch); 0 means SAM to the end"},
		&cli.BoolFlag{Name: "unnormalized", Usage: "SAM ascent rho*g instead of rho*g/||g|| (the variant of the paper's convergence theorem)"},
		&cli.BoolFlag{Name: "rho-by-lr", Usage: "scale rho with the learning rate: rho_t = rho * lr_t"},
		&cli.IntFlag{Name: "ascent-steps", Usage: "multi-step ascent: projected gradient steps in the rho-ball; 0 is plain SAM"},
		&cli.BoolFlag{Name: "asam", Usage: "adaptive SAM (ASAM): element-wise |w|+eta scaling of the perturbation"},
		&cli.Float64Flag{Name: "eta", Usage: "ASAM's eta, >= 0"},
		&cli.BoolFlag{Name: "random-perturbation", Usage: "control run: a random direction with the norm of the SAM perturbation"},
		&cli.BoolFlag{Name: "no-augment", Usage: "train without the random crop and flip"},
		&cli.StringFlag{Name: "norm-layer", Value: "batch", Usage: "normalisation layer of the network: batch (BatchNorm) or group (GroupNorm)"},
		&cli.IntFlag{Name: "eval-batch", Value: 500, Usage: "images per evaluation pass"},
		&cli.BoolFlag{Name: "resume", Usage: "continue the run whose checkpoint is in --out (same flags)"},
		&cli.StringFlag{Name: "finetune-from", Usage: "`CHECKPOINT` (or exported weights) whose model starts the run, e.g. an ERM model to continue with SAM"},
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
	Precision   cuda.Precision // of the GPU's convolutions and GEMMs

	Threads, EvalBatch int
	Resume             bool
	Spec               train.Spec // every setting that determines the result
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
		var names []string
		for _, cmd := range c.App.VisibleCommands() {
			if cmd.Name != "help" {
				names = append(names, cmd.Name)
			}
		}
		return nil, usagef("unexpected argument %q: training takes only flags; subcommands are: %s", c.Args().First(), strings.Join(names, ", "))
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
	var err error
	if cfg.Precision, err = parsePrecision(c, cfg.Device); err != nil {
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
	cfg.Threads, cfg.EvalBatch, cfg.Resume = c.Int("threads"), c.Int("eval-batch"), c.Bool("resume")
	if cfg.Threads <= 0 {
		return nil, usagef("--threads %d: want a positive number of goroutines", cfg.Threads)
	}
	if cfg.EvalBatch <= 0 {
		return nil, usagef("--eval-batch %d: want a positive number of images", cfg.EvalBatch)
	}
	cfg.Spec = train.Spec{
		Model: cfg.Model, Dataset: cfg.Dataset.String(), Width: cfg.Width, Norm: c.String("norm-layer"),
		Epochs: cfg.Epochs, BatchSize: cfg.BatchSize, LR: cfg.LR, Schedule: c.String("schedule"),
		Milestones: c.IntSlice("milestones"), WarmupEpochs: c.Int("warmup-epochs"),
		Momentum: cfg.Momentum, Nesterov: c.Bool("nesterov"), WeightDecay: cfg.WeightDecay, Decay: c.String("decay"),
		Rho: cfg.Rho, M: cfg.M, Unnormalized: c.Bool("unnormalized"), RhoByLR: c.Bool("rho-by-lr"),
		BNPolicy: c.String("bn-policy"), SAMFrom: c.Int("sam-from"), SAMUntil: c.Int("sam-until"),
		AscentSteps: c.Int("ascent-steps"), Adaptive: c.Bool("asam"), Eta: c.Float64("eta"), RandomPert: c.Bool("random-perturbation"),
		Augment: !c.Bool("no-augment"), Normalize: cfg.Normalize, LabelNoise: cfg.LabelNoise, ValSize: cfg.ValSize,
		Seed: cfg.Seed, FinetuneFrom: c.String("finetune-from"),
	}
	if err := cfg.Spec.Validate(); err != nil {
		return nil, usagef("%s", strings.TrimPrefix(err.Error(), "train: "))
	}
	if cfg.Resume && cfg.Spec.FinetuneFrom != "" {
		return nil, usagef("--resume and --finetune-from: give one (a resumed run already has its weights)")
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
	return fmt.Sprintf("model=%s dataset=%v rho=%g m=%d batch-size=%d epochs=%d lr=%g momentum=%g weight-decay=%g val-size=%d label-noise=%g normalize=%v width=%d seed=%d device=%s precision=%v",
		c.Model, c.Dataset, c.Rho, c.M, c.BatchSize, c.Epochs, c.LR, c.Momentum, c.WeightDecay, c.ValSize, c.LabelNoise, c.Normalize, c.Width, c.Seed, c.Device, c.Precision)
}
