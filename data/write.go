package data

import (
	"fmt"
	"hepflow/internal/atomicfile"
	"hepflow/rootfile"
	"math"
	"os"
	"slices"
)

// WriteOptions controls writing.
type WriteOptions struct {
	// Format overrides the format told by the extension. FormatHIGGS
	// writes CSV without a header. A name ending in .gz is gzip'd.
	Format Format
	// NoHeader leaves out the CSV header line.
	NoHeader bool
	// Perm is the new file's permissions; 0 means 0644.
	Perm os.FileMode
	// AllowInfinite writes -Inf and +Inf (as CSV text "-Inf", "+Inf") instead
	// of refusing them: for results such as log densities, where -Inf is the
	// true value outside a model's support. NaN is always refused, and the
	// readers still refuse infinities, so such a file is output, not input.
	AllowInfinite bool
}

// encoder writes one format to the temporary file.
type encoder interface {
	writeRows(data []float64) error
	finish(rows int) error // flush everything; rows is the total written
}

// Writer streams rows to a file that appears, complete, only on Close.
// Create one with [Create]; for a whole table use [Write].
type Writer struct {
	path     string
	columns  []string
	file     *atomicfile.File
	side     *atomicfile.File // .npy column names
	enc      encoder
	rows     int
	err      error
	allowInf bool             // WriteOptions.AllowInfinite
	root     *rootfile.Writer // a ROOT file, written by rootfile instead of file
}

// Create starts writing a table with the given columns to path. The data
// goes to a temporary file in path's directory; [Writer.Close] renames it
// into place. Until then path is untouched.
func Create(path string, columns []string, opts WriteOptions) (*Writer, error) {
	w, err := create(path, columns, opts)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return w, nil
}

func create(path string, columns []string, opts WriteOptions) (*Writer, error) {
	if err := checkNames(columns); err != nil {
		return nil, err
	}
	// What the readers would refuse is not written either.
	if err := checkUTF8Names(columns, "column names"); err != nil {
		return nil, err
	}
	if len(columns) == 0 {
		return nil, fmt.Errorf("no columns")
	}
	format := opts.Format
	if format == "" {
		var err error
		if format, err = FormatOf(path); err != nil {
			return nil, err
		}
	} else if _, err := ParseFormat(string(format)); err != nil {
		return nil, err
	}
	perm := opts.Perm
	if perm == 0 {
		perm = 0o644
	}
	if format == FormatROOT {
		// rootfile writes its own temporary file and renames it on Close.
		rw, err := rootfile.Create(path, "", columns, rootfile.WriteOptions{Perm: perm, AllowInfinite: opts.AllowInfinite})
		if err != nil {
			return nil, err
		}
		return &Writer{path: path, columns: slices.Clone(columns), enc: rootEncoder{rw}, root: rw, allowInf: opts.AllowInfinite}, nil
	}
	af, err := atomicfile.Create(path, perm)
	if err != nil {
		return nil, err
	}
	w := &Writer{path: path, columns: slices.Clone(columns), file: af, allowInf: opts.AllowInfinite}
	switch format {
	case FormatCSV, FormatHIGGS:
		comma := byte(',')
		if isTSVPath(path) {
			comma = '\t'
		}
		w.enc, err = newCSVEncoder(af.File, columns, comma, isGzipPath(path), !opts.NoHeader && format != FormatHIGGS)
	case FormatParquet:
		w.enc, err = newParquetEncoder(af.File, columns)
	case FormatNPY:
		w.enc, err = newNPYEncoder(af.File, len(columns))
		if err == nil {
			w.side, err = writeSidecar(path, columns, perm)
		}
	}
	if err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// writeSidecar writes the .npy column names file, uncommitted.
func writeSidecar(path string, columns []string, perm os.FileMode) (*atomicfile.File, error) {
	af, err := atomicfile.Create(npySidecar(path), perm)
	if err != nil {
		return nil, err
	}
	for _, c := range columns {
		if _, err := fmt.Fprintln(af, c); err != nil {
			af.Abort()
			return nil, err
		}
	}
	return af, nil
}

// Columns returns the column names being written.
func (w *Writer) Columns() []string { return slices.Clone(w.columns) }

// Rows returns the number of rows written so far.
func (w *Writer) Rows() int { return w.rows }

// Write appends a table's rows; its columns must be the writer's, in order.
func (w *Writer) Write(t *Table) error {
	if !slices.Equal(t.Columns, w.columns) {
		if err := sameColumnSet(w.columns, t.Columns); err != nil {
			return fmt.Errorf("write %s: the table's columns differ from the file's: %w", w.path, err)
		}
		return fmt.Errorf("write %s: the table's columns %v are not in the file's order %v", w.path, t.Columns, w.columns)
	}
	return w.WriteRows(t.Data)
}

// WriteRows appends rows given row-major. NaN and infinite values are
// refused, since the readers refuse them. After an error the writer is
// unusable and Close only removes the temporary file.
func (w *Writer) WriteRows(data []float64) error {
	if w.err != nil {
		return w.err
	}
	d := len(w.columns)
	if len(data)%d != 0 {
		return w.fail(fmt.Errorf("%d values is not a whole number of rows of %d columns", len(data), d))
	}
	for k, v := range data {
		if math.IsNaN(v) || (math.IsInf(v, 0) && !w.allowInf) {
			return w.fail(&ParseError{Path: w.path, Row: w.rows + k/d + 1, Column: k%d + 1, Name: w.columns[k%d],
				Err: newErr(ErrNotFinite, fmt.Sprintf("%v cannot be written: %v", v, ErrNotFinite))})
		}
	}
	if err := w.enc.writeRows(data); err != nil {
		return w.fail(err)
	}
	w.rows += len(data) / d
	return nil
}

func (w *Writer) fail(err error) error {
	w.err = fmt.Errorf("write %s: %w", w.path, err)
	w.Abort()
	return w.err
}

// Close finishes the file and moves it into place. If anything failed
// before or during Close, the temporary file is removed, the destination is
// left as it was, and the error is returned.
func (w *Writer) Close() error {
	if w.err != nil {
		w.Abort()
		return w.err
	}
	if err := w.enc.finish(w.rows); err != nil {
		return w.fail(err)
	}
	if w.side != nil {
		if err := w.side.Commit(); err != nil {
			return w.fail(fmt.Errorf("column names file: %w", err))
		}
	}
	if w.file != nil {
		if err := w.file.Commit(); err != nil {
			return w.fail(err)
		}
	}
	w.err = fmt.Errorf("write %s: already closed", w.path)
	return nil
}

// Abort abandons the file: the temporary file is removed and the
// destination left as it was. It is safe to call after Close (it does
// nothing then), so `defer w.Abort()` is a good habit.
func (w *Writer) Abort() {
	if w.root != nil {
		w.root.Abort()
	}
	if w.file != nil {
		w.file.Abort()
	}
	if w.side != nil {
		w.side.Abort()
	}
}

// Write writes a whole table to path atomically; see [Create].
func Write(path string, t *Table, opts WriteOptions) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	w, err := Create(path, t.Columns, opts)
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := w.Write(t); err != nil {
		return err
	}
	return w.Close()
}

// rootEncoder writes a TTree of double branches through package rootfile;
// finish closes (renames) the file.
type rootEncoder struct{ w *rootfile.Writer }

func (e rootEncoder) writeRows(data []float64) error { return e.w.WriteRows(data) }
func (e rootEncoder) finish(int) error               { return e.w.Close() }
