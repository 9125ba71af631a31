package data

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, for errors.Is. Messages wrap them with the details.
var (
	// ErrNotNumber: a field that should hold a number does not.
	ErrNotNumber = errors.New("is not a number")
	// ErrNotFinite: a NaN or an infinite value; hepflow refuses them on
	// reading and writing because every later stage would silently spread them.
	ErrNotFinite = errors.New("NaN and infinite values are not allowed")
	// ErrRagged: a row with more or fewer fields than the table has columns.
	ErrRagged = errors.New("wrong number of fields")
	// ErrNoRows: an empty file, a header without data, or a selection that
	// matches no row.
	ErrNoRows = errors.New("no data rows")
	// ErrTruncated: the file ends in the middle of its data.
	ErrTruncated = errors.New("file is truncated")
	// ErrUnknownFormat: the format could not be told from the extension.
	ErrUnknownFormat = errors.New("unknown file format")
)

// ParseError locates a bad value or row in a file: Path is the file as the
// caller named it. Line is set for
// text formats and Row (1-based, counting data rows) for binary ones; Column
// is 1-based, or 0 when the error concerns a whole line; Name is the column's
// name when the file has one.
//
// Its message leaves out the path, which the reading function adds in front:
//
//	read x.csv: line 3, column 2 ("b"): "x" is not a number
type ParseError struct {
	Path   string
	Line   int
	Row    int
	Column int
	Name   string
	Err    error
}

// Error implements error.
func (e *ParseError) Error() string {
	var b strings.Builder
	switch {
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d", e.Line)
	case e.Row > 0:
		fmt.Fprintf(&b, "row %d", e.Row)
	}
	if e.Column > 0 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column %d", e.Column)
		if e.Name != "" {
			fmt.Fprintf(&b, " (%s)", quoteString(e.Name))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *ParseError) Unwrap() error { return e.Err }

// UnknownColumnError is returned for a column name that a table or file does
// not have. Its message lists the known columns (the first
// maxListedColumns of them) and, when one is close, the likely intended name.
type UnknownColumnError struct {
	Name  string
	Known []string
}

// maxListedColumns is the most known columns an UnknownColumnError lists.
const maxListedColumns = 50

// Error implements error.
func (e *UnknownColumnError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown column %s", quoteString(e.Name))
	if s := closest(e.Name, e.Known); s != "" {
		fmt.Fprintf(&b, " (did you mean %s?)", quoteString(s))
	}
	b.WriteString("; known columns: ")
	if len(e.Known) == 0 {
		b.WriteString("none")
	}
	for i, k := range e.Known {
		if i == maxListedColumns {
			fmt.Fprintf(&b, ", … (%d in all)", len(e.Known))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if len(k) > maxQuote {
			k = quoteString(k)
		}
		b.WriteString(k)
	}
	return b.String()
}

// maxTypoLen is the longest name closest compares by edit distance (which
// costs the product of the lengths); longer ones only match ignoring case.
const maxTypoLen = 256

// closest returns the known name nearest to name when it is plausibly a typo:
// equal ignoring case, or within an edit distance of about a third of its
// length.
func closest(name string, known []string) string {
	best, bestD := "", len(name)/3+1
	lower := strings.ToLower(name)
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return k
		}
		if len(name) > maxTypoLen || len(k) > maxTypoLen || abs(len(k)-len(name)) >= bestD {
			continue // the distance is at least the difference in length
		}
		if d := editDistance(lower, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
