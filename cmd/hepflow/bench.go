package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"

	"hepflow/benchmark"
	"hepflow/internal/atomicfile"
	"hepflow/nn/blas"
)

const benchExamples = `  # hepflow and the PyTorch reference side by side (needs python3-torch)
  hepflow bench --reference ../shared/bench/torch_maf.py

  # the autoregressive spline flow against its PyTorch reference
  hepflow bench --flow nsf --reference ../shared/bench/torch_nsf.py

  # the portable pure-Go GEMM only, 5 s per mode, JSON
  hepflow bench --impl go --seconds 5 --json

  # the AVX2 kernels as on a CPU without AVX-512 (HEPFLOW_CPU caps the level)
  HEPFLOW_CPU=avx2 hepflow bench --reference ''

  # where the training time goes: CPU profile, then go tool pprof -top
  hepflow bench --mode train --impl avx512 --reference '' --cpuprofile prof
  go tool pprof -top hepflow prof-train-avx512.pprof
`

// benchImpls is the default --impl: every backend this machine can run,
// hepflow's AVX-512, AVX2 and NEON kernels where the CPU has them (and
// $HEPFLOW_CPU allows them), OpenBLAS where it loads, pure Go always.
func benchImpls() string {
	var impls []string
	if blas.HasAVX512() {
		impls = append(impls, "avx512")
	}
	if blas.HasAVX2() {
		impls = append(impls, "avx2")
	}
	if blas.HasNEON() {
		impls = append(impls, "neon")
	}
	if _, err := blas.LoadOpenBLAS(1); err == nil {
		impls = append(impls, "openblas")
	}
	return strings.Join(append(impls, "go"), ",")
}

