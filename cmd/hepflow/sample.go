package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"hepflow/data"
	"hepflow/flow"
)

const sampleExamples = `  hepflow sample --model bkg.safetensors -n 1000000 --out gen.parquet

  # a batch farm: 4 jobs, each writes a disjoint part of the same 1e9-event run
  hepflow sample --model bkg.safetensors -n 1000000000 --seed 7 --shard 1/4 --out gen-1.parquet
  hepflow sample --model bkg.safetensors -n 1000000000 --seed 7 --shard 2/4 --out gen-2.parquet

  # a conditional model: 100k signal-like events, then one event per row of masses.csv
  hepflow sample --model cond.safetensors -n 100000 --context label=1 --out sig.csv
  hepflow sample --model cathode.safetensors --context-from masses.csv --out sr.parquet
`

// sampleBlock is the unit of reproducibility: block b of a run is drawn from
// its own random stream (seed, b), so any split of the blocks into shards
// gives exactly the events of one big run.
const sampleBlock = flow.ChunkRows

func runSample(ctx context.Context, args []string, e *env) error {
	var c common
	var modelPath, out, shard, format, ctxFlag, ctxFrom string
	var n int64
	var seed uint64
	fs := newFlags("sample", "sample --model MODEL -n N --out FILE [flags]", sampleExamples, e)
	c.register(fs, true)
	fs.StringVar(&modelPath, "model", "", "model file written by 'hepflow train'")
	fs.Int64Var(&n, "n", 0, "number of events (of the whole run when --shard is given)")
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
		if one, err = parseContextValues(ctxFlag, m.ContextColumns()); err != nil {
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
	var cbuf []float64
	if one != nil {
		cbuf = repeatRows(one, sampleBlock)
	}
	// The shard's events are [lo, hi) of the run; a block straddling a
	// shard boundary is drawn whole from its stream and cut, so shards of
	// any size hold exactly the events of one big run.
	lo, hi := n*int64(k-1)/int64(of), n*int64(k)/int64(of)
	// Columns that were constant in training are written back as
	// constants; the context columns follow the features.
	cols := append(m.OutputColumns(), m.ContextColumns()...)
	w, err := data.Create(out, cols, wopt)
	if err != nil {
		return err
	}
	defer w.Abort()
	start := time.Now()
	buf := make([]float64, sampleBlock*m.Dim())
	wide := buf
	if len(m.Info.Constants) > 0 || nk > 0 {
		wide = make([]float64, sampleBlock*len(cols))
	}
	d, dw := int64(m.Dim()), int64(len(cols))
	nout := int64(len(m.OutputColumns()))
	for b := lo / sampleBlock; b*sampleBlock < hi; b++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		first := b * sampleBlock // the block's first event in the run
		rows := min(sampleBlock, n-first)
		cb := cbuf
		if perEvent != nil {
			cb = perEvent[first*nk : (first+rows)*nk]
		}
		if err := m.Sample(buf[:rows*d], cb, int(rows), rand.New(rand.NewPCG(seed, uint64(b)))); err != nil {
			return err
		}
		from, to := max(lo, first)-first, min(hi, first+rows)-first
		switch {
		case nk > 0:
			out := wide[:rows*nout]
			if len(m.Info.Constants) > 0 {
				m.WithConstants(out, buf, int(rows))
			} else {
				copy(out, buf[:rows*d])
			}
			// Spread the rows to make room for the context, last row first.
			for r := rows - 1; r >= 0; r-- {
				copy(wide[r*dw:r*dw+nout], out[r*nout:(r+1)*nout])
				copy(wide[r*dw+nout:(r+1)*dw], cb[r*nk:(r+1)*nk])
			}
		case len(m.Info.Constants) > 0:
			m.WithConstants(wide, buf, int(rows))
		}
		if err := w.WriteRows(wide[from*dw : to*dw]); err != nil {
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

func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, usagef("--shard %q: want K/N with 1 <= K <= N, e.g. 2/8", s)
	}
	return k, n, nil
}
