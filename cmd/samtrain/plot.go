package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/train"
)

// plotCommand returns "samtrain plot RUN...": PNG figures of training
// curves or of an interpolation.
func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "PNG of the loss and error curves of runs side by side, or of an interpolation",
		ArgsUsage: "RUN... | INTERPOLATION.jsonl",
		Description: "Each RUN is an output folder of a training run (or its metrics.jsonl); the figure has a loss panel\n" +
			"and an error panel, training solid and test dashed, one colour per run. Given the output of\n" +
			"'samtrain interpolate', it plots loss and error along t.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: "plot.png", Usage: "`FILE` receiving the PNG"},
		},
		OnUsageError: onUsageError,
		Action:       plotAction,
	}
}

func plotAction(c *cli.Context) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	if c.NArg() == 0 {
		return usagef("plot takes one or more run folders, or an interpolation file")
	}
	out := c.String("out")
	if c.NArg() == 1 && isInterpolation(c.Args().First()) {
		pts, err := train.ReadPoints(c.Args().First())
		if err != nil {
			return err
		}
		if err := train.PlotInterpolation(out, pts); err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "wrote %s (%d points)\n", out, len(pts))
		return nil
	}
	var runs []train.Curve
	for _, p := range c.Args().Slice() {
		ms, err := train.ReadMetrics(p)
		if err != nil {
			return err
		}
		name := filepath.Base(strings.TrimSuffix(filepath.Clean(p), "/"+train.MetricsFile))
		runs = append(runs, train.Curve{Name: name, Metrics: ms})
	}
	if err := train.PlotRuns(out, runs); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %s (%d runs)\n", out, len(runs))
	return nil
}

// isInterpolation reports whether p is a file whose first line is an
// interpolation point (it has a "t" field).
func isInterpolation(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(sc.Bytes(), &m) != nil {
		return false
	}
	_, ok := m["t"]
	return ok
}
