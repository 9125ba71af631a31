package data

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Concat stacks tables with the same columns into a new table. Tables whose
// columns are the same set in another order are aligned by name to the
// first; any other difference is an error naming the table and the columns
// missing or extra.
func Concat(tables ...*Table) (*Table, error) {
	labels := make([]string, len(tables))
	for i := range tables {
		labels[i] = fmt.Sprintf("table %d", i+1)
	}
	return concat(tables, labels)
}

// concat is Concat with a label per table for error messages.
func concat(tables []*Table, labels []string) (*Table, error) {
	if len(tables) == 0 {
		return nil, fmt.Errorf("concat: no tables")
	}
	first := tables[0]
	total := 0
	for i, t := range tables {
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("concat: %s: %w", labels[i], err)
		}
		if i > 0 && !slices.Equal(t.Columns, first.Columns) {
			if err := sameColumnSet(first.Columns, t.Columns); err != nil {
				return nil, fmt.Errorf("concat: %s differs from %s: %w", labels[i], labels[0], err)
			}
		}
		total += len(t.Data)
	}
	out := &Table{Columns: slices.Clone(first.Columns), Data: make([]float64, 0, total)}
	for _, t := range tables {
		if slices.Equal(t.Columns, first.Columns) {
			out.Data = append(out.Data, t.Data...)
			continue
		}
		idx, _ := indicesOf(t.Columns, first.Columns)
		out.Data = append(out.Data, t.project(idx).Data...)
	}
	return out, nil
}

// sameColumnSet reports how b's column set differs from a's, or nil.
func sameColumnSet(a, b []string) error {
	var missing, extra []string
	for _, c := range a {
		if !slices.Contains(b, c) {
			missing = append(missing, c)
		}
	}
	for _, c := range b {
		if !slices.Contains(a, c) {
			extra = append(extra, c)
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "lacks "+quoteList(missing))
	}
	if len(extra) > 0 {
		parts = append(parts, "has extra "+quoteList(extra))
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("it %s (%d columns vs %d)", strings.Join(parts, " and "), len(b), len(a))
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteString(n)
	}
	word := "column "
	if len(names) > 1 {
		word = "columns "
	}
	return word + strings.Join(q, ", ")
}

// WeightedInput is one input file of a combined sample and the factor its
// events' weights are multiplied by.
type WeightedInput struct {
	Path   string
	Factor float64
}

// ReadWeighted reads every input with the same options and stacks them
// into one Compact (float32 when every value is exactly one: half the
// memory of a Table for a full-size sample, read without a second copy),
// with per-event weights: the input's Factor, times the column weightCol
// when it is not "" (that column then leaves the table; every input must
// have it). Inputs whose columns are the same set in another order are
// aligned by name to the first; any other difference is an error naming
// both files. The weights are nil when every one is 1 (no weight column,
// every factor 1).
func ReadWeighted(ctx context.Context, inputs []WeightedInput, opts ReadOptions, weightCol string) (*Compact, []float64, error) {
	if len(inputs) == 0 {
		return nil, nil, fmt.Errorf("read: no input files")
	}
	var out *Compact
	var weights []float64
	unit := weightCol == ""
	for _, in := range inputs {
		unit = unit && in.Factor == 1
	}
	for _, in := range inputs {
		var perm []int // the out column each of this file's columns feeds
		wj := -1
		var setup error
		var row []float64
		total := 0
		err := scan(ctx, in.Path, opts, func(c *Table) error {
			if setup != nil {
				return setup
			}
			d := len(c.Columns)
			rows := len(c.Data) / d
			row = slices.Grow(row[:0], rows*out.Cols())[:rows*out.Cols()]
			m := out.Cols()
			for i := range rows {
				src := c.Data[i*d : (i+1)*d]
				if !unit {
					w := in.Factor
					if wj >= 0 {
						w *= src[wj]
					}
					weights = append(weights, w)
				}
				dst := row[i*m : (i+1)*m]
				for k, v := range src {
					if perm[k] >= 0 {
						dst[perm[k]] = v
					}
				}
			}
			total += rows
			return out.Append(row)
		}, func(names []string, _ int) {
			cols := names
			if weightCol != "" {
				if wj = slices.Index(names, weightCol); wj < 0 {
					setup = fmt.Errorf("weight column: %s: %w", in.Path, &UnknownColumnError{Name: weightCol, Known: names})
					return
				}
				cols = slices.Delete(slices.Clone(names), wj, wj+1)
			}
			if out == nil {
				if out, setup = NewCompact(cols); setup != nil {
					setup = fmt.Errorf("read %s: %w", in.Path, setup)
					return
				}
			} else if !slices.Equal(cols, out.Columns) {
				if err := sameColumnSet(out.Columns, cols); err != nil {
					setup = fmt.Errorf("concat: %s differs from %s: %w", in.Path, inputs[0].Path, err)
					return
				}
			}
			perm = make([]int, len(names))
			for k, name := range names {
				perm[k] = slices.Index(out.Columns, name) // -1 for the weight column
			}
		})
		if err == nil {
			err = setup
		}
		if err != nil {
			return nil, nil, err
		}
		if total == 0 {
			if opts.Where != "" {
				return nil, nil, fmt.Errorf("read %s: %w: no row matches where %s", in.Path, ErrNoRows, quoteString(opts.Where))
			}
			return nil, nil, fmt.Errorf("read %s: %w", in.Path, ErrNoRows)
		}
	}
	return out, weights, nil
}
