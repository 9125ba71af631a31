// Package score writes the per-event log density of every event of a file
// under a model, in constant memory: read a chunk, score it, write it. The
// result is the same as scoring the whole file at once (one noise stream
// for the dequantization of discrete columns, in file order).
package score

import (
	"context"
	"errors"
	"fmt"
	"math"

	"hepflow/data"
	"hepflow/model"
)

// Options configure a scoring run.
type Options struct {
	// Read reads the events; its Columns and Drop are set by File (the
	// model's columns, and its context columns unless Context fixes them).
	Read data.ReadOptions
	// Seed picks the dequantization noise: events of block b (of
	// model.NoiseBlock) get model.NoiseRand(Seed, b).
	Seed uint64
	// Context fixes the context of every event of a conditional model (in
	// the order of its ContextColumns); nil reads it from the file.
	Context []float64
	// Shard, Of select shard Shard of Of (counting from 1; 0 and 0 for the
	// whole file): a contiguous range of whole noise blocks, so that the
	// shards' outputs, concatenated in order, are the whole file's. The
	// file is then read twice (once to count its events).
	Shard, Of int
	// Write configures the output; AllowInfinite is always set (-Inf is
	// the density of an event outside the model's support).
	Write data.WriteOptions
	// Progress, when set, is called after every block with the events
	// scored so far.
	Progress func(events int64)
	// Weight, when set, names a column of per-event weights that Stream
	// reads beside the model's columns and hands to its sink (File
	// ignores it).
	Weight string
}

// Result sums up a run.
type Result struct {
	// Events scored (of the shard), Scored those with a density.
	Events   int64          `json:"events"`
	Scored   int64          `json:"scored"`
	Sum      float64        `json:"-"` // sum of log p over the scored events
	Unscored model.Unscored `json:"unscored"`
	// First is the shard's first event in the file (counting from 0) and
	// Total the file's events (after Read.Where); Total is 0 unless sharded.
	First, Total int64
}

// Mean is the mean log p over the scored events (NaN when none).
func (r Result) Mean() float64 {
	if r.Scored == 0 {
		return math.NaN()
	}
	return r.Sum / float64(r.Scored)
}

// Column is the output's one column.
const Column = "logprob"

// ShardRange returns the events [lo, hi) of shard k of n of a file of
// total events: whole noise blocks, split as evenly as blocks allow.
func ShardRange(total int64, k, n int) (lo, hi int64) {
	blocks := (total + model.NoiseBlock - 1) / model.NoiseBlock
	lo = blocks * int64(k-1) / int64(n) * model.NoiseBlock
	hi = min(total, blocks*int64(k)/int64(n)*model.NoiseBlock)
	return lo, hi
}

// errDone stops a scan once the shard's events are read.
var errDone = errors.New("shard complete")

// File scores the events of in under m and writes their log densities to
// out, one per event in file order (column Column). Events are scored a
// noise block at a time, so the result does not depend on how the file is
// read or sharded. The output is written atomically: on any error nothing
// is left at out. A file with no events (or none passing Read.Where) is an
// error wrapping data.ErrNoRows; an empty shard is not.
func File(ctx context.Context, m *model.Model, in, out string, opt Options) (Result, error) {
	opt.Weight = ""
	var w *data.Writer
	defer func() {
		if w != nil {
			w.Abort()
		}
	}()
	res, err := Stream(ctx, m, in, opt, func() error {
		wo := opt.Write
		wo.AllowInfinite = true
		var err error
		w, err = data.Create(out, []string{Column}, wo)
		return err
	}, func(lp, _ []float64) error { return w.WriteRows(lp) })
	if err != nil {
		return res, err
	}
	err = w.Close()
	w = nil
	return res, err
}

