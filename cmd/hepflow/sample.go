package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"hepflow/data"
	"hepflow/workflow/generate"
)

const sampleExamples = `  hepflow sample --model bkg.safetensors -n 1000000 --out gen.parquet

  # a batch farm: 4 jobs, each writes a disjoint part of the same 1e9-event run
  hepflow sample --model bkg.safetensors -n 1000000000 --seed 7 --shard 1/4 --out gen-1.parquet
  hepflow sample --model bkg.safetensors -n 1000000000 --seed 7 --shard 2/4 --out gen-2.parquet

  # a conditional model: 100k signal-like events, then one event per row of masses.csv
  hepflow sample --model cond.safetensors -n 100000 --context label=1 --out sig.csv
  hepflow sample --model cathode.safetensors --context-from masses.csv --out sr.parquet
`

func runSample(ctx context.Context, args []string, e *env) error {
	var c common
	var modelPath, out, shard, format, ctxFlag, ctxFrom string
	var n int64
	var seed uint64
	fs := newFlags("sample", "sample --model MODEL -n N --out FILE [flags]", sampleExamples, e)
	c.register(fs, true)
	fs.StringVar(&modelPath, "model", "", "model file written by 'hepflow train'")
	fs.Var((*countFlag)(&n), "n", "number of events (of the whole run when --shard is given); 1e9 and 1000000000 alike")
	fs.StringVar(&out, "out", "", "output file: .csv, .csv.gz, .parquet or .npy")
	fs.StringVar(&format, "format", "", "output format (default from the extension)")
	fs.Uint64Var(&seed, "seed", 1, "random seed of the run")
	fs.StringVar(&shard, "shard", "1/1", "K/N: write the K-th of N disjoint parts of the run (K from 1 to N)")
	fs.StringVar(&ctxFlag, "context", "", "conditional model: NAME=VALUE,... the context of every generated event")
	fs.StringVar(&ctxFrom, "context-from", "", "conditional model: a file whose context columns give one generated event per row (-n defaults to its number of rows)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if modelPath == "" {
		return usagef("--model is required")
	}
	if ctxFlag != "" && ctxFrom != "" {
		return usagef("--context and --context-from: give one of them")
	}
	if n < 0 || (n == 0 && ctxFrom == "") {
		return usagef("-n %d: the number of events must be positive", n)
	}
	k, of, err := parseShard(shard)
	if err != nil {
		return err
	}
	var wopt data.WriteOptions
	if format != "" {
		if wopt.Format, err = data.ParseFormat(format); err != nil {
			return usagef("--format: %v", err)
		}
	}
	if err := checkDataOutput("out", out, wopt.Format, c.force, modelPath, ctxFrom); err != nil {
		return err
	}
	m, err := c.loadModel(e, modelPath)
	if err != nil {
		return err
	}
	// The context: one row for every event (--context), or one per event
	// (--context-from); nk values each.
	nk := int64(m.ContextDim())
	var one, perEvent []float64
	switch {
	case ctxFlag != "":
		if one, err = parseContextValues(ctxFlag, m); err != nil {
			return err
		}
	case ctxFrom != "":
		var rows int
		if perEvent, rows, err = readContextFile(ctx, ctxFrom, m, data.ReadOptions{Workers: c.threads}); err != nil {
			return err
		}
		if n == 0 {
			n = int64(rows)
		} else if n != int64(rows) {
			return usagef("-n %d, but --context-from %s has %d rows (one event per row; leave out -n)", n, ctxFrom, rows)
		}
		if n == 0 {
			return fmt.Errorf("--context-from %s: no rows", ctxFrom)
		}
	case nk > 0:
		return usagef("the model is conditional on %s: give --context NAME=VALUE,... or --context-from FILE", strings.Join(m.ContextColumns(), ", "))
	}
	lo, hi := generate.Shard(n, k, of)
	cols := generate.Columns(m)
	if lo == hi {
		fmt.Fprintf(e.stderr, "hepflow sample: warning: shard %d/%d of a run of %d events is empty; %s gets no events\n", k, of, n, out)
	}
	if size := estimateBytes(hi-lo, len(cols), out, wopt.Format); size > 1<<30 {
		c.logger(e).Info("a large output", "events", hi-lo, "estimated_bytes", size, "estimated", fmt.Sprintf("%.1f GB", float64(size)/1e9), "out", out)
	}
	w, err := data.Create(out, cols, wopt)
	if err != nil {
		return err
	}
	defer w.Abort()
	start := time.Now()
	run := generate.Run{N: n, Lo: lo, Hi: hi, Seed: seed, Context: one, PerEvent: perEvent}
	if hi > lo { // an empty shard writes its header only
		if err := generate.Generate(ctx, m, run, w.WriteRows); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	written := w.Rows()
	if c.json {
		b, _ := json.Marshal(map[string]any{"out": out, "events": written, "shard": shard, "seed": seed, "seconds": secs, "events_per_second": float64(written) / secs})
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	fmt.Fprintf(e.stdout, "wrote %d events to %s (shard %d/%d, %.1f s, %.0f events/s)\n", written, out, k, of, secs, float64(written)/secs)
	return nil
}

// parseShard reads --shard K/N.
func parseShard(s string) (int, int, error) {
	k, n, err := generate.ParseShard(s)
	if err != nil {
		return 0, 0, usagef("--shard %v", err)
	}
	return k, n, nil
}

// countFlag is an event count that also reads as 1e9 or 2.5e6 (an integer
// in scientific notation), as physicists write them.
type countFlag int64

func (c *countFlag) String() string { return strconv.FormatInt(int64(*c), 10) }

func (c *countFlag) Set(v string) error {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		*c = countFlag(n)
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return fmt.Errorf("want a whole number of events, e.g. 1000000 or 1e6")
	}
	*c = countFlag(f)
	return nil
}

// estimateBytes is roughly the size of rows events of cols columns written
// to out: 8 bytes a value in .npy and Parquet, ~20 in text, ~9 gzip'd.
func estimateBytes(rows int64, cols int, out string, f data.Format) int64 {
	if f == "" {
		f, _ = data.FormatOf(out)
	}
	per := int64(20)
	switch {
	case f == data.FormatNPY || f == data.FormatParquet:
		per = 8
	case strings.HasSuffix(out, ".gz"):
		per = 9
	}
	return rows * int64(cols) * per
}
