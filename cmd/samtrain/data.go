package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/datasets/cifar"
)

// dataCommand returns "samtrain data": download, verify and describe the
// CIFAR data sets.
func dataCommand() *cli.Command {
	dataDir := &cli.StringFlag{Name: "data-dir", Value: defaultDataDir, Usage: "`DIR` holding (or to receive) cifar-10-batches-bin/ and cifar-100-binary/"}
	dataset := &cli.StringFlag{Name: "dataset", Value: "cifar10", Usage: "data set: cifar10, cifar100 (download also takes all)"}
	return &cli.Command{
		Name:  "data",
		Usage: "download, verify and describe CIFAR-10/100",
		Description: `The data sets are read in the official binary layout, from DIR/cifar-10-batches-bin/
(data_batch_1..5.bin, test_batch.bin) and DIR/cifar-100-binary/ (train.bin, test.bin),
or straight from the official cifar-10-binary.tar.gz / cifar-100-binary.tar.gz in DIR.
Offline: copy either form into DIR; nothing else is needed.`,
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unknown data command %q: want download, verify or info", c.Args().First())
			}
			return cli.ShowSubcommandHelp(c)
		},
		Subcommands: []*cli.Command{
			{
				Name:  "download",
				Usage: "fetch the official archives over HTTPS, check their MD5 and extract them into --data-dir",
				Description: "Checks the MD5 published on https://www.cs.toronto.edu/~kriz/cifar.html, records SHA-256 sums\n" +
					"in <folder>/" + cifar.SumsFile + ", and extracts through a temporary folder, so a failed or interrupted\n" +
					"download leaves nothing behind. A data set already present is left alone.",
				Flags: []cli.Flag{
					dataDir, dataset,
					&cli.StringFlag{Name: "base-url", Value: cifar.DefaultBaseURL, Usage: "`URL` of the folder holding the archives (a mirror)"},
					&cli.StringFlag{Name: "md5", Usage: "expected MD5 of the archive, for a mirror of another build (default: the published sum)"},
					&cli.DurationFlag{Name: "stall-timeout", Value: time.Minute, Usage: "give up when no data arrives for this long"},
					&cli.BoolFlag{Name: "keep-archive", Usage: "keep the .tar.gz next to the extracted folder"},
				},
				OnUsageError: onUsageError,
				Action:       dataDownload,
			},
			{
				Name:         "verify",
				Usage:        "check structure, labels and recorded checksums of the data in --data-dir",
				Flags:        []cli.Flag{dataDir, dataset},
				OnUsageError: onUsageError,
				Action:       dataVerify,
			},
			{
				Name:         "info",
				Usage:        "count the images per split and per class",
				Flags:        []cli.Flag{dataDir, dataset},
				OnUsageError: onUsageError,
				Action:       dataInfo,
			},
		},
	}
}

// dataKinds parses --dataset; all is allowed when all is true.
func dataKinds(c *cli.Context, all bool) ([]cifar.Kind, error) {
	if c.Args().Present() {
		return nil, usagef("unexpected argument %q: data %s takes only flags", c.Args().First(), c.Command.Name)
	}
	v := c.String("dataset")
	if all && v == "all" {
		return []cifar.Kind{cifar.CIFAR10, cifar.CIFAR100}, nil
	}
	allowed := datasets
	if all {
		allowed = append(append([]string(nil), datasets...), "all")
	}
	if err := oneOf("dataset", v, allowed); err != nil {
		return nil, err
	}
	k, _ := cifar.ParseKind(v)
	return []cifar.Kind{k}, nil
}

