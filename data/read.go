package data

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// HeaderMode says whether a CSV file's first line holds column names.
type HeaderMode int

const (
	// HeaderAuto treats the first line as a header when any of its fields
	// is not a number.
	HeaderAuto HeaderMode = iota
	// HeaderYes: the first line is a header.
	HeaderYes
	// HeaderNo: the first line is data.
	HeaderNo
)

// ReadOptions controls reading. The zero value reads every column of a file
// whose format is told by its extension.
type ReadOptions struct {
	// Format overrides the format told by the extension. FormatHIGGS reads
	// a headerless 29-column CSV (gzip'd or not) with the HIGGS names.
	Format Format

	// Header says whether a CSV file has a header line.
	Header HeaderMode

	// Names names the columns of a file that carries none (a CSV without
	// header, a .npy without sidecar); for a file with names, it replaces
	// them. Its length must match the file's column count. Names, given or
	// read, must be valid UTF-8 (see the package documentation).
	Names []string

	// Columns, when not empty, keeps only these columns, in this order.
	Columns []string

	// Drop removes these columns. They are removed before parsing, so a
	// dropped column may hold text. Naming an unknown column is an error.
	Drop []string

	// DropNonNumeric drops, instead of refusing, the columns whose values
	// are not numbers: in a CSV file, those whose value in the first data
	// row is not a number (a column that starts with a number must hold
	// numbers throughout); in Parquet, those of non-numeric type.
	DropNonNumeric bool

	// Where keeps only the rows for which this expression (see [ParseExpr])
	// is true. It is applied while streaming, before Drop and Columns take
	// effect, so it may test a column that is not kept.
	Where string

	// Tree names the TTree of a ROOT file ("" for the file's only one).
	// Its columns are the flat numeric branches; Columns may also name
	// fixed or variable-length array branches by index, e.g. Muon_pt[0].
	Tree string

	// Limit, when positive, stops after this many rows (counted after Where).
	Limit int

	// AllowInfinite accepts -Inf and +Inf values (CSV text "-Inf", "+Inf",
	// "inf"...), as in the log densities 'hepflow logprob' writes for events
	// outside a model's support; NaN is refused all the same.
	AllowInfinite bool

	// Workers is the number of goroutines parsing text, and decompressing
	// a large multi-member .gz file member by member; 0 means GOMAXPROCS.
	Workers int

	// Limits bound line and field lengths and the column count; the zero
	// value means [DefaultLimits].
	Limits Limits
}

func (o *ReadOptions) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Read loads a whole file into a table. See [ReadOptions] for the choices;
// errors name the path, and for bad values the line (or row) and column.
// A file without data rows, or whose rows all fail Where, is an error
// wrapping [ErrNoRows].
func Read(ctx context.Context, path string, opts ReadOptions) (*Table, error) {
	var cols []string
	var data []float64     // when the row count is known in advance
	var chunks [][]float64 // otherwise
	total, exact := 0, false
	err := scan(ctx, path, opts, func(c *Table) error {
		if exact {
			data = append(data, c.Data...)
		} else {
			chunks = append(chunks, append([]float64(nil), c.Data...))
		}
		total += len(c.Data)
		return nil
	}, func(names []string, rows int) {
		cols = names
		if rows > 0 && opts.Where == "" {
			if opts.Limit > 0 {
				rows = min(rows, opts.Limit)
			}
			data, exact = make([]float64, 0, rows*len(names)), true
		}
	})
	if err != nil {
		return nil, err
	}
	if total == 0 {
		if opts.Where != "" {
			return nil, fmt.Errorf("read %s: %w: no row matches where %s", path, ErrNoRows, quoteString(opts.Where))
		}
		return nil, fmt.Errorf("read %s: %w", path, ErrNoRows)
	}
	if !exact {
		// One exact allocation, freeing chunks as they are copied: the peak
		// is about twice the table, where growing one slice by append would
		// reach three to four times.
		data = make([]float64, 0, total)
		for i := range chunks {
			data = append(data, chunks[i]...)
			chunks[i] = nil
		}
	}
	return &Table{Columns: cols, Data: data}, nil
}

// Scan reads a file chunk by chunk, calling fn with consecutive groups of
// rows in file order, so that a file larger than memory can be processed. The
// chunk and its Data are only valid during the call; fn must copy what it
// keeps. An error from fn stops the scan and is returned as is. Unlike Read,
// Scan accepts a file whose rows all fail Where (fn is then never called),
// but an empty file is still an error.
func Scan(ctx context.Context, path string, opts ReadOptions, fn func(chunk *Table) error) error {
	return scan(ctx, path, opts, fn, nil)
}

// startFunc is told the output column names as soon as they are known, even
// if no row follows, and the number of rows in the file when the format
// says it up front and the reader has checked that the file is large
// enough to hold them, so that allocating room for them is safe (else -1).
type startFunc func(columns []string, rows int)

// scan dispatches on the format; start may be nil.
func scan(ctx context.Context, path string, opts ReadOptions, fn func(*Table) error, start startFunc) error {
	if start == nil {
		start = func([]string, int) {}
	}
	lim, err := opts.Limits.resolve()
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	opts.Limits = lim
	format := opts.Format
	if format == "" {
		if format, err = FormatOf(path); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
	}
	switch format {
	case FormatCSV, FormatHIGGS:
		err = scanCSV(ctx, path, format, opts, fn, start)
	case FormatParquet:
		err = scanParquet(ctx, path, opts, fn, start)
	case FormatNPY:
		err = scanNPY(ctx, path, opts, fn, start)
	case FormatROOT:
		err = scanROOT(ctx, path, opts, fn, start)
	default:
		_, err = ParseFormat(string(format))
	}
	if err != nil {
		if cb, fromFn := err.(callbackError); fromFn {
			return cb.err
		}
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Path = path
		}
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// callbackError carries an error returned by the caller's function through
// the readers, so that it is returned unwrapped.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// ReadAll reads several files with the same options and concatenates them
// (see [Concat]); errors name the file.
func ReadAll(ctx context.Context, paths []string, opts ReadOptions) (*Table, error) {
	tables := make([]*Table, 0, len(paths))
	for _, p := range paths {
		t, err := Read(ctx, p, opts)
		if err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	t, err := concat(tables, paths)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return t, nil
}
