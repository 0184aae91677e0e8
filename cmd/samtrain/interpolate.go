package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/train"
)

// interpolateCommand returns "samtrain interpolate A B": losses and errors
// along the line between two trained models (the paper's linear
// connectivity plot).
func interpolateCommand() *cli.Command {
	return &cli.Command{
		Name:      "interpolate",
		Usage:     "losses and errors of (1-t)*A + t*B for t in [--from, --to], BatchNorm statistics recomputed at each point",
		ArgsUsage: "A B",
		Description: "A and B are checkpoints of the same network. At each t the trained parameters are interpolated\n" +
			"and the BatchNorm running statistics recomputed as torch.optim.swa_utils.update_bn does: the average of\n" +
			"the batch statistics of --bn-batches training batches of --batch images (shuffled, not augmented), each a\n" +
			"pass in train mode; then the model is scored on --train-images training images and on the test set.\n" +
			"The data view (validation split, label noise) is A's. Writes one JSON object per t to --out.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Value: defaultDataDir, Usage: "`DIR` holding the data set"},
			&cli.StringFlag{Name: "out", Value: "interpolation.jsonl", Usage: "`FILE` receiving one JSON object per point"},
			&cli.Float64Flag{Name: "from", Value: -1, Usage: "first t"},
			&cli.Float64Flag{Name: "to", Value: 2, Usage: "last t"},
			&cli.IntFlag{Name: "points", Value: 31, Usage: "number of values of t, evenly spaced (31: steps of 0.1 on [-1, 2])"},
			&cli.IntFlag{Name: "bn-batches", Value: 20, Usage: "training batches for the BatchNorm statistics of each point"},
			&cli.IntFlag{Name: "batch", Value: 500, Usage: "images per pass"},
			&cli.IntFlag{Name: "train-images", Value: 10000, Usage: "training images scored at each point (a random subset; 0: all)"},
			&cli.IntFlag{Name: "threads", Value: defaultThreads(), Usage: "goroutines per kernel of the CPU backend"},
		},
		OnUsageError: onUsageError,
		Action:       interpolateAction,
	}
}

func interpolateAction(c *cli.Context) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	if c.NArg() != 2 {
		return usagef("interpolate takes two checkpoints A B, got %d arguments", c.NArg())
	}
	from, to, n := c.Float64("from"), c.Float64("to"), c.Int("points")
	switch {
	case math.IsNaN(from) || math.IsNaN(to) || math.IsInf(from, 0) || math.IsInf(to, 0) || from > to:
		return usagef("--from %v --to %v: want finite numbers, from <= to", from, to)
	case n < 1 || (n == 1 && from != to):
		return usagef("--points %d: want >= 2 (1 when --from equals --to)", n)
	case c.Int("bn-batches") <= 0 || c.Int("batch") <= 0 || c.Int("threads") <= 0 || c.Int("train-images") < 0:
		return usagef("--bn-batches, --batch, --threads: want positive numbers; --train-images >= 0")
	}
	a, err := train.LoadCheckpoint(c.Args().Get(0))
	if err != nil {
		return err
	}
	b, err := train.LoadCheckpoint(c.Args().Get(1))
	if err != nil {
		return err
	}
	if a.Spec.Net() != b.Spec.Net() {
		return fmt.Errorf("interpolate: %s is %s width %d, %s is %s width %d: want the same network",
			c.Args().Get(0), a.Spec.Model, a.Spec.Width, c.Args().Get(1), b.Spec.Model, b.Spec.Width)
	}
	be := &cpu.Backend[float32]{Par: c.Int("threads")}
	mb, err := b.NewModel(be)
	if err != nil {
		return err
	}
	ma, err := a.NewModel(be)
	if err != nil {
		return err
	}
	view, err := openView(c.String("data-dir"), &a.Spec)
	if err != nil {
		return err
	}
	tr := view.Train
	if k := c.Int("train-images"); k > 0 && k < tr.Len() {
		if _, tr, err = cifar.HoldOut(view.Train, k, a.Spec.Seed); err != nil {
			return err
		}
	}
	ip := &train.Interpolation{
		Model: ma, A: slices.Clone(ma.Weights()), B: slices.Clone(mb.Weights()),
		Train: tr, Test: view.Test, Norm: view.Norm,
		Batch: c.Int("batch"), BNBatches: c.Int("bn-batches"), Seed: a.Spec.Seed,
	}
	f, err := os.Create(c.String("out"))
	if err != nil {
		return fmt.Errorf("interpolate: %w", err)
	}
	defer f.Close()
	fmt.Fprintf(c.App.Writer, "%d points, BatchNorm statistics from %d batches of %d training images each, train scored on %d images\n",
		n, c.Int("bn-batches"), c.Int("batch"), tr.Len())
	for i := range n {
		t := from
		if n > 1 {
			t = from + (to-from)*float64(i)/float64(n-1)
		}
		pt, err := ip.At(c.Context, t)
		if err != nil {
			return err
		}
		line, _ := json.Marshal(pt)
		if _, err := f.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("interpolate: %w", err)
		}
		fmt.Fprintf(c.App.Writer, "t %6.3f  train loss %.4f err %6.2f%%  test loss %.4f err %6.2f%%\n", t, pt.Train.Loss, 100*pt.Train.Err, pt.Test.Loss, 100*pt.Test.Err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("interpolate: %w", err)
	}
	return f.Close()
}