// Stream is File with the log densities handed to sink, a noise block at a
// time in file order (lp: one per event; weights: the Weight column's
// values, nil without), instead of written; start, when set, is called
// once the shard is known and before the first event is read (File
// creates its output there). The slices are only valid during the call.
func Stream(ctx context.Context, m *model.Model, in string, opt Options, start func() error, sink func(lp, weights []float64) error) (Result, error) {
	var res Result
	k := m.ContextDim()
	if opt.Context != nil && len(opt.Context) != k {
		return res, fmt.Errorf("%d context values for the model's %d context columns", len(opt.Context), k)
	}
	ro := opt.Read
	ro.Columns = m.Columns()
	if opt.Context == nil {
		ro.Columns = append(ro.Columns[:len(ro.Columns):len(ro.Columns)], m.ContextColumns()...)
	}
	if opt.Weight != "" {
		ro.Columns = append(ro.Columns[:len(ro.Columns):len(ro.Columns)], opt.Weight)
	}
	ro.Drop = nil
	lo, hi := int64(0), int64(math.MaxInt64)
	if opt.Of > 0 {
		if opt.Shard < 1 || opt.Shard > opt.Of {
			return res, fmt.Errorf("shard %d/%d: want 1 <= K <= N", opt.Shard, opt.Of)
		}
		count := ro
		count.Columns = ro.Columns[:1]
		err := data.Scan(ctx, in, count, func(t *data.Table) error { res.Total += int64(t.Rows()); return nil })
		if err != nil {
			return res, err
		}
		if res.Total == 0 {
			return res, fmt.Errorf("%s: %w", in, data.ErrNoRows)
		}
		lo, hi = ShardRange(res.Total, opt.Shard, opt.Of)
	}
	res.First = lo
	if start != nil {
		if err := start(); err != nil {
			return res, err
		}
	}
	d := m.Dim()
	width := len(ro.Columns)
	// One noise block of events, gathered across the reader's chunks.
	block := make([]float64, 0, model.NoiseBlock*width)
	lp := make([]float64, model.NoiseBlock)
	var x, c, wts []float64
	if k > 0 || opt.Weight != "" {
		x, c = make([]float64, model.NoiseBlock*d), make([]float64, model.NoiseBlock*k)
	}
	if opt.Weight != "" {
		wts = make([]float64, model.NoiseBlock)
	}
	pos := lo // the file index of the block's first event
	flush := func() error {
		rows := len(block) / width
		if rows == 0 {
			return nil
		}
		xs, cs, ws := block, []float64(nil), []float64(nil)
		if width > d {
			for r := range rows {
				row := block[r*width : (r+1)*width]
				copy(x[r*d:], row[:d])
				if opt.Context == nil {
					copy(c[r*k:], row[d:d+k])
				}
				if wts != nil {
					wts[r] = row[width-1]
				}
			}
			xs, cs = x[:rows*d], c[:rows*k]
			if wts != nil {
				ws = wts[:rows]
			}
		}
		if opt.Context != nil && k > 0 {
			c = c[:0]
			for range rows {
				c = append(c, opt.Context...)
			}
			cs = c
		}
		un, err := m.LogProb(lp[:rows], xs, cs, rows, model.NoiseRand(opt.Seed, pos/model.NoiseBlock))
		if err != nil {
			return fmt.Errorf("%s: events %d to %d: %w", in, pos+1, pos+int64(rows), err)
		}
		res.Unscored.UnseenLevel += un.UnseenLevel
		res.Unscored.NotFinite += un.NotFinite
		for _, v := range lp[:rows] {
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				res.Sum += v
				res.Scored++
			}
		}
		res.Events += int64(rows)
		pos += int64(rows)
		block = block[:0]
		if err := sink(lp[:rows], ws); err != nil {
			return err
		}
		if opt.Progress != nil {
			opt.Progress(res.Events)
		}
		return nil
	}
	var seen int64 // events read so far
	err := data.Scan(ctx, in, ro, func(t *data.Table) error {
		rows := int64(t.Rows())
		from, to := max(lo, seen), min(hi, seen+rows)
		for r := from; r < to; r++ {
			block = append(block, t.Data[(r-seen)*int64(width):(r-seen+1)*int64(width)]...)
			if len(block) == cap(block) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		seen += rows
		if seen >= hi {
			return errDone
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDone) {
		return res, err // Scan's errors name the file
	}
	if err := flush(); err != nil {
		return res, err
	}
	if seen == 0 {
		return res, fmt.Errorf("%s: %w", in, data.ErrNoRows)
	}
	return res, nil
}
