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
	return scanParquetFrom(ctx, f, st.Size(), opts, fn, start)
}

// parquetBatch bounds the values (rows times parsed columns) decoded at a
// time: the row counts a file claims are not trusted for allocation, since
// a constant column can hold billions of rows in a few bytes.
const parquetBatch = 1 << 20

// scanParquetFrom is scanParquet on a file of size bytes. opts.Limits must
// be resolved.
func scanParquetFrom(ctx context.Context, r io.ReaderAt, size int64, opts ReadOptions, fn func(*Table) error, start startFunc) error {
	if size == 0 {
		return newErr(ErrNoRows, "file is empty")
	}
	if err := checkParquetFooter(r, size); err != nil {
		return err
	}
	var pf *parquet.File
	var rowGroups []parquet.RowGroup
	err := libCall("opening the file", func() (err error) {
		pf, err = parquet.OpenFile(r, size, parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
		if err == nil {
			rowGroups = pf.RowGroups()
		}
		return err
	})
	if err != nil {
		switch msg := err.Error(); {
		case strings.Contains(msg, "magic header"):
			return fmt.Errorf("not a Parquet file (%v)", err)
		case strings.Contains(msg, "magic footer") || errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: the Parquet footer is missing (%v)", ErrTruncated, err)
		}
		return fmt.Errorf("open Parquet: %w", err)
	}
	var names, text []string
	var kinds []parquet.Kind
	err = libCall("reading the schema", func() (err error) {
		if n := len(pf.Schema().Fields()); n > opts.Limits.MaxColumns {
			return tooManyColumns(n, false, opts.Limits.MaxColumns)
		}
		names, kinds, text, err = parquetColumns(pf.Schema())
		return err
	})
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
	total := pf.NumRows()
	if total < 0 {
		return fmt.Errorf("corrupt Parquet footer: %d rows", total)
	}
	// Room for the claimed rows is worth allocating up front only when the
	// file is large enough to plausibly hold them (a table at most 8 times
	// the file, plus 8 MiB); otherwise the rows are counted as they come.
	rowsHint := -1
	if total <= (size+1<<20)/int64(len(pl.out)) {
		rowsHint = int(total)
	}
	start(pl.outNames, rowsHint)
	if total == 0 {
		return newErr(ErrNoRows, "no data rows")
	}
	np := len(pl.parsed)
	batch := max(1, parquetBatch/np)
	chunk := &Table{Columns: pl.outNames}
	var parsed, out []float64
	rowBase, emitted := 0, 0
	for g, rg := range rowGroups {
		n64 := rg.NumRows()
		if n64 < 0 {
			return fmt.Errorf("row group %d: corrupt row count %d", g+1, n64)
		}
		cols := make([]*parquetColumn, len(pl.slot))
		ccs := rg.ColumnChunks()
		meta := pf.Metadata()
		if len(ccs) != len(pl.slot) || g >= len(meta.RowGroups) || len(meta.RowGroups[g].Columns) != len(pl.slot) {
			return fmt.Errorf("corrupt Parquet footer: row group %d does not have the schema's %d columns", g+1, len(pl.slot))
		}
		// The pages to be read claim their sizes; check them before the
		// library allocates for them.
		var claimed int64
		for j := range ccs {
			if pl.slot[j] < 0 {
				continue
			}
			mem, err := checkColumnPages(r, size, &meta.RowGroups[g].Columns[j].MetaData, n64)
			if err != nil {
				return fmt.Errorf("row group %d, column %d (%s): %w", g+1, j+1, quoteString(names[j]), err)
			}
			claimed += mem
		}
		if budget := parquetBudget(size); claimed > budget {
			return fmt.Errorf("corrupt Parquet file: the pages of row group %d claim %d bytes once decoded, more than the %d a %d-byte file is allowed", g+1, claimed, budget, size)
		}
		for j, cc := range ccs {
			if pl.slot[j] >= 0 {
				c := &parquetColumn{kind: kinds[j], allowInf: opts.AllowInfinite}
				if err := libCall("opening a column", func() error { c.pages = cc.Pages(); return nil }); err != nil {
					return fmt.Errorf("row group %d, column %d (%s): %w", g+1, j+1, quoteString(names[j]), err)
				}
				cols[j] = c
			}
		}
		err := func() error {
			defer func() {
				for _, c := range cols {
					c.close()
				}
			}()
			n := int(n64)
			for done := 0; done < n; {
				if err := ctx.Err(); err != nil {
					return err
				}
				m := min(batch, n-done)
				parsed = growFloats(parsed[:0], m*np)[:m*np]
				for j, c := range cols {
					if c == nil {
						continue
					}
					if err := c.read(parsed, pl.slot[j], np, m, n); err != nil {
						var pe *ParseError
						if errors.As(err, &pe) {
							pe.Row += rowBase + done
							pe.Column, pe.Name = j+1, names[j]
							return pe
						}
						return fmt.Errorf("row group %d, column %d (%s): %w", g+1, j+1, quoteString(names[j]), err)
					}
				}
				done += m
				out = out[:0]
				for i := range m {
					out, _ = pl.emit(out, parsed[i*np:(i+1)*np])
				}
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
					return errStop
				}
			}
			for j, c := range cols {
				if c == nil {
					continue
				}
				if err := c.finish(n); err != nil {
					return fmt.Errorf("row group %d, column %d (%s): %w", g+1, j+1, quoteString(names[j]), err)
				}
			}
			return nil
		}()
		if err == errStop {
			return nil
		}
		if err != nil {
			return err
		}
		rowBase += int(n64)
	}
	return nil
}

