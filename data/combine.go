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
// (see Concat) with per-event weights: the input's Factor, times the
// column weightCol when it is not "" (that column then leaves the table;
// every input must have it). The weights are nil when every one is 1
// (no weight column, every factor 1).
func ReadWeighted(ctx context.Context, inputs []WeightedInput, opts ReadOptions, weightCol string) (*Table, []float64, error) {
	var tables []*Table
	var weights []float64
	unit := weightCol == ""
	for _, in := range inputs {
		t, err := Read(ctx, in.Path, opts)
		if err != nil {
			return nil, nil, err
		}
		w := make([]float64, t.Rows())
		for i := range w {
			w[i] = in.Factor
		}
		if in.Factor != 1 {
			unit = false
		}
		if weightCol != "" {
			col, err := t.Column(weightCol)
			if err != nil {
				return nil, nil, fmt.Errorf("weight column: %s: %w", in.Path, err)
			}
			for i := range w {
				w[i] *= col[i]
			}
			if err := t.Drop(weightCol); err != nil {
				return nil, nil, err
			}
		}
		tables = append(tables, t)
		weights = append(weights, w...)
	}
	labels := make([]string, len(inputs))
	for i, in := range inputs {
		labels[i] = in.Path
	}
	tab, err := concat(tables, labels)
	if err != nil {
		return nil, nil, err
	}
	if unit {
		weights = nil
	}
	return tab, weights, nil
}
