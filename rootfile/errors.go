package rootfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors, for errors.Is; messages wrap them with the details.
var (
	// ErrCorrupt: the file is damaged (truncated, overwritten) or was not
	// written by ROOT; groot could not make sense of it.
	ErrCorrupt = errors.New("corrupt or truncated ROOT file")
	// ErrNoTree: the file has no tree of the name asked for, or no tree at
	// all, or several when none was named.
	ErrNoTree = errors.New("no such tree")
	// ErrNoBranch: the tree has no branch of the name asked for.
	ErrNoBranch = errors.New("no such branch")
	// ErrUnsupported: a branch whose type cannot become a float64 column
	// (strings, objects, branches of several leaves).
	ErrUnsupported = errors.New("unsupported branch type")
	// ErrBadColumn: a column name that is not a branch name followed by
	// zero or more [index] suffixes, or whose indices do not fit the branch.
	ErrBadColumn = errors.New("bad column")
)

// Error locates a failure: the file as the caller named it, and when they
// apply the tree and the branch. Its message reads
//
//	events.root: tree "Events": branch "Muon_pt": index [2][0] for a one-dimensional branch
type Error struct {
	Path   string
	Tree   string // "" when the failure concerns the whole file
	Branch string // "" when it concerns the whole tree
	Err    error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Tree != "" {
		b.WriteString(": tree ")
		b.WriteString(strconv.Quote(e.Tree))
	}
	if e.Branch != "" {
		b.WriteString(": branch ")
		b.WriteString(strconv.Quote(e.Branch))
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// recovered turns a panic inside groot into an error wrapping ErrCorrupt.
// Use as: defer recovered(&err, path, tree).
func recovered(err *error, path, tree string) {
	if r := recover(); r != nil {
		*err = &Error{Path: path, Tree: tree, Err: fmt.Errorf("%w: groot failed: %v", ErrCorrupt, r)}
	}
}

// quoteList formats names for messages: "a", "b", "c"; long lists are cut.
func quoteList(names []string) string {
	const most = 20
	var b strings.Builder
	for i, n := range names {
		if i == most {
			fmt.Fprintf(&b, ", ... (%d more)", len(names)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(n))
	}
	return b.String()
}