// libCall runs a call into the Parquet library, which panics on some
// corrupt files (e.g. a negative count in the schema), turning a panic into
// an error. Only library calls go through it, so that a panic of hepflow's
// own code still surfaces as one.
func libCall(what string, call func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt Parquet file: the Parquet library failed %s: %s", what, shortText(fmt.Sprint(r)))
		}
	}()
	return call()
}

// errStop ends a scan early without error (Limit reached).
var errStop = errors.New("stop")

// parquetColumn reads one column chunk's values in batches, page after
// page, so that memory follows the batch, not the row group.
type parquetColumn struct {
	allowInf bool // ReadOptions.AllowInfinite
	pages    parquet.Pages
	page     parquet.Page
	vals     parquet.ValueReader
	buf      []parquet.Value
	kind     parquet.Kind
	row      int // values read so far in the row group
}

// read fills dst[i*stride+slot] for the next m rows of a row group of n.
// Errors about a value are *ParseError with the row counted from the
// start of this call.
func (c *parquetColumn) read(dst []float64, slot, stride, m, n int) error {
	if c.buf == nil {
		c.buf = make([]parquet.Value, 4096)
	}
	stalls := 0
	for i := 0; i < m; {
		if c.vals == nil {
			ok, err := c.nextPage()
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%d values for the row group's %d rows", c.row, n)
			}
		}
		k, err := c.readValues(c.buf[:min(len(c.buf), m-i)])
		for _, v := range c.buf[:k] {
			if v.IsNull() {
				return &ParseError{Row: i + 1, Err: newErr(ErrNotNumber, "null value (missing values are not supported)")}
			}
			var x float64
			switch c.kind {
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
			if math.IsNaN(x) || math.IsInf(x, 0) && !c.allowInf {
				return &ParseError{Row: i + 1, Err: newErr(ErrNotFinite, fmt.Sprintf("%v: %v", x, ErrNotFinite))}
			}
			dst[i*stride+slot] = x
			i++
		}
		c.row += k
		switch {
		case err == io.EOF:
			c.releasePage()
		case err != nil:
			return err
		case k == 0:
			if stalls++; stalls > 3 {
				return errors.New("corrupt page: no values read")
			}
		}
	}
	return nil
}

// finish checks that the column chunk holds no more values than the row
// group's n rows.
func (c *parquetColumn) finish(n int) error {
	for {
		if c.vals == nil {
			ok, err := c.nextPage()
			if !ok || err != nil {
				return err
			}
		}
		var one [1]parquet.Value
		k, err := c.readValues(one[:])
		if k > 0 {
			return fmt.Errorf("more values than the row group's %d rows", n)
		}
		if err != nil && err != io.EOF {
			return err
		}
		c.releasePage()
	}
}

// nextPage moves to the column's next page; false at the end.
func (c *parquetColumn) nextPage() (bool, error) {
	ok := false
	err := libCall("reading a page", func() error {
		page, err := c.pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		c.page, c.vals, ok = page, page.Values(), true
		return nil
	})
	return ok, err
}

// readValues reads the current page's next values into buf.
func (c *parquetColumn) readValues(buf []parquet.Value) (k int, err error) {
	err = libCall("decoding a page", func() error {
		k, err = c.vals.ReadValues(buf)
		return err
	})
	return k, err
}

func (c *parquetColumn) releasePage() {
	if c.page != nil {
		_ = libCall("releasing a page", func() error { parquet.Release(c.page); return nil })
	}
	c.page, c.vals = nil, nil
}

// close releases the column's page and reader; a nil column is a no-op.
func (c *parquetColumn) close() {
	if c == nil {
		return
	}
	c.releasePage()
	_ = libCall("closing a column", c.pages.Close)
}

// parquetColumns lists a flat schema's columns with their kinds, and for
// each non-numeric column a reason.
func parquetColumns(s *parquet.Schema) ([]string, []parquet.Kind, []string, error) {
	var names []string
	var kinds []parquet.Kind
	var text []string
	for k, path := range s.Columns() {
		if len(path) != 1 {
			return nil, nil, nil, fmt.Errorf("column %d (%s) is nested; only flat schemas are supported", k+1, quoteString(strings.Join(path, ".")))
		}
		leaf, _ := s.Lookup(path...)
		if leaf.MaxRepetitionLevel > 0 {
			return nil, nil, nil, fmt.Errorf("column %d (%s) is repeated; only flat schemas are supported", k+1, quoteString(path[0]))
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
