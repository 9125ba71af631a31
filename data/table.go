package data

import (
	"fmt"
	"math"
	"slices"
)

// Table is a float64 matrix with named columns, stored row-major: the value in
// row i and column j is Data[i*len(Columns)+j].
//
// The zero Table has no columns and no rows. Methods that return a new Table
// copy the data unless their documentation says they return a view.
type Table struct {
	Columns []string  // column names, unique
	Data    []float64 // len(Data) == Rows()*len(Columns)
}

// New returns a table with the given columns and row-major data, after
// checking that the names are unique and non-empty and that the data length
// is a multiple of the column count. The table keeps data and columns; it
// does not copy them.
func New(columns []string, data []float64) (*Table, error) {
	t := &Table{Columns: columns, Data: data}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Zeros returns a table of rows x len(columns) zeros. It panics if the
// column names are not unique, as that is a programming error.
func Zeros(columns []string, rows int) *Table {
	if err := checkNames(columns); err != nil {
		panic(err)
	}
	return &Table{Columns: slices.Clone(columns), Data: make([]float64, rows*len(columns))}
}

// Validate reports whether the table is well formed: unique non-empty column
// names, and a data length that is a multiple of the column count.
func (t *Table) Validate() error {
	if err := checkNames(t.Columns); err != nil {
		return err
	}
	if len(t.Columns) == 0 {
		if len(t.Data) != 0 {
			return fmt.Errorf("table has %d values but no columns", len(t.Data))
		}
		return nil
	}
	if len(t.Data)%len(t.Columns) != 0 {
		return fmt.Errorf("table has %d values, not a multiple of its %d columns", len(t.Data), len(t.Columns))
	}
	return nil
}

func checkNames(columns []string) error {
	seen := make(map[string]int, len(columns))
	for j, c := range columns {
		if c == "" {
			return fmt.Errorf("column %d has an empty name", j+1)
		}
		if k, dup := seen[c]; dup {
			return fmt.Errorf("duplicate column name %s (columns %d and %d)", quoteString(c), k+1, j+1)
		}
		seen[c] = j
	}
	return nil
}

// Rows is the number of rows.
func (t *Table) Rows() int {
	if len(t.Columns) == 0 {
		return 0
	}
	return len(t.Data) / len(t.Columns)
}

// Cols is the number of columns.
func (t *Table) Cols() int { return len(t.Columns) }

// Col returns the index of the named column. An unknown name gives an
// [*UnknownColumnError], which lists the known columns.
func (t *Table) Col(name string) (int, error) {
	if j := slices.Index(t.Columns, name); j >= 0 {
		return j, nil
	}
	return -1, &UnknownColumnError{Name: name, Known: t.Columns}
}

// ColIndices returns the indices of the named columns, in the order given.
func (t *Table) ColIndices(names ...string) ([]int, error) {
	return indicesOf(t.Columns, names)
}

func indicesOf(columns, names []string) ([]int, error) {
	idx := make([]int, len(names))
	for k, n := range names {
		j := slices.Index(columns, n)
		if j < 0 {
			return nil, &UnknownColumnError{Name: n, Known: columns}
		}
		if slices.Contains(names[:k], n) {
			return nil, fmt.Errorf("column %s named twice", quoteString(n))
		}
		idx[k] = j
	}
	return idx, nil
}

// Row returns row i as a slice of the table's storage (a view: writing to it
// changes the table). It panics if i is out of range.
func (t *Table) Row(i int) []float64 {
	d := len(t.Columns)
	return t.Data[i*d : (i+1)*d : (i+1)*d]
}

// At returns the value in row i and column j.
func (t *Table) At(i, j int) float64 { return t.Data[i*len(t.Columns)+j] }

// Column returns a copy of the named column's values.
func (t *Table) Column(name string) ([]float64, error) {
	j, err := t.Col(name)
	if err != nil {
		return nil, err
	}
	return t.ColumnAt(j), nil
}

// ColumnAt returns a copy of column j's values.
func (t *Table) ColumnAt(j int) []float64 {
	d, n := len(t.Columns), t.Rows()
	out := make([]float64, n)
	for i := range out {
		out[i] = t.Data[i*d+j]
	}
	return out
}

// Select returns a new table with only the named columns, in the order given.
func (t *Table) Select(cols ...string) (*Table, error) {
	idx, err := t.ColIndices(cols...)
	if err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	return t.project(idx), nil
}

func (t *Table) project(idx []int) *Table {
	d, n := len(t.Columns), t.Rows()
	out := &Table{Columns: make([]string, len(idx)), Data: make([]float64, n*len(idx))}
	for k, j := range idx {
		out.Columns[k] = t.Columns[j]
	}
	for i := range n {
		src := t.Data[i*d : (i+1)*d]
		dst := out.Data[i*len(idx) : (i+1)*len(idx)]
		for k, j := range idx {
			dst[k] = src[j]
		}
	}
	return out
}

// Drop removes the named columns in place. Nothing is removed if any name is
// unknown.
func (t *Table) Drop(cols ...string) error {
	drop := make([]bool, len(t.Columns))
	for _, c := range cols {
		j, err := t.Col(c)
		if err != nil {
			return fmt.Errorf("drop: %w", err)
		}
		drop[j] = true
	}
	keep := make([]int, 0, len(t.Columns))
	for j := range t.Columns {
		if !drop[j] {
			keep = append(keep, j)
		}
	}
	if len(keep) == len(t.Columns) {
		return nil
	}
	d, n := len(t.Columns), t.Rows()
	// Compact in place: row i's kept values never land after row i's start.
	w := 0
	for i := range n {
		for _, j := range keep {
			t.Data[w] = t.Data[i*d+j]
			w++
		}
	}
	t.Data = t.Data[:w]
	cols2 := make([]string, len(keep))
	for k, j := range keep {
		cols2[k] = t.Columns[j]
	}
	t.Columns = cols2
	return nil
}

// Filter returns a new table with the rows for which keep is true; keep
// receives a view of each row. Compile a keep function from text with
// [CompileExpr].
func (t *Table) Filter(keep func(row []float64) bool) *Table {
	d := len(t.Columns)
	out := &Table{Columns: slices.Clone(t.Columns)}
	for i := range t.Rows() {
		if r := t.Data[i*d : (i+1)*d]; keep(r) {
			out.Data = append(out.Data, r...)
		}
	}
	return out
}

// Slice returns rows [i, j) as a view sharing the table's storage.
func (t *Table) Slice(i, j int) *Table {
	d := len(t.Columns)
	return &Table{Columns: t.Columns, Data: t.Data[i*d : j*d : j*d]}
}

// Clone returns a deep copy.
func (t *Table) Clone() *Table {
	return &Table{Columns: slices.Clone(t.Columns), Data: slices.Clone(t.Data)}
}

// AppendRows appends rows (row-major, a multiple of Cols() values).
func (t *Table) AppendRows(rows []float64) error {
	if len(t.Columns) == 0 || len(rows)%len(t.Columns) != 0 {
		return fmt.Errorf("append: %d values is not a whole number of rows of %d columns", len(rows), len(t.Columns))
	}
	t.Data = append(t.Data, rows...)
	return nil
}

// Float32 returns the data converted to float32, row-major, as the model
// code expects. Values beyond float32's range become ±Inf.
func (t *Table) Float32() []float32 {
	out := make([]float32, len(t.Data))
	for i, v := range t.Data {
		out[i] = float32(v)
	}
	return out
}

// CheckFinite returns an error naming the first NaN or infinite value.
func (t *Table) CheckFinite() error {
	d := len(t.Columns)
	for k, v := range t.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("row %d, column %d (%s): %v: %w", k/d+1, k%d+1, quoteString(t.Columns[k%d]), v, ErrNotFinite)
		}
	}
	return nil
}
