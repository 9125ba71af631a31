package data

import (
	"fmt"
	"slices"
)

// plan says which of a file's columns are parsed and how parsed rows become
// output rows. Columns are parsed when they are output or tested by Where;
// everything else is skipped unparsed, which is what lets Drop remove a text
// column.
type plan struct {
	fileCols []string
	slot     []int    // per file column: its index in the parsed row, or -1
	parsed   []string // names of the parsed columns, in file order
	out      []int    // per output column: its index in the parsed row
	outNames []string
	keep     func([]float64) bool // nil: keep every row
	direct   bool                 // the parsed row is the output row
}

// makePlan builds the plan for a file with the given columns. nonNumeric, if
// not nil, gives for each file column a reason it is known not to hold
// numbers ("" if it does); such columns are dropped when DropNonNumeric is
// set and are an error when they would be parsed otherwise.
func makePlan(fileCols []string, nonNumeric []string, opts *ReadOptions) (*plan, error) {
	if len(fileCols) > opts.Limits.MaxColumns && opts.Limits.MaxColumns > 0 {
		return nil, tooManyColumns(len(fileCols), false, opts.Limits.MaxColumns)
	}
	if err := checkNames(fileCols); err != nil {
		return nil, err
	}
	if err := checkUTF8Names(fileCols, "column names"); err != nil {
		return nil, err
	}
	isText := func(j int) bool { return nonNumeric != nil && nonNumeric[j] != "" }
	index := make(map[string]int, len(fileCols))
	for j, c := range fileCols {
		index[c] = j
	}
	lookup := func(what, name string) (int, error) {
		j, ok := index[name]
		if !ok {
			return 0, fmt.Errorf("%s: %w", what, &UnknownColumnError{Name: name, Known: fileCols})
		}
		return j, nil
	}
	textErr := func(j int) error {
		return fmt.Errorf("column %d (%s) is not numeric (%s); drop it (%s) or drop all text columns (--skip-text)",
			j+1, quoteString(fileCols[j]), nonNumeric[j], dropHint(fileCols[j]))
	}

	dropped := make([]bool, len(fileCols))
	for _, name := range opts.Drop {
		j, err := lookup("drop", name)
		if err != nil {
			return nil, err
		}
		dropped[j] = true
	}
	var outIdx []int // file indices of output columns
	if len(opts.Columns) > 0 {
		for k, name := range opts.Columns {
			j, err := lookup("columns", name)
			if err != nil {
				return nil, err
			}
			if slices.Contains(opts.Columns[:k], name) {
				return nil, fmt.Errorf("columns: %s named twice", quoteString(name))
			}
			if dropped[j] {
				continue
			}
			if isText(j) && opts.DropNonNumeric {
				return nil, fmt.Errorf("columns: %w", textErr(j))
			}
			outIdx = append(outIdx, j)
		}
	} else {
		for j := range fileCols {
			if !dropped[j] && !(isText(j) && opts.DropNonNumeric) {
				outIdx = append(outIdx, j)
			}
		}
	}
	if len(outIdx) == 0 {
		return nil, fmt.Errorf("no columns left to read (all %d dropped)", len(fileCols))
	}

	need := make([]bool, len(fileCols))
	for _, j := range outIdx {
		need[j] = true
	}
	var where *Expr
	if opts.Where != "" {
		var err error
		if where, err = ParseExpr(opts.Where); err != nil {
			return nil, err
		}
		for _, name := range where.Columns() {
			j, ok := index[name]
			if !ok {
				continue // Compile below reports it with its position
			}
			if isText(j) {
				return nil, fmt.Errorf("where %s: %w", quoteString(opts.Where), textErr(j))
			}
			need[j] = true
		}
	}
	if !opts.DropNonNumeric {
		for j := range fileCols {
			if need[j] && isText(j) {
				return nil, textErr(j)
			}
		}
	}

	p := &plan{fileCols: fileCols, slot: make([]int, len(fileCols))}
	for j := range fileCols {
		p.slot[j] = -1
		if need[j] {
			p.slot[j] = len(p.parsed)
			p.parsed = append(p.parsed, fileCols[j])
		}
	}
	p.direct = true
	for k, j := range outIdx {
		p.out = append(p.out, p.slot[j])
		p.outNames = append(p.outNames, fileCols[j])
		if p.slot[j] != k {
			p.direct = false
		}
	}
	if len(p.parsed) != len(p.out) {
		p.direct = false
	}
	if where != nil {
		keep, err := where.Compile(p.parsed)
		if err != nil {
			// Recompile against all file columns so the error lists them
			// all rather than only the parsed ones.
			if _, err2 := where.Compile(fileCols); err2 != nil {
				return nil, err2
			}
			return nil, err
		}
		p.keep = keep
	}
	return p, nil
}

// emit appends the output row for a parsed row to dst if it passes Where.
func (p *plan) emit(dst []float64, parsed []float64) ([]float64, bool) {
	if p.keep != nil && !p.keep(parsed) {
		return dst, false
	}
	for _, k := range p.out {
		dst = append(dst, parsed[k])
	}
	return dst, true
}