func runBench(ctx context.Context, args []string, e *env) error {
	var c common
	var modes, impls, reference, python, flowKind, profile string
	var seconds float64
	var child bool
	fs := newFlags("bench", "bench [--mode train,logprob,sample] [--impl avx512,avx2,neon,openblas,go] [--reference torch_maf.py] [--json]", benchExamples, e)
	c.register(fs, true)
	fs.StringVar(&modes, "mode", "train,logprob,sample", "modes to measure")
	fs.StringVar(&impls, "impl", benchImpls(), "hepflow GEMM backends to measure: avx512 (CPUs with AVX-512), avx2 (CPUs with AVX2 and FMA), neon (arm64), openblas, go; the default is every one this machine can run")
	fs.StringVar(&flowKind, "flow", "maf", "flow of the benchmark (D=28, 5 blocks [128,128], ReLU): maf (the standard), nsf (8 bins on [-5,5]), realnvp or nsf-coupling")
	fs.StringVar(&reference, "reference", "auto", "PyTorch reference script of the same flow; auto: ../shared/bench/torch_maf.py for maf, torch_nsf.py for nsf, none otherwise; skipped when missing or when torch is not installed (empty: skip)")
	fs.StringVar(&python, "python", "/usr/bin/python3", "python with torch for the reference")
	fs.Float64Var(&seconds, "seconds", 10, "measuring time per mode and implementation")
	fs.StringVar(&profile, "cpuprofile", "", "write a CPU profile of each measurement to PREFIX-MODE-IMPL.pprof")
	fs.BoolVar(&child, "child", false, "internal: measure one mode and implementation in this process and print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if !positive(seconds) {
		return usagef("--seconds %g: must be positive", seconds)
	}
	switch flowKind {
	case "maf", "nsf", "realnvp", "nsf-coupling":
	default:
		return usagef("--flow %q: want maf, nsf, realnvp or nsf-coupling", flowKind)
	}
	if reference == "auto" {
		reference = map[string]string{"maf": "../shared/bench/torch_maf.py", "nsf": "../shared/bench/torch_nsf.py"}[flowKind]
	}
	if err := checkBenchLists(modes, impls, c.logger(e)); err != nil {
		return err
	}
	if child {
		g, err := blas.Select(impls, 1, c.logger(e))
		if err != nil {
			return err
		}
		cfg := benchmark.Standard(modes)
		cfg.Flow, cfg.Seconds = flowKind, seconds
		stop, err := startProfile(profile)
		if err != nil {
			return err
		}
		r, err := benchmark.Run(ctx, cfg, g, c.threads)
		if perr := stop(err == nil); err == nil {
			err = perr
		}
		if err != nil {
			return err
		}
		return json.NewEncoder(e.stdout).Encode(r)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	type row struct {
		Mode   string             `json:"mode"`
		Torch  *benchmark.Result  `json:"reference,omitempty"`
		Impls  []benchmark.Result `json:"hepflow"`
		Ratios map[string]float64 `json:"ratio_to_reference,omitempty"`
	}
	// Every profile is checked before the first measurement, not after an
	// hour of them.
	if profile != "" {
		for _, mode := range splitList(modes) {
			for _, impl := range splitList(impls) {
				if err := checkOutput("cpuprofile", profilePath(profile, mode, impl), c.force); err != nil {
					return err
				}
			}
		}
	}
	var rows []row
	var profiles []string // written so far
	torchOK := reference != ""
	if torchOK {
		if _, err := os.Stat(reference); err != nil {
			fmt.Fprintf(e.stderr, "reference %s not found; measuring hepflow only\n", reference)
			torchOK = false
		} else if err := exec.CommandContext(ctx, python, "-c", "import torch").Run(); err != nil {
			fmt.Fprintf(e.stderr, "%s cannot import torch (apt-get install -y python3-torch); measuring hepflow only\n", python)
			torchOK = false
		}
	}
	for _, mode := range splitList(modes) {
		r := row{Mode: mode, Ratios: map[string]float64{}}
		for _, impl := range splitList(impls) {
			args := []string{"bench", "--child", "--mode", mode, "--impl", impl, "--flow", flowKind,
				"--seconds", fmt.Sprint(seconds), "--threads", fmt.Sprint(c.threads)}
			if profile != "" {
				args = append(args, "--cpuprofile", profilePath(profile, mode, impl))
			}
			cmd := exec.CommandContext(ctx, self, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if ctx.Err() != nil {
				return benchInterrupted(e, ctx.Err(), profiles)
			}
			if err != nil {
				return fmt.Errorf("bench %s with %s: %v: %s", mode, impl, err, strings.TrimSpace(stderr.String()))
			}
			if profile != "" {
				profiles = append(profiles, profilePath(profile, mode, impl))
			}
			var res benchmark.Result
			if err := json.Unmarshal(out, &res); err != nil {
				return fmt.Errorf("bench %s with %s: %w", mode, impl, err)
			}
			r.Impls = append(r.Impls, res)
		}
		if torchOK {
			cfg := benchmark.Standard(mode)
			cfg.Seconds = seconds
			t, err := benchmark.RunTorch(ctx, python, reference, cfg, c.threads)
			if ctx.Err() != nil {
				return benchInterrupted(e, ctx.Err(), profiles)
			}
			if err != nil {
				return err
			}
			r.Torch = &t
			for _, h := range r.Impls {
				r.Ratios[h.Impl] = h.EventsPerSec / t.EventsPerSec
			}
		}
		rows = append(rows, r)
	}
	machine := benchmark.DescribeMachine()
	if c.json {
		b, err := json.Marshal(map[string]any{"threads": c.threads, "cpus": runtime.NumCPU(), "machine": machine, "results": rows})
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	fmt.Fprintf(e.stdout, "machine: %s\n", machine)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "mode\timplementation\tevents/s\tpeak RSS MB\tratio to reference\n")
	for _, r := range rows {
		if r.Torch != nil {
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t1.00\n", r.Mode, r.Torch.Impl, r.Torch.EventsPerSec, r.Torch.MaxRSSMB)
		}
		for _, h := range r.Impls {
			ratio := "-"
			if v, ok := r.Ratios[h.Impl]; ok {
				ratio = fmt.Sprintf("%.2f", v)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%s\n", r.Mode, h.Impl, h.EventsPerSec, h.MaxRSSMB, ratio)
		}
	}
	return tw.Flush()
}

// benchModes are the modes bench measures.
func benchModes() []string { return []string{"train", "logprob", "sample"} }

// checkBenchLists refuses, as usage errors, an unknown --mode and an --impl
// this machine cannot run (unknown, or a CPU level or library it lacks).
func checkBenchLists(modes, impls string, log *slog.Logger) error {
	if len(splitList(modes)) == 0 {
		return usagef("--mode is empty: want some of %s", strings.Join(benchModes(), ","))
	}
	for _, m := range splitList(modes) {
		if !slices.Contains(benchModes(), m) {
			return usagef("--mode %q: want some of %s, separated by commas", m, strings.Join(benchModes(), ","))
		}
	}
	if len(splitList(impls)) == 0 {
		return usagef("--impl is empty: want some of avx512,avx2,neon,openblas,go")
	}
	for _, impl := range splitList(impls) {
		if _, err := blas.Select(impl, 1, log); err != nil {
			return usagef("--impl %s: %v", impl, err)
		}
	}
	return nil
}

// profilePath is the CPU profile of one measurement.
func profilePath(prefix, mode, impl string) string {
	return fmt.Sprintf("%s-%s-%s.pprof", prefix, mode, impl)
}

// benchInterrupted says what an interrupted bench kept (the profiles of the
// measurements that finished) and returns the interrupt.
func benchInterrupted(e *env, err error, profiles []string) error {
	if len(profiles) == 0 {
		return err // "interrupted before it finished; nothing written"
	}
	fmt.Fprintf(e.stderr, "hepflow bench: interrupted; kept the CPU profiles of the measurements that finished: %s\n", strings.Join(profiles, " "))
	return &interrupted{err: err}
}

// startProfile starts a CPU profile written to path (nothing when path is
// empty) and returns the function that stops it and, when keep is set,
// moves the complete file into place (the profile of a failed or
// interrupted measurement is dropped).
func startProfile(path string) (func(keep bool) error, error) {
	if path == "" {
		return func(bool) error { return nil }, nil
	}
	f, err := atomicfile.Create(path, 0)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Abort()
		return nil, fmt.Errorf("--cpuprofile %s: %w", path, err)
	}
	return func(keep bool) error {
		pprof.StopCPUProfile()
		if !keep {
			f.Abort()
			return nil
		}
		if err := f.Commit(); err != nil {
			return fmt.Errorf("--cpuprofile %s: %w", path, err)
		}
		return nil
	}, nil
}
