package data

import (
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
