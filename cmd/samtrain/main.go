// Command samtrain trains neural networks with Sharpness-Aware Minimization.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	app := &cli.App{
		Name:  "samtrain",
		Usage: "train neural networks with Sharpness-Aware Minimization (SAM, m-SAM)",
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "samtrain:", err)
		os.Exit(1)
	}
}
