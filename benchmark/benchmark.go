// Package benchmark runs the standard benchmarks (D=28, 5 MADE blocks
// [128,128], ReLU, affine or rational-quadratic spline maps; train batch 512,
// log-density and sampling batch 4096) on hepflow and, side by side, on the
// PyTorch reference script, so that speed is always reported as a ratio
// measured in one run, next to a description of the machine
// (DescribeMachine).
package benchmark

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"hepflow/flow"
	"hepflow/nn"
	"hepflow/nn/blas"
)

// Config is one benchmark run.
type Config struct {
	Mode    string  // train, logprob or sample
	Flow    string  // maf (the standard) or realnvp
	Dim     int     // 28
	Hidden  int     // 128
	Blocks  int     // 5
	Batch   int     // 0: 512 for train, 4096 otherwise
	Seconds float64 // measuring time after warm-up
}

// Standard returns the standard benchmark's settings for a mode.
func Standard(mode string) Config {
	return Config{Mode: mode, Flow: "maf", Dim: 28, Hidden: 128, Blocks: 5, Seconds: 10}
}

func (c Config) batch() int {
	if c.Batch > 0 {
		return c.Batch
	}
	if c.Mode == "train" {
		return 512
	}
	return 4096
}

// Result is what one implementation achieved.
type Result struct {
	Impl         string  `json:"impl"`
	Mode         string  `json:"mode"`
	Events       int     `json:"events"`
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_second"`
	MaxRSSMB     float64 `json:"max_rss_mb"`
}

// Run measures hepflow on one mode with the given GEMM backend and number of
// workers (batch split across goroutines). Data are standard-normal noise, as
// in the reference (throughput does not depend on the values).
func Run(ctx context.Context, c Config, g blas.Gemm, workers int) (Result, error) {
	spec := flow.Spec{Kind: c.Flow, Dim: c.Dim, Blocks: c.Blocks, Hidden: []int{c.Hidden, c.Hidden}, Activation: "relu", Seed: 1}
	f, err := flow.Build(spec, g)
	if err != nil {
		return Result{}, err
	}
	if err := f.SetWorkers(max(workers, 1)); err != nil {
		return Result{}, err
	}
	b := c.batch()
	rng := rand.New(rand.NewPCG(0, 0))
	const pool = 200_000
	nb := pool / b
	data := make([]float32, nb*b*c.Dim)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	opt := nn.NewAdam(f.Params(), 1e-3, 0)
	params := f.Params()
	out := make([]float32, b*c.Dim)
	lp := make([]float64, b)
	step := func(i int) {
		x := data[(i%nb)*b*c.Dim : (i%nb+1)*b*c.Dim]
		switch c.Mode {
		case "train":
			nn.ZeroGrad(params)
			f.NLLGrad(x, nil, nil, b, float64(b))
			opt.Step()
		case "logprob":
			f.LogProb(lp, x, nil, b)
		case "sample":
			f.Sample(out, nil, b, rng)
		}
	}
	switch c.Mode {
	case "train", "logprob", "sample":
	default:
		return Result{}, fmt.Errorf("benchmark mode %q: want train, logprob or sample", c.Mode)
	}
	for i := 0; i < 3; i++ {
		step(i)
	}
	t0 := time.Now()
	i := 0
	for time.Since(t0).Seconds() < c.Seconds {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		step(i)
		i++
	}
	el := time.Since(t0).Seconds()
	return Result{Impl: "hepflow-" + g.Name(), Mode: c.Mode, Events: i * b, Seconds: el, EventsPerSec: float64(i*b) / el, MaxRSSMB: maxRSSMB()}, nil
}

// maxRSSMB is the peak resident memory of this process.
func maxRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// RunTorch runs the PyTorch reference script with one BLAS thread per torch
// thread (Debian's torch oversubscribes the cores otherwise) and parses its
// key=value line.
func RunTorch(ctx context.Context, python, script string, c Config, threads int) (Result, error) {
	args := []string{script, "--mode", c.Mode, "--seconds", strconv.FormatFloat(c.Seconds, 'g', -1, 64),
		"--dim", strconv.Itoa(c.Dim), "--hidden", strconv.Itoa(c.Hidden), "--blocks", strconv.Itoa(c.Blocks),
		"--threads", strconv.Itoa(threads)}
	if c.Batch > 0 {
		args = append(args, "--batch", strconv.Itoa(c.Batch))
	}
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Result{}, fmt.Errorf("%s %s: %w: %s", python, script, err, strings.TrimSpace(stderr.String()))
	}
	return parseTorch(out)
}

func parseTorch(out []byte) (Result, error) {
	var r Result
	sc := bufio.NewScanner(bytes.NewReader(out))
	var line string
	for sc.Scan() {
		if strings.Contains(sc.Text(), "ev/s=") {
			line = sc.Text()
		}
	}
	if line == "" {
		return r, fmt.Errorf("reference printed no ev/s= line: %q", out)
	}
	for _, kv := range strings.Fields(line) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "impl":
			r.Impl = v
		case "mode":
			r.Mode = v
		case "events":
			r.Events, _ = strconv.Atoi(v)
		case "seconds":
			r.Seconds, _ = strconv.ParseFloat(v, 64)
		case "maxrss_mb":
			r.MaxRSSMB, _ = strconv.ParseFloat(v, 64)
		case "ev/s":
			r.EventsPerSec, _ = strconv.ParseFloat(v, 64)
		}
	}
	if r.EventsPerSec <= 0 {
		return r, fmt.Errorf("reference line has no events/s: %q", line)
	}
	return r, nil
}
