package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/experiments/dln"
	"github.com/samtrain/samtrain/experiments/relu1d"
)

// experimentCommand returns `samtrain experiment` with the paper's
// simple-model experiments: diagonal linear networks and 1-D ReLU networks.
func experimentCommand() *cli.Command {
	return &cli.Command{
		Name:  "experiment",
		Usage: "reproduce the paper's simple-model experiments",
		Subcommands: []*cli.Command{
			dlnCommand(),
			relu1dCommand(),
		},
	}
}

func dlnCommand() *cli.Command {
	return &cli.Command{
		Name:  "dln",
		Usage: "diagonal linear networks: GD, SGD, n-SAM and 1-SAM on sparse regression (Section 4)",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "n", Value: 20, Usage: "training points"},
			&cli.IntFlag{Name: "n-test", Value: 1000, Usage: "test points"},
			&cli.IntFlag{Name: "d", Value: 30, Usage: "dimension"},
			&cli.IntFlag{Name: "k", Value: 3, Usage: "sparsity of β*"},
			&cli.Uint64Flag{Name: "seed", Value: 0, Usage: "np.random.seed of the data draw; also seeds SGD's example order"},
			&cli.StringFlag{Name: "x", Usage: "read X from this .npy or CSV file instead of drawing data (needs --y, --x-test, --y-test)"},
			&cli.StringFlag{Name: "y", Usage: "training labels file"},
			&cli.StringFlag{Name: "x-test", Usage: "test inputs file"},
			&cli.StringFlag{Name: "y-test", Usage: "test labels file"},
			&cli.StringFlag{Name: "beta-star", Usage: "ground-truth β file for loaded data (enables the support columns)"},
			&cli.Float64Flag{Name: "alpha", Value: 0.1, Usage: "initialisation u = α·1, v = 0"},
			&cli.Float64Flag{Name: "gamma", Usage: "step size (default 10/d)"},
			&cli.IntFlag{Name: "iters", Value: 10000, Usage: "iterations per run (up to 10^6)"},
			&cli.StringFlag{Name: "methods", Value: "gd,sgd,nsam,1sam", Usage: "comma-separated methods: gd, sgd, nsam, 1sam"},
			&cli.StringFlag{Name: "rho", Value: "0.01,0.03,0.1,0.3,1", Usage: "comma-separated ρ grid for n-SAM and 1-SAM (the paper's ρ)"},
			&cli.IntFlag{Name: "switch-at", Usage: "iteration of the GD→1-SAM and 1-SAM→GD switches (default iters/10; negative: no switching runs)"},
			&cli.Float64Flag{Name: "switch-rho", Usage: "ρ of the switching runs (default: the grid's best 1-SAM ρ by test loss)"},
			&cli.Float64Flag{Name: "support-tol", Value: 1e-2, Usage: "|β_j| above which coordinate j is in the support"},
			&cli.BoolFlag{Name: "theory", Value: true, Usage: "compute each run's effective α"},
			&cli.StringFlag{Name: "out", Usage: "directory for results.csv, curves.csv, line.csv and the PNG plots"},
			&cli.StringFlag{Name: "save-data", Usage: "directory to write the data to as .npy files"},
		},
		Action: func(c *cli.Context) error {
			data, err := dlnData(c)
			if err != nil {
				return err
			}
			if dir := c.String("save-data"); dir != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				if err := data.SaveNPY(dir); err != nil {
					return err
				}
			}
			var methods []dln.Method
			for _, s := range strings.Split(c.String("methods"), ",") {
				m, err := dln.ParseMethod(s)
				if err != nil {
					return err
				}
				methods = append(methods, m)
			}
			rhos, err := parseFloats(c.String("rho"))
			if err != nil {
				return fmt.Errorf("--rho: %w", err)
			}
			if c.Int("iters") > 1000000 {
				return fmt.Errorf("--iters %d: at most 10^6", c.Int("iters"))
			}
			rep, err := dln.RunExperiment(c.Context, data, dln.ExperimentConfig{
				Methods: methods, Rhos: rhos, Alpha: c.Float64("alpha"), Gamma: c.Float64("gamma"),
				Iters: c.Int("iters"), Seed: c.Uint64("seed"), SwitchAt: c.Int("switch-at"),
				SwitchRho: c.Float64("switch-rho"), SupportTol: c.Float64("support-tol"),
				Theory: c.Bool("theory"), Log: c.App.ErrWriter,
			})
			if err != nil {
				return err
			}
			return writeReport(c, rep)
		},
	}
}

