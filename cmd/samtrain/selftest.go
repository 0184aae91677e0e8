package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/samtrain/samtrain/cuda"
	"github.com/samtrain/samtrain/internal/atomicfile"
	"github.com/urfave/cli/v2"
)

// selftestReport is the JSON that `samtrain selftest --json` writes.
type selftestReport struct {
	Time      string       `json:"time"`
	Device    string       `json:"device"`
	Arch      string       `json:"arch"`
	Driver    int          `json:"driver_version"`
	CUDNN     int          `json:"cudnn_version"`
	NVRTC     string       `json:"nvrtc_version"`
	Libraries []string     `json:"libraries"`
	TF32      bool         `json:"tf32"`      // precision is tf32
	Precision string       `json:"precision"` // of the GEMMs and convolutions: fp32, tf32 or bf16
	Seconds   float64      `json:"seconds"`
	Checks    []cuda.Check `json:"checks"`
	Pass      bool         `json:"pass"`
	// Backend summarises the checks of cuda.Backend (every graph.Backend kernel and one
	// ResNet-18 gradient on the GPU against graph/cpu), the Checks named "backend/...".
	Backend string `json:"backend"`
}

// selftestCommand runs cuda.SelfTestPrecision on the GPU: every kernel, SGEMM, convolutions,
// pooling and (m-)SAM steps against float64 references, then every kernel of graph.Backend
// and one ResNet-18 gradient on cuda.Backend against graph/cpu, printing relative errors;
// the GEMMs and convolutions in --precision, judged with cuda.PrecisionTol.
func selftestCommand() *cli.Command {
	return &cli.Command{
		Name:  "selftest",
		Usage: "check the GPU kernels and libraries against CPU references (relative errors)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "device", Value: "cuda", Usage: "cuda (fail without a GPU) or auto (skip without one)"},
			&cli.IntFlag{Name: "ordinal", Value: 0, Usage: "CUDA device number"},
			&cli.StringSliceFlag{Name: "lib-dir", Usage: "folders searched first for libcuda, cuBLAS, NVRTC, cuDNN"},
			&cli.StringFlag{Name: "json", Usage: "write the report to this file"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the random inputs"},
			&cli.StringFlag{Name: "precision", Value: "fp32", Usage: "arithmetic of the GEMMs and convolutions checked: fp32 (tolerance 1e-4), " +
				"tf32 or bf16 (looser tolerances from the formats' rounding, see cuda.PrecisionTol); the other kernels are float32 (1e-4) in all three"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			mode := c.String("device")
			if mode == "cpu" {
				return fmt.Errorf("selftest: --device cpu: the self-test compares the GPU with CPU references; use cuda or auto")
			}
			prec, err := parsePrecision(c, mode)
			if err != nil {
				return err
			}
			cache, err := cuda.DefaultCacheDir()
			if err != nil {
				cache = "" // compile every time
			}
			dirs := append(c.StringSlice("lib-dir"), cuda.SearchDirs("/", os.Getenv)...)
			d, useCUDA, note, err := cuda.Select(mode, func() (*cuda.Device, error) {
				return cuda.Open(cuda.Config{Dirs: dirs, Ordinal: c.Int("ordinal"), CacheDir: cache})
			})
			if err != nil {
				return fmt.Errorf("selftest: %w", err)
			}
			if !useCUDA {
				fmt.Fprintln(c.App.Writer, note)
				return nil
			}
			defer d.Close()
			return runSelftest(c.App.Writer, d, c.Uint64("seed"), prec, c.String("json"))
		},
	}
}

func runSelftest(w io.Writer, d *cuda.Device, seed uint64, prec cuda.Precision, jsonPath string) error {
	fmt.Fprintf(w, "%v, precision %v\n", d, prec)
	start := time.Now()
	checks, err := cuda.SelfTestPrecision(d, seed, prec)
	if err != nil {
		return fmt.Errorf("selftest: %w", err)
	}
	r := selftestReport{
		Time: start.UTC().Format(time.RFC3339), Device: d.String(), Arch: d.Arch(),
		Driver: d.DriverVersion(), CUDNN: d.CUDNNVersion(), Libraries: d.Libraries(),
		Seconds: time.Since(start).Seconds(), Checks: checks, Pass: true,
		TF32: prec == cuda.TF32, Precision: prec.String(),
	}
	if ma, mi, err := d.NVRTCVersion(); err == nil {
		r.NVRTC = fmt.Sprintf("%d.%d", ma, mi)
	}
	failed, backend, backendFailed := 0, 0, 0
	for _, c := range checks {
		if strings.HasPrefix(c.Name, "backend/") {
			backend++
			if !c.Pass {
				backendFailed++
			}
		}
		status := "ok"
		if !c.Pass {
			status = "FAIL " + c.Err
			failed++
			r.Pass = false
		}
		fmt.Fprintf(w, "%-52s rel err %9.2e  (tol %.0e)  %s\n", c.Name, c.RelErr, c.Tol, status)
	}
	r.Backend = fmt.Sprintf("%d of %d checks of cuda.Backend against graph/cpu passed", backend-backendFailed, backend)
	if jsonPath != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fmt.Errorf("selftest: %w", err)
		}
		if err := atomicfile.WriteFile(jsonPath, append(b, '\n')); err != nil {
			return fmt.Errorf("selftest: %w", err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("selftest: %d of %d checks failed", failed, len(checks))
	}
	fmt.Fprintf(w, "all %d checks passed in %.1fs\n", len(checks), r.Seconds)
	return nil
}
