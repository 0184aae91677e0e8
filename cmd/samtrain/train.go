package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/datasets/cifar"
)

// trainAction is the root command: validate the flags, open the data and
// build the training view, then train.
func trainAction(c *cli.Context) error {
	cfg, err := parseTrainConfig(c)
	if err != nil {
		return err
	}
	data, err := openData(cfg.DataDir, cfg.Dataset)
	if err != nil {
		return err
	}
	train, val, err := cifar.HoldOut(data.Train, cfg.ValSize, cfg.Seed)
	if err != nil {
		return usagef("--val-size %d: want fewer than the %d training images", cfg.ValSize, data.Train.Len())
	}
	if cfg.LabelNoise > 0 {
		if train, err = train.WithLabelNoise(cfg.LabelNoise, cfg.Seed); err != nil {
			return err
		}
	}
	nval := 0
	if val != nil {
		nval = val.Len()
	}
	fmt.Fprintf(c.App.Writer, "run: %v\n", cfg)
	fmt.Fprintf(c.App.Writer, "data: %s: %d training images (%d with noisy labels), %d validation, %d test\n",
		data.Source, train.Len(), train.Noisy(), nval, data.Test.Len())
	// The models (nets/resnet), the SAM optimiser (optim) and the training
	// loop come in their own issues; the lead wires them here.
	return errors.New("training is not wired yet: flags and data are checked, but the models and the SAM optimiser are not connected to this command")
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