func dlnData(c *cli.Context) (*dln.Data, error) {
	files := []string{c.String("x"), c.String("y"), c.String("x-test"), c.String("y-test")}
	given := 0
	for _, f := range files {
		if f != "" {
			given++
		}
	}
	switch given {
	case 0:
		seed := c.Uint64("seed")
		if seed > 1<<32-1 {
			return nil, fmt.Errorf("--seed %d: np.random.seed takes 32-bit seeds", seed)
		}
		for _, name := range []string{"n", "n-test", "d", "k"} {
			if c.Int(name) <= 0 {
				return nil, fmt.Errorf("--%s %d: want > 0", name, c.Int(name))
			}
		}
		return dln.Generate(dln.DataConfig{N: c.Int("n"), NTest: c.Int("n-test"), D: c.Int("d"), K: c.Int("k"), Seed: uint32(seed)})
	case 4:
		d, err := dln.LoadFiles(files[0], files[1], files[2], files[3])
		if err != nil || c.String("beta-star") == "" {
			return d, err
		}
		b, err := dln.ReadVector(c.String("beta-star"))
		if err != nil {
			return nil, err
		}
		if len(b) != d.D {
			return nil, fmt.Errorf("--beta-star has %d values, want d = %d", len(b), d.D)
		}
		d.BetaStar = b
		return d, nil
	}
	return nil, errors.New("--x, --y, --x-test and --y-test go together")
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func relu1dCommand() *cli.Command {
	return &cli.Command{
		Name:  "relu1d",
		Usage: "1-D two-layer ReLU networks: kinks of the functions GD and SAM fit",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "seeds", Value: "0,1,2,3,4", Usage: "comma-separated initialisation seeds"},
			&cli.IntFlag{Name: "hidden", Value: 100, Usage: "hidden units"},
			&cli.Float64Flag{Name: "lr", Value: 5e-5, Usage: "GD learning rate for the loss ½Σr²"},
			&cli.Float64Flag{Name: "rho", Value: 0.3, Usage: "SAM ρ (normalised ascent)"},
			&cli.IntFlag{Name: "max-steps", Value: 1000000, Usage: "step limit"},
			&cli.Float64Flag{Name: "target-loss", Value: 1e-5, Usage: "stop once ½Σr² ≤ this"},
			&cli.BoolFlag{Name: "sam-lr-decay", Usage: "decay SAM's learning rate linearly to 0 over max-steps, as the authors' notebook does"},
			&cli.StringFlag{Name: "kink-thresholds", Value: "0.01,0.1,1", Usage: "comma-separated thresholds on |a_j·w_j|"},
			&cli.Float64Flag{Name: "kink-merge", Value: 1e-3, Usage: "kinks closer than this count once"},
			&cli.StringFlag{Name: "out", Usage: "directory for results.csv and the PNG plots"},
		},
		Action: func(c *cli.Context) error {
			var seeds []uint64
			for _, s := range strings.Split(c.String("seeds"), ",") {
				v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
				if err != nil {
					return fmt.Errorf("--seeds: %w", err)
				}
				seeds = append(seeds, v)
			}
			thr, err := parseFloats(c.String("kink-thresholds"))
			if err != nil {
				return fmt.Errorf("--kink-thresholds: %w", err)
			}
			if c.Int("hidden") <= 0 || c.Int("max-steps") < 0 {
				return fmt.Errorf("--hidden %d, --max-steps %d: want > 0 and ≥ 0", c.Int("hidden"), c.Int("max-steps"))
			}
			rep, err := relu1d.RunExperiment(c.Context, relu1d.ExperimentConfig{
				Seeds: seeds, Hidden: c.Int("hidden"), LR: c.Float64("lr"), Rho: c.Float64("rho"),
				MaxSteps: c.Int("max-steps"), TargetLoss: c.Float64("target-loss"), SAMLRDecay: c.Bool("sam-lr-decay"),
				Thresholds: thr, Merge: c.Float64("kink-merge"), Log: c.App.ErrWriter,
			})
			if err != nil {
				return err
			}
			return writeReport(c, rep)
		},
	}
}

// report is what both experiments produce: tables for stdout and files
// (CSV, PNG) for --out.
type report interface {
	WriteFiles(dir string) error
	WriteMarkdown(w io.Writer) error
}

// writeReport writes rep's files into --out, if given, and its tables to
// stdout.
func writeReport(c *cli.Context, rep report) error {
	if dir := c.String("out"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := rep.WriteFiles(dir); err != nil {
			return err
		}
	}
	return rep.WriteMarkdown(c.App.Writer)
}