func dataDownload(c *cli.Context) error {
	kinds, err := dataKinds(c, true)
	if err != nil {
		return err
	}
	if c.Duration("stall-timeout") <= 0 {
		return usagef("--stall-timeout %v: want a positive duration", c.Duration("stall-timeout"))
	}
	if c.String("md5") != "" && len(kinds) > 1 {
		return usagef("--md5: give one --dataset, not all")
	}
	dir := c.String("data-dir")
	d := &cifar.Downloader{
		BaseURL:      c.String("base-url"),
		MD5:          c.String("md5"),
		StallTimeout: c.Duration("stall-timeout"),
		Progress:     c.App.ErrWriter,
		Terminal:     isTerminal(c.App.ErrWriter),
		KeepArchive:  c.Bool("keep-archive"),
	}
	for _, k := range kinds {
		res, err := d.Download(c.Context, dir, k)
		if err != nil {
			return err
		}
		if res.Existed {
			fmt.Fprintf(c.App.Writer, "%v: already in %s (check it with 'samtrain data verify --dataset %v --data-dir %s')\n", k, res.Folder, k, dir)
			continue
		}
		fmt.Fprintf(c.App.Writer, "%v: %s: %d bytes, MD5 %s (matches), SHA-256 %s\n", k, res.URL, res.Bytes, res.MD5, res.SHA256)
		fmt.Fprintf(c.App.Writer, "%v: extracted to %s\n", k, res.Folder)
	}
	return nil
}

func dataVerify(c *cli.Context) error {
	kinds, err := dataKinds(c, false)
	if err != nil {
		return err
	}
	lines, err := cifar.Verify(c.String("data-dir"), kinds[0])
	for _, l := range lines {
		fmt.Fprintln(c.App.Writer, l)
	}
	if err != nil {
		return dataHint(err, c.String("data-dir"), kinds[0])
	}
	fmt.Fprintf(c.App.Writer, "%v: OK\n", kinds[0])
	return nil
}

func dataInfo(c *cli.Context) error {
	kinds, err := dataKinds(c, false)
	if err != nil {
		return err
	}
	k := kinds[0]
	d, err := cifar.Open(c.String("data-dir"), k)
	if err != nil {
		return dataHint(err, c.String("data-dir"), k)
	}
	writeInfo(c.App.Writer, d)
	return nil
}

// writeInfo prints the number of images per split and per class.
func writeInfo(w io.Writer, d *cifar.Data) {
	fmt.Fprintf(w, "%v: %s\n", d.Kind, d.Source)
	fmt.Fprintf(w, "train: %d images\ntest:  %d images\n", d.Train.Len(), d.Test.Len())
	names := d.Kind.ClassNames()
	train, test := d.Train.ClassCounts(), d.Test.ClassCounts()
	fmt.Fprintf(w, "%-4s %-16s %7s %7s\n", "id", "class", "train", "test")
	for i, name := range names {
		fmt.Fprintf(w, "%-4d %-16s %7d %7d\n", i, name, train[i], test[i])
	}
	if b, ok := balanced(train, test); ok {
		fmt.Fprintf(w, "balanced: %d classes, %s\n", len(names), b)
	} else {
		fmt.Fprintf(w, "not balanced: %s\n", b)
	}
}

// balanced reports whether every class has the same number of images in
// each split, and describes the counts.
func balanced(train, test []int) (string, bool) {
	mm := func(v []int) (lo, hi int) {
		lo, hi = v[0], v[0]
		for _, x := range v {
			lo, hi = min(lo, x), max(hi, x)
		}
		return lo, hi
	}
	a, b := mm(train)
	c, d := mm(test)
	if a == b && c == d {
		return fmt.Sprintf("%d training and %d test images per class", a, c), true
	}
	return fmt.Sprintf("per class %d to %d training and %d to %d test images", a, b, c, d), false
}

// dataHint adds to a missing-data error how to get the data.
func dataHint(err error, dir string, k cifar.Kind) error {
	if errors.Is(err, cifar.ErrNotFound) {
		return fmt.Errorf("%w; get it with 'samtrain data download --dataset %v --data-dir %s' or copy %s/ or %s into %s",
			err, k, dir, k.Folder(), k.ArchiveName(), dir)
	}
	return err
}

// isTerminal reports whether w is a character device (a terminal), where
// the download progress redraws one line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && !strings.EqualFold(os.Getenv("TERM"), "dumb")
}
