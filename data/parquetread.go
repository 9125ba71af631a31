package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// scanParquet reads a flat Parquet file one row group at a time. Numeric
// physical types (boolean, int32, int64, float, double) become float64;
// other columns are text (or binary) and must be dropped. Nulls are refused.
func scanParquet(ctx context.Context, path string, opts ReadOptions, fn func(*Table) error, start startFunc) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return newErr(ErrNoRows, "file is empty")
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
	if err != nil {
		switch msg := err.Error(); {
		case strings.Contains(msg, "magic header"):
			return fmt.Errorf("not a Parquet file (%v)", err)
		case strings.Contains(msg, "magic footer") || errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: the Parquet footer is missing (%v)", ErrTruncated, err)
		}
		return fmt.Errorf("open Parquet: %w", err)
	}
	names, kinds, text, err := parquetColumns(pf.Schema())
	if err != nil {
		return err
	}
	if len(opts.Names) > 0 {
		if len(opts.Names) != len(names) {
			return fmt.Errorf("%d names given for %d columns", len(opts.Names), len(names))
		}
		names = opts.Names
	}
	pl, err := makePlan(names, text, &opts)
	if err != nil {
		return err
	}
	start(pl.outNames, int(pf.NumRows()))
	if pf.NumRows() == 0 {
		return newErr(ErrNoRows, "no data rows")
	}
	chunk := &Table{Columns: pl.outNames}
	var parsed, out []float64
	rowBase, emitted := 0, 0
	for g, rg := range pf.RowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(rg.NumRows())
		np := len(pl.parsed)
		parsed = growFloats(parsed[:0], n*np)[:n*np]
		for j, cc := range rg.ColumnChunks() {
			if pl.slot[j] < 0 {
				continue
			}
			if err := readParquetColumn(cc, kinds[j], parsed, pl.slot[j], np, n); err != nil {
				var pe *ParseError
				if errors.As(err, &pe) {
					pe.Row += rowBase
					pe.Column, pe.Name = j+1, names[j]
					return pe
				}
				return fmt.Errorf("row group %d, column %d (%q): %w", g+1, j+1, names[j], err)
			}
		}
		out = out[:0]
		for i := range n {
			out, _ = pl.emit(out, parsed[i*np:(i+1)*np])
		}
		rowBase += n
		rows := out
		stop := false
		if opts.Limit > 0 && emitted+len(rows)/len(pl.out) >= opts.Limit {
			rows, stop = rows[:(opts.Limit-emitted)*len(pl.out)], true
		}
		emitted += len(rows) / len(pl.out)
		if len(rows) > 0 {
			chunk.Data = rows
			if err := fn(chunk); err != nil {
				return callbackError{err}
			}
		}
		if stop {
			break
		}
	}
	return nil
}

// parquetColumns lists a flat schema's columns with their kinds, and for
// each non-numeric column a reason.
func parquetColumns(s *parquet.Schema) ([]string, []parquet.Kind, []string, error) {
	var names []string
	var kinds []parquet.Kind
	var text []string
	for k, path := range s.Columns() {
		if len(path) != 1 {
			return nil, nil, nil, fmt.Errorf("column %d (%q) is nested; only flat schemas are supported", k+1, strings.Join(path, "."))
		}
		leaf, _ := s.Lookup(path...)
		if leaf.MaxRepetitionLevel > 0 {
			return nil, nil, nil, fmt.Errorf("column %d (%q) is repeated; only flat schemas are supported", k+1, path[0])
		}
		kind := leaf.Node.Type().Kind()
		reason := ""
		switch kind {
		case parquet.Boolean, parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
		default:
			reason = "Parquet type " + leaf.Node.Type().String()
		}
		names = append(names, path[0])
		kinds = append(kinds, kind)
		text = append(text, reason)
	}
	return names, kinds, text, nil
}

// readParquetColumn fills dst[i*stride+slot] for the n rows of one column
// chunk. Errors about a value are *ParseError with the row in the group.
func readParquetColumn(cc parquet.ColumnChunk, kind parquet.Kind, dst []float64, slot, stride, n int) error {
	pages := cc.Pages()
	defer pages.Close()
	vals := make([]parquet.Value, 4096)
	row := 0
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		r := page.Values()
		for {
			m, err := r.ReadValues(vals)
			for _, v := range vals[:m] {
				if row >= n {
					return fmt.Errorf("more values than the row group's %d rows", n)
				}
				if v.IsNull() {
					return &ParseError{Row: row + 1, Err: newErr(ErrNotNumber, "null value (missing values are not supported)")}
				}
				var x float64
				switch kind {
				case parquet.Boolean:
					if v.Boolean() {
						x = 1
					}
				case parquet.Int32:
					x = float64(v.Int32())
				case parquet.Int64:
					x = float64(v.Int64())
				case parquet.Float:
					x = float64(v.Float())
				case parquet.Double:
					x = v.Double()
				}
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return &ParseError{Row: row + 1, Err: newErr(ErrNotFinite, fmt.Sprintf("%v: %v", x, ErrNotFinite))}
				}
				dst[row*stride+slot] = x
				row++
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
		parquet.Release(page)
	}
	if row != n {
		return fmt.Errorf("%d values for the row group's %d rows", row, n)
	}
	return nil
}
