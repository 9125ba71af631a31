package rootfile

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"hepflow/internal/atomicfile"

	"go-hep.org/x/hep/groot/riofs"
	"go-hep.org/x/hep/groot/rtree"
)

// DefaultTree is the name [Create] gives the tree when it is given none.
const DefaultTree = "events"

// WriteOptions controls writing. The zero value writes zlib level 1
// (ROOT's compression setting 101), the fastest zlib.
type WriteOptions struct {
	// Compression is the algorithm; empty means Zlib.
	Compression Compression
	// Level is the compression level: 1 (fastest) to 9 for zlib, lzma and
	// lz4 (4 and up is LZ4-HC), 1 to 4 for zstd; 0 means 1. It must be 0
	// without compression.
	Level int
	// Perm is the new file's permissions; 0 means 0644.
	Perm os.FileMode
	// AllowInfinite writes -Inf and +Inf instead of refusing them. NaN is
	// always refused.
	AllowInfinite bool
}

// Writer streams rows into one tree of float64 branches. The file appears,
// complete, only on Close: until then the rows go to a temporary file in
// the destination's folder, and the destination is left as it was.
type Writer struct {
	path    string
	tree    string
	columns []string
	file    *atomicfile.File
	rf      *riofs.File
	tw      rtree.Writer
	vals    []float64 // the variables the branches are bound to
	rows    int
	err     error // sticky: the writer is unusable after an error
	inf     bool
}

// Create starts writing path: a ROOT file holding one tree named tree
// (DefaultTree when empty) with a float64 branch per column, named by
// [BranchName]. Columns whose branch names would clash are refused.
func Create(path, tree string, columns []string, opt WriteOptions) (*Writer, error) {
	w, err := create(path, tree, columns, opt)
	if err != nil {
		return nil, &Error{Path: path, Tree: tree, Err: err}
	}
	return w, nil
}

func create(path, tree string, columns []string, opt WriteOptions) (*Writer, error) {
	if tree == "" {
		tree = DefaultTree
	}
	if b := BranchName(tree); b != tree {
		return nil, fmt.Errorf("%q is not a valid tree name (letters, digits and '_', not starting with a digit; %q would do)", tree, b)
	}
	branches, err := branchNamesFor(columns)
	if err != nil {
		return nil, err
	}
	fileOpt, treeOpt, err := opt.Compression.options(opt.Level)
	if err != nil {
		return nil, err
	}
	af, err := atomicfile.Create(path, opt.Perm)
	if err != nil {
		return nil, err
	}
	w := &Writer{path: path, tree: tree, columns: slices.Clone(columns), file: af,
		vals: make([]float64, len(columns)), inf: opt.AllowInfinite}
	// groot creates its file by name: it reopens the temporary file, whose
	// name it also records inside (readers, ROOT's included, ignore it).
	if w.rf, err = riofs.Create(af.Name(), fileOpt); err != nil {
		af.Abort()
		return nil, err
	}
	wvars := make([]rtree.WriteVar, len(columns))
	for j := range wvars {
		wvars[j] = rtree.WriteVar{Name: branches[j], Value: &w.vals[j]}
	}
	if w.tw, err = rtree.NewWriter(w.rf, tree, wvars, treeOpt, rtree.WithTitle(tree)); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// Columns returns the column names being written.
func (w *Writer) Columns() []string { return slices.Clone(w.columns) }

// Rows returns the number of rows written so far.
func (w *Writer) Rows() int { return w.rows }

// WriteRows appends rows given row-major (len(rows) a multiple of the
// column count). NaN, and infinities unless allowed, are refused: hepflow's
// readers refuse them. After an error the writer is unusable and the
// temporary file is gone.
func (w *Writer) WriteRows(rows []float64) error {
	if w.err != nil {
		return w.err
	}
	d := len(w.columns)
	if len(rows)%d != 0 {
		return w.fail(fmt.Errorf("%d values is not a whole number of rows of %d columns", len(rows), d))
	}
	for k, v := range rows {
		if math.IsNaN(v) || (math.IsInf(v, 0) && !w.inf) {
			return w.fail(fmt.Errorf("row %d, column %d (%q): %v cannot be written: NaN and infinite values are not allowed", w.rows+k/d+1, k%d+1, w.columns[k%d], v))
		}
	}
	for i := 0; i < len(rows); i += d {
		copy(w.vals, rows[i:i+d])
		if _, err := w.tw.Write(); err != nil {
			return w.fail(err)
		}
		w.rows++
	}
	return nil
}

func (w *Writer) fail(err error) error {
	w.err = &Error{Path: w.path, Tree: w.tree, Err: err}
	w.Abort()
	return w.err
}

// Close writes the tree and the file's index and moves the file into
// place. If anything failed, before or now, the temporary file is removed,
// the destination is left as it was, and the error is returned.
func (w *Writer) Close() error {
	if w.err != nil {
		w.Abort()
		return w.err
	}
	if err := w.tw.Close(); err != nil {
		return w.fail(err)
	}
	w.tw = nil
	err := w.rf.Close()
	w.rf = nil
	if err != nil {
		return w.fail(err)
	}
	if err := w.file.Commit(); err != nil {
		return w.fail(err)
	}
	w.err = &Error{Path: w.path, Tree: w.tree, Err: errors.New("writer already closed")}
	return nil
}

// Abort abandons the file: the temporary file is removed and the
// destination left as it was. It does nothing after Close, so
// `defer w.Abort()` is a good habit.
func (w *Writer) Abort() {
	if w.rf != nil {
		w.rf.Close() // groot's own handle on the temporary file
		w.rf = nil
	}
	w.tw = nil
	w.file.Abort()
	if w.err == nil {
		w.err = &Error{Path: w.path, Tree: w.tree, Err: errors.New("writer aborted")}
	}
}

// BranchName is the branch name [Create] gives a column: ROOT reads '[',
// ']', '/', ':' and '.' in branch names as array sizes, types, leaf lists
// and object members, so every character other than an ASCII letter, digit
// or '_' becomes '_', a ']' is dropped, and a name that starts with a digit
// gets a leading '_': "Muon_pt[0]" becomes "Muon_pt_0", "p.x" "p_x".
func BranchName(column string) string {
	var b strings.Builder
	for i, r := range column {
		switch {
		case r == ']':
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// branchNamesFor names the branches of columns, refusing clashes.
func branchNamesFor(columns []string) ([]string, error) {
	if len(columns) == 0 {
		return nil, errors.New("no columns")
	}
	names := make([]string, len(columns))
	seen := make(map[string]int, len(columns))
	for j, c := range columns {
		names[j] = BranchName(c)
		if names[j] == "" {
			return nil, fmt.Errorf("column %d has no name that ROOT accepts (%q)", j+1, c)
		}
		if k, dup := seen[names[j]]; dup {
			if columns[k] == c {
				return nil, fmt.Errorf("duplicate column name %q (columns %d and %d)", c, k+1, j+1)
			}
			return nil, fmt.Errorf("columns %d (%q) and %d (%q) would both become branch %q; rename one", k+1, columns[k], j+1, c, names[j])
		}
		seen[names[j]] = j
	}
	return names, nil
}
