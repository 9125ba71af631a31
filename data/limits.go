package data

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The default [Limits]. They are generous for real data and small enough
// that a hostile or mistaken input (a binary file read as text, /dev/zero, a
// line that never ends) is refused after a few megabytes instead of
// exhausting memory:
//
//   - a line: 1 MiB. A HIGGS line is about 600 bytes, and a line of
//     DefaultMaxColumns float64 values written in full (at most 24
//     characters and a comma each) is 250 kB, a quarter of the limit. Text is
//     cut into chunks of whole lines, so a line must fit in memory whole; a
//     few chunks per core are in flight.
//   - a field: 64 KiB. A number needs at most a few dozen characters; the
//     limit leaves room for text columns that are dropped (identifiers,
//     comments) while keeping column names, which are stored in models and
//     quoted in messages, of a sane size.
//   - columns: 10,000, a hundred times the widest tables hepflow is made
//     for (5-100 features) and more than the flat ntuples of analyses have
//     branches. Readers allocate per column (names, plans, buffers) before
//     the first row, and a flow's cost grows quadratically with it.
const (
	DefaultMaxLineBytes  = 1 << 20
	DefaultMaxFieldBytes = 64 << 10
	DefaultMaxColumns    = 10_000
)

// Limits bound what a file can make a reader allocate before its content is
// known to be sane. A zero field means its default (DefaultMaxLineBytes,
// DefaultMaxFieldBytes, DefaultMaxColumns); a negative one is an error.
// Input beyond a limit is an error wrapping [ErrLimit] that names the file,
// the line and, for a field, the column.
//
// Sizes that binary formats claim (a .npy header's shape, a Parquet row
// count) are checked against the file's real size, or read incrementally
// when the claim cannot be checked, whatever the limits.
type Limits struct {
	// MaxLineBytes bounds a line of text (CSV, TSV, the HIGGS layout;
	// after decompression), its line ending excluded.
	MaxLineBytes int
	// MaxFieldBytes bounds one field of text, a header name included,
	// whether or not the column is read.
	MaxFieldBytes int
	// MaxColumns bounds the number of columns of a file, in every format.
	MaxColumns int
}

// DefaultLimits returns the limits a zero [Limits] stands for.
func DefaultLimits() Limits {
	return Limits{MaxLineBytes: DefaultMaxLineBytes, MaxFieldBytes: DefaultMaxFieldBytes, MaxColumns: DefaultMaxColumns}
}

// resolve returns the limits with defaults for zero fields, or an error for
// a negative one.
func (l Limits) resolve() (Limits, error) {
	d := DefaultLimits()
	for _, f := range []struct {
		v    *int
		def  int
		name string
	}{
		{&l.MaxLineBytes, d.MaxLineBytes, "MaxLineBytes"},
		{&l.MaxFieldBytes, d.MaxFieldBytes, "MaxFieldBytes"},
		{&l.MaxColumns, d.MaxColumns, "MaxColumns"},
	} {
		switch {
		case *f.v < 0:
			return l, fmt.Errorf("limits: %s %d: want a positive value (0 for the default, %d)", f.name, *f.v, f.def)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	return l, nil
}

// ErrLimit is wrapped by the errors for input beyond one of the [Limits].
var ErrLimit = errors.New("beyond a reading limit")

// lineTooLong is the error for a line of n bytes (or more than n, when
// atLeast) beginning with start.
func lineTooLong(n int, atLeast bool, max int, start []byte) error {
	size := strconv.Itoa(n) + " bytes"
	if atLeast {
		size = "more than " + size
	}
	return newErr(ErrLimit, fmt.Sprintf("line of %s, longer than the limit of %d (raise it with --max-line-bytes); it starts %s",
		size, max, quotePrefix(start)))
}

// fieldTooLong is the error for a field longer than the limit.
func fieldTooLong(field []byte, max int) error {
	return newErr(ErrLimit, fmt.Sprintf("field longer than the limit of %d bytes (raise it with --max-field-bytes): %s",
		max, quoteBytes(field)))
}

// tooManyColumns is the error for a file of n columns (or more, when
// atLeast).
func tooManyColumns(n int, atLeast bool, max int) error {
	size := strconv.Itoa(n)
	if atLeast {
		size = "more than " + size
	}
	return newErr(ErrLimit, fmt.Sprintf("%s columns, more than the limit of %d (raise it with --max-columns)", size, max))
}

// maxQuote is the most characters of a file's text an error message quotes.
const maxQuote = 80

// quoteBytes quotes text from a file for an error message: whole when its
// quoted form fits in maxQuote characters, else a prefix followed by an
// ellipsis and the full length, as in "0000"… (10485760 bytes).
func quoteBytes(b []byte) string {
	q, cut := quoteHead(b)
	if !cut {
		return q
	}
	return fmt.Sprintf("%s… (%d bytes)", q, len(b))
}

// quoteString is quoteBytes for a string.
func quoteString(s string) string { return quoteBytes([]byte(s)) }

// quotePrefix quotes the start of a text whose full length is not known
// (or said elsewhere): the quoted prefix and an ellipsis when it is cut.
func quotePrefix(b []byte) string {
	q, cut := quoteHead(b)
	if cut {
		q += "…"
	}
	return q
}

// quoteHead quotes the longest prefix of b, cut at a character boundary,
// whose quoted form (escapes included) has at most maxQuote characters, and
// says whether it was cut.
func quoteHead(b []byte) (string, bool) {
	if len(b) <= maxQuote/4-2 { // short enough whatever the escapes
		return strconv.Quote(string(b)), false
	}
	out := []byte{'"'}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		var esc []byte
		if r == utf8.RuneError && n == 1 {
			esc = fmt.Appendf(nil, `\x%02x`, b[i])
		} else {
			esc = strconv.AppendQuoteRune(nil, r)
			esc = esc[1 : len(esc)-1]
			if r == '"' {
				esc = []byte(`\"`)
			} else if r == '\'' {
				esc = []byte(`'`)
			}
		}
		if len(out)+len(esc)+1 > maxQuote {
			return string(append(out, '"')), true
		}
		out = append(out, esc...)
		i += n
	}
	return string(append(out, '"')), false
}

// shortText cuts s, a message rather than a file's text, to about
// maxQuote bytes at a character boundary, marking the cut with an ellipsis.
func shortText(s string) string {
	if len(s) <= maxQuote {
		return s
	}
	cut := maxQuote
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// invalidUTF8 returns the offset of the first byte of s that is not part of
// valid UTF-8, or -1.
func invalidUTF8(s []byte) int {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// checkUTF8Names refuses column names that are not valid UTF-8 (see
// [ReadOptions]); what says where they come from, for the message.
func checkUTF8Names(names []string, what string) error {
	for j, n := range names {
		if off := invalidUTF8([]byte(n)); off >= 0 {
			return fmt.Errorf("%s: column %d: name %s is not valid UTF-8 (byte 0x%02x at offset %d of the name); column names must be UTF-8",
				what, j+1, quoteString(n), n[off], off)
		}
	}
	return nil
}
