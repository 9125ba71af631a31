// Package score writes the per-event log density of every event of a file
// under a model, in constant memory: read a chunk, score it, write it. The
// result is the same as scoring the whole file at once (one noise stream
// for the dequantization of discrete columns, in file order).
package score

import (
	"context"
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
	// Seed picks the dequantization noise (model.NoiseRand).
	Seed uint64
	// Context fixes the context of every event of a conditional model (in
	// the order of its ContextColumns); nil reads it from the file.
	Context []float64
	// Write configures the output; AllowInfinite is always set (-Inf is
	// the density of an event outside the model's support).
	Write data.WriteOptions
	// Progress, when set, is called after every chunk with the events so far.
	Progress func(events int64)
}

// Result sums up a run.
type Result struct {
	Events   int64          `json:"events"`
	Scored   int64          `json:"scored"`
	Sum      float64        `json:"-"` // sum of log p over the scored events
	Unscored model.Unscored `json:"unscored"`
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

// File scores the events of in under m and writes their log densities to
// out, one per event in file order (column Column). The output is written
// atomically: on any error nothing is left at out. A file with no events
// (or none passing Read.Where) is an error wrapping data.ErrNoRows.
func File(ctx context.Context, m *model.Model, in, out string, opt Options) (Result, error) {
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
	ro.Drop = nil
	wo := opt.Write
	wo.AllowInfinite = true
	w, err := data.Create(out, []string{Column}, wo)
	if err != nil {
		return res, err
	}
	defer w.Abort()
	d := m.Dim()
	rng := model.NoiseRand(opt.Seed)
	var lp, x, c []float64
	err = data.Scan(ctx, in, ro, func(t *data.Table) error {
		rows := t.Rows()
		if cap(lp) < rows {
			lp = make([]float64, rows)
		}
		lp = lp[:rows]
		xs, cs := t.Data, []float64(nil)
		switch {
		case opt.Context != nil && k > 0:
			if cap(c) < rows*k {
				c = make([]float64, 0, rows*k)
			}
			c = c[:0]
			for range rows {
				c = append(c, opt.Context...)
			}
			cs = c
		case k > 0:
			if cap(x) < rows*d {
				x, c = make([]float64, rows*d), make([]float64, rows*k)
			}
			x, c = x[:rows*d], c[:rows*k]
			for r := range rows {
				row := t.Data[r*(d+k) : (r+1)*(d+k)]
				copy(x[r*d:], row[:d])
				copy(c[r*k:], row[d:])
			}
			xs, cs = x, c
		}
		un, err := m.LogProb(lp, xs, cs, rows, rng)
		if err != nil {
			return fmt.Errorf("%s: events %d to %d: %w", in, res.Events+1, res.Events+int64(rows), err)
		}
		res.Unscored.UnseenLevel += un.UnseenLevel
		res.Unscored.NotFinite += un.NotFinite
		for _, v := range lp {
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				res.Sum += v
				res.Scored++
			}
		}
		res.Events += int64(rows)
		if err := w.WriteRows(lp); err != nil {
			return err
		}
		if opt.Progress != nil {
			opt.Progress(res.Events)
		}
		return nil
	})
	if err != nil {
		return res, err // Scan's errors name the file
	}
	if res.Events == 0 {
		return res, fmt.Errorf("%s: %w", in, data.ErrNoRows)
	}
	return res, w.Close()
}
