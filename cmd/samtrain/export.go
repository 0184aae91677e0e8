package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/train"
)

// exportCommand returns "samtrain export CHECKPOINT OUT.safetensors".
func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a checkpoint's weights as safetensors with PyTorch state_dict names",
		ArgsUsage: "CHECKPOINT OUT.safetensors",
		Description: "The file holds the model's parameters and BatchNorm buffers (float32, num_batches_tracked as int64)\n" +
			"under the names of the same PyTorch model's state_dict: load it with safetensors.torch.load_file and\n" +
			"model.load_state_dict. It is also accepted by --finetune-from.",
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if err := flagsFirst(c); err != nil {
				return err
			}
			if c.NArg() != 2 {
				return usagef("export takes CHECKPOINT OUT.safetensors, got %d arguments", c.NArg())
			}
			if err := train.Export(c.Args().Get(0), c.Args().Get(1)); err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "wrote %s\n", c.Args().Get(1))
			return nil
		},
	}
}
