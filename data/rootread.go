package data

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"hepflow/rootfile"
)

// scanROOT reads a TTree through package rootfile. The branches read are
// Columns and the columns Where tests (default: every flat numeric branch);
// Where, Drop and Columns then act as for any file. A jagged branch read
// by an index the event does not reach has no value: such events must be
// selected away by Where (e.g. nMuon>=2 for Muon_pt[1]), else the read
// fails naming the event and the column.
func scanROOT(ctx context.Context, path string, opts ReadOptions, fn func(*Table) error, start startFunc) error {
	ro := rootfile.Options{Tree: opts.Tree}
	if len(opts.Columns) > 0 {
		ro.Columns = slices.Clone(opts.Columns)
		if opts.Where != "" {
			e, err := ParseExpr(opts.Where)
			if err != nil {
				return err
			}
			for _, c := range e.Columns() {
				if !slices.Contains(ro.Columns, c) {
					ro.Columns = append(ro.Columns, c)
				}
			}
		}
	}
	if opts.Where == "" && opts.Limit > 0 {
		ro.Limit = opts.Limit
	}
	var pl *plan
	var out []float64
	emitted := 0
	chunk := &Table{}
	err := rootfile.Scan(ctx, path, ro, func(c *rootfile.Chunk) error {
		if pl == nil {
			if len(c.Columns) > opts.Limits.MaxColumns {
				return tooManyColumns(len(c.Columns), false, opts.Limits.MaxColumns)
			}
			var err error
			if pl, err = makePlan(c.Columns, nil, &opts); err != nil {
				return err
			}
			start(pl.outNames, -1)
			chunk.Columns = pl.outNames
		}
		np := len(c.Columns)
		rows := len(c.Data) / max(np, 1)
		out = out[:0]
		for i := range rows {
			var kept bool
			if out, kept = pl.emit(out, c.Data[i*np:(i+1)*np]); !kept {
				continue
			}
			row := out[len(out)-len(pl.out):]
			for j, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) && !opts.AllowInfinite {
					what := "no value: a jagged branch read by an index the event does not reach; select the events that have it with --where (e.g. 'nMuon>=2' for Muon_pt[1])"
					if !math.IsNaN(v) {
						what = fmt.Sprintf("value %g is not finite", v)
					}
					return fmt.Errorf("tree entry %d, column %s: %s", c.First+int64(i), quoteString(pl.outNames[j]), what)
				}
			}
		}
		if opts.Limit > 0 && emitted+len(out)/max(len(pl.out), 1) > opts.Limit {
			out = out[:(opts.Limit-emitted)*len(pl.out)]
		}
		emitted += len(out) / max(len(pl.out), 1)
		if len(out) > 0 {
			chunk.Data = out
			if err := fn(chunk); err != nil {
				return callbackError{err}
			}
		}
		if opts.Limit > 0 && emitted >= opts.Limit {
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return nil
	}
	if pl == nil && err == nil {
		return newErr(ErrNoRows, "the tree has no entries")
	}
	return err
}
