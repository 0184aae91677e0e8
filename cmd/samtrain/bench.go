package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/samtrain/samtrain/internal/atomicfile"
	"github.com/samtrain/samtrain/nets/resnet"
	"github.com/samtrain/samtrain/train"
)

// benchCommand returns "samtrain bench": images/s of ERM, n-SAM and m-SAM
// training steps on random data (see train.Bench).
func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure images/s of ERM, n-SAM and m-SAM training steps (random data, float32, CPU or GPU; tf32 or bf16 on the GPU)",
		Description: `Times optimizer steps (SGD with momentum; SAM around it) of the chosen network on one
random batch, for ERM (--rho 0 in training), n-SAM (m = batch size) and m-SAM for each --m,
and prints images/s and each method's time per step relative to ERM (a SAM step is two
forward-backward passes: the ideal ratio is 2), in wall time and in process CPU time
(the better measure on a machine shared with other work). Each method makes --warmup
untimed steps (plus one that builds the graphs); then --steps rounds each time one step of
every method in turn, so that a change of load slows all methods alike.
Use a narrow --width for a quick run; --json writes the table with every step's time.
--device cuda times the steps on an NVIDIA GPU, with the weights, gradients and optimizer
state on the device (see the README, NVIDIA GPUs); --precision tf32 or bf16 times the GPU's convolutions and matrix products in TF32 or in
bfloat16 mixed precision (weights, gradients and optimizer state stay float32).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Value: "preact-resnet18", Usage: "network: " + strings.Join(models, ", ")},
			&cli.IntFlag{Name: "width", Value: 64, Usage: "channels of the first ResNet stage (64 in the paper), > 0"},
			&cli.IntFlag{Name: "batch-size", Value: 128, Usage: "examples per step"},
			&cli.IntSliceFlag{Name: "m", Usage: "m-SAM micro-batch sizes, comma-separated, each dividing --batch-size (default: B, B/2, B/4, 32, 8 for B = --batch-size, those that divide it)"},
			&cli.Float64Flag{Name: "rho", Value: 0.05, Usage: "SAM radius, > 0"},
			&cli.IntFlag{Name: "steps", Value: 5, Usage: "timed steps per method, > 0"},
			&cli.IntFlag{Name: "warmup", Value: 1, Usage: "untimed steps per method before timing, >= 0 (one more always builds the graphs)"},
			&cli.StringFlag{Name: "device", Value: "cpu", Usage: "where to compute: " + strings.Join(devices, ", ")},
			precisionFlag(),
			&cli.IntFlag{Name: "threads", Value: defaultThreads(), Usage: "goroutines per kernel of the CPU backend, > 0"},
			&cli.Uint64Flag{Name: "seed", Value: 0, Usage: "seed of the weights, inputs and labels"},
			&cli.StringFlag{Name: "json", Usage: "also write the results to `FILE` as JSON"},
		},
		OnUsageError: onUsageError,
		Action:       benchAction,
	}
}

// benchReport is what --json writes.
type benchReport struct {
	Date       string              `json:"date"`
	Go         string              `json:"go"`
	GOMAXPROCS int                 `json:"gomaxprocs"`
	Device     string              `json:"device"` // cpu or cuda
	DeviceInfo string              `json:"device_info"`
	Precision  string              `json:"precision"` // fp32, tf32 or bf16 (--precision)
	Model      string              `json:"model"`
	Width      int                 `json:"width"`
	Batch      int                 `json:"batch"`
	Threads    int                 `json:"threads"`
	Steps      int                 `json:"steps"`
	Warmup     int                 `json:"warmup"`
	Results    []benchReportResult `json:"results"`
}

type benchReportResult struct {
	train.BenchResult
	// TimeRatio is the method's mean step time over ERM's, MedianTimeRatio
	// the same for median step times, CPURatio for CPU time per step.
	TimeRatio       float64 `json:"time_ratio"`
	MedianTimeRatio float64 `json:"median_time_ratio"`
	CPURatio        float64 `json:"cpu_ratio"`
}

func benchAction(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("unexpected argument %q: bench takes only flags", c.Args().First())
	}
	name := c.String("model")
	if err := oneOf("model", name, models); err != nil {
		return err
	}
	arch, _ := resnet.ParseArch(name) // checked above
	width, batch, steps, warmup, threads := c.Int("width"), c.Int("batch-size"), c.Int("steps"), c.Int("warmup"), c.Int("threads")
	rho := c.Float64("rho")
	switch {
	case width <= 0:
		return usagef("--width %d: want a positive number of channels", width)
	case batch <= 0:
		return usagef("--batch-size %d: want a positive number of examples", batch)
	case math.IsNaN(rho) || math.IsInf(rho, 0) || rho <= 0:
		return usagef("--rho %v: want a finite radius > 0", rho)
	case steps <= 0:
		return usagef("--steps %d: want a positive number", steps)
	case warmup < 0:
		return usagef("--warmup %d: want a number >= 0", warmup)
	case threads <= 0:
		return usagef("--threads %d: want a positive number", threads)
	}
	ms := c.IntSlice("m")
	if !c.IsSet("m") {
		ms = nil
		for _, m := range []int{batch, batch / 2, batch / 4, 32, 8} {
			if m > 0 && m <= batch && batch%m == 0 {
				ms = append(ms, m)
			}
		}
	}
	for _, m := range ms {
		if m <= 0 || batch%m != 0 {
			return usagef("--m %d: want a divisor of --batch-size %d", m, batch)
		}
	}

	if err := oneOf("device", c.String("device"), devices); err != nil {
		return err
	}
	prec, err := parsePrecision(c, c.String("device"))
	if err != nil {
		return err
	}
	dev, err := openDevice(c.App.Writer, c.String("device"), threads, prec)
	if err != nil {
		return err
	}
	defer dev.Close()
	model, err := resnet.New[float32](dev.Backend, resnet.Config{Arch: arch, Width: width}, c.Uint64("seed"))
	if err != nil {
		return err
	}
	methods := train.BenchMethods(batch, rho, ms)
	res, err := train.Bench(c.Context, model, train.BenchConfig{Batch: batch, Steps: steps, Warmup: warmup, Seed: c.Uint64("seed")}, methods)
	if err != nil {
		return err
	}
	rep := benchReport{
		Date: time.Now().UTC().Format(time.RFC3339), Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Device: dev.Name, DeviceInfo: dev.Desc, Precision: dev.Precision, Model: name, Width: width, Batch: batch, Threads: threads, Steps: steps, Warmup: warmup,
	}
	for _, r := range res {
		rep.Results = append(rep.Results, benchReportResult{
			BenchResult:     r,
			TimeRatio:       res[0].ImagesPerSec / r.ImagesPerSec,
			MedianTimeRatio: res[0].MedianImagesPerSec / r.MedianImagesPerSec,
			CPURatio:        r.CPUSeconds / res[0].CPUSeconds,
		})
	}
	if err := writeBenchTable(c.App.Writer, rep); err != nil {
		return err
	}
	if out := c.String("json"); out != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(out, append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// precisionDesc names the arithmetic of --precision p in the table's title.
func precisionDesc(p string) string {
	switch p {
	case "tf32":
		return "float32 with TF32 convolutions and GEMMs"
	case "bf16":
		return "float32 with bf16 mixed-precision convolutions and GEMMs"
	}
	return "float32"
}

// writeBenchTable prints the report as an aligned table.
func writeBenchTable(w io.Writer, rep benchReport) error {
	fmt.Fprintf(w, "%s width %d, batch %d, %s, on %s (GOMAXPROCS %d), %d timed steps after %d+1 warm-up, %s\n",
		rep.Model, rep.Width, rep.Batch, precisionDesc(rep.Precision), rep.DeviceInfo, rep.GOMAXPROCS, rep.Steps, rep.Warmup, rep.Date)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tm\tpasses\ts/step\timages/s\tmedian images/s\ttime/ERM\tmedian time/ERM\tcpu-s/step\tcpu/ERM\t")
	for _, r := range rep.Results {
		m := "-"
		if r.Rho > 0 {
			m = strconv.Itoa(r.M)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%.1f\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", r.Name, m, r.Passes,
			r.Seconds/float64(r.Steps), r.ImagesPerSec, r.MedianImagesPerSec, r.TimeRatio, r.MedianTimeRatio,
			r.CPUSeconds/float64(r.Steps), r.CPURatio)
	}
	return tw.Flush()
}
