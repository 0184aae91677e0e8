// Command samtrain trains neural networks with Sharpness-Aware Minimization
// (SAM, m-SAM) and reproduces "Towards Understanding Sharpness-Aware
// Minimization" (Andriushchenko & Flammarion, ICML 2022).
//
// Training is the root command (samtrain --model resnet18 --dataset cifar10
// --rho 0.05 --m 128); other work lives in subcommands (samtrain data ...).
// Each subcommand is built by a constructor in its own file (dataCommand in
// data.go); add new ones to the Commands list in newApp.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	// Ctrl-C cancels the context, so that a download removes its
	// temporary folder before samtrain exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the work failed
	exitUsage = 2 // bad flags or arguments; nothing was done
)

// run runs the app with args and returns the exit status. Errors are
// printed once, on one line, to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := newApp(stdout, stderr).RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "samtrain:", err)
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	return exitError
}

// newApp builds the samtrain command line: training on the root, the other
// commands from their constructors.
func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "samtrain",
		Usage: "train neural networks with Sharpness-Aware Minimization (SAM, m-SAM)",
		UsageText: "samtrain [flags]                     train (see the flags below)\n" +
			"samtrain data download|verify|info   get and check CIFAR-10/100\n" +
			"samtrain selftest                    check the GPU against reference computations\n" +
			"samtrain experiment dln|relu1d       the paper's simple-model experiments\n" +
			"samtrain eval CHECKPOINT             loss and error of a trained model\n" +
			"samtrain interpolate A B             losses along (1-t)A + tB\n" +
			"samtrain plot RUN...                 PNG of training curves or of an interpolation\n" +
			"samtrain export CHECKPOINT OUT       weights as safetensors with PyTorch names\n" +
			"samtrain bench                       images/s of ERM, n-SAM and m-SAM steps",
		Description: trainDescription,
		Flags:       trainFlags(),
		Action:      trainAction,
		Commands: []*cli.Command{
			dataCommand(),
			selftestCommand(),
			experimentCommand(),
			evalCommand(),
			interpolateCommand(),
			plotCommand(),
			exportCommand(),
			benchCommand(),
		},
		Writer:         stdout,
		ErrWriter:      stderr,
		OnUsageError:   onUsageError,
		ExitErrHandler: func(*cli.Context, error) {}, // run prints and exits
		HideVersion:    true,
	}
}

// usageError is a bad flag or argument: one line naming it and what is
// allowed; samtrain exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// onUsageError turns urfave/cli's parse errors (unknown flag, value that
// does not parse) into usage errors instead of printing the whole help.
func onUsageError(c *cli.Context, err error, isSubcommand bool) error {
	return usagef("%v (see --help)", err)
}

// flagsFirst rejects a flag given after a subcommand's arguments, which
// urfave/cli would take as an argument.
func flagsFirst(c *cli.Context) error {
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			return usagef("%s: flags go before the arguments (samtrain %s [flags] %s)", a, c.Command.Name, c.Command.ArgsUsage)
		}
	}
	return nil
}
