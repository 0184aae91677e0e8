package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/datasets/cifar"
	"github.com/samtrain/samtrain/train"
)

// evalCommand returns "samtrain eval CHECKPOINT": the loss and error of a
// checkpoint's model on the training (and validation) and test images.
func evalCommand() *cli.Command {
	return &cli.Command{
		Name:      "eval",
		Usage:     "loss and error of a checkpoint's model on the training and test images",
		ArgsUsage: "CHECKPOINT",
		Description: "Evaluates with BatchNorm in eval mode (running statistics), without augmentation, on the\n" +
			"data view the run trained on (same validation split and label noise, from the checkpoint's settings).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Value: defaultDataDir, Usage: "`DIR` holding the data set"},
			&cli.IntFlag{Name: "batch", Value: 500, Usage: "images per pass"},
			&cli.StringFlag{Name: "device", Value: "auto", Usage: "where to compute: " + strings.Join(devices, ", ")},
			precisionFlag(),
			&cli.IntFlag{Name: "threads", Value: defaultThreads(), Usage: "goroutines per kernel of the CPU backend"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object instead of lines"},
		},
		OnUsageError: onUsageError,
		Action:       evalAction,
	}
}

func evalAction(c *cli.Context) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	if c.NArg() != 1 {
		return usagef("eval takes one CHECKPOINT, got %d arguments", c.NArg())
	}
	if c.Int("batch") <= 0 || c.Int("threads") <= 0 {
		return usagef("--batch and --threads: want positive numbers")
	}
	if err := oneOf("device", c.String("device"), devices); err != nil {
		return err
	}
	prec, err := parsePrecision(c, c.String("device"))
	if err != nil {
		return err
	}
	ck, err := train.LoadCheckpoint(c.Args().First())
	if err != nil {
		return err
	}
	view, err := openView(c.String("data-dir"), &ck.Spec)
	if err != nil {
		return err
	}
	// Notes about the device go to stderr: with --json, stdout is one object.
	dev, err := openDevice(c.App.ErrWriter, c.String("device"), c.Int("threads"), prec)
	if err != nil {
		return err
	}
	defer dev.Close()
	m, err := ck.NewModel(dev.Backend)
	if err != nil {
		return err
	}
	out := map[string]train.Score{}
	for _, sp := range []struct {
		name string
		s    *cifar.Split
	}{{"train", view.Train}, {"val", view.Val}, {"test", view.Test}} {
		if sp.s == nil {
			continue
		}
		sc, err := train.Evaluate(c.Context, m, sp.s, view.Norm, c.Int("batch"))
		if err != nil {
			return err
		}
		out[sp.name] = sc
	}
	if c.Bool("json") {
		b, _ := json.Marshal(map[string]any{"checkpoint": c.Args().First(), "epoch": ck.Epoch, "scores": out})
		fmt.Fprintln(c.App.Writer, string(b))
		return nil
	}
	fmt.Fprintf(c.App.Writer, "%s: %s %s width %d, after %d epochs\n", c.Args().First(), ck.Spec.Model, ck.Spec.Dataset, ck.Spec.Width, ck.Epoch)
	for _, name := range []string{"train", "val", "test"} {
		if sc, ok := out[name]; ok {
			fmt.Fprintf(c.App.Writer, "%-5s loss %.4f  error %6.2f%%  (%d images)\n", name, sc.Loss, 100*sc.Err, sc.N)
		}
	}
	return nil
}
