package data

import (
	"bytes"
	"fmt"
	"math"
	"strings"
)

// csvParser turns chunks of CSV lines into rows. It is read-only once built,
// so the parsing goroutines share one.
type csvParser struct {
	comma    byte
	ncols    int      // fields every data line must have
	names    []string // column names for error messages; nil when made up
	refLine  string   // where ncols comes from, for ragged-row errors
	plan     *plan
	hasNames bool // the names came from the file or the user (for hints)
	maxLine  int  // the longest line accepted, line ending excluded
	maxField int  // the longest field accepted
	allowInf bool // ReadOptions.AllowInfinite
}

// chunkResult is what parsing one chunk gives.
type chunkResult struct {
	data  []float64 // output rows, row-major
	rows  int       // rows parsed (before Where)
	lines int       // lines in the chunk
	perr  *ParseError
}

// parseChunk parses buf, appending output rows to out (reusing its storage).
// scratch holds one parsed row. Lines in errors are relative to the chunk.
func (p *csvParser) parseChunk(buf []byte, out, scratch []float64) chunkResult {
	var res chunkResult
	out = out[:0]
	pl := p.plan
	nOut := len(pl.out)
	straight := pl.direct && pl.keep == nil
	for rest := buf; len(rest) > 0; {
		var line []byte
		if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
			line, rest = rest[:nl], rest[nl+1:]
		} else {
			line, rest = rest, nil
		}
		res.lines++
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > p.maxLine {
			res.perr = &ParseError{Line: res.lines, Err: lineTooLong(len(line), false, p.maxLine, line[:min(len(line), 4*maxQuote)])}
			break
		}
		if len(line) == 0 || (line[0] == ' ' || line[0] == '\t') && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		row := scratch
		if straight {
			out = growFloats(out, nOut)
			row = out[len(out) : len(out)+nOut]
		}
		if perr := p.parseLine(line, row); perr != nil {
			perr.Line = res.lines
			res.perr = perr
			break
		}
		res.rows++
		if straight {
			out = out[:len(out)+nOut]
		} else {
			out, _ = pl.emit(out, scratch)
		}
	}
	res.data = out
	return res
}

// growFloats makes room for n more values.
func growFloats(s []float64, n int) []float64 {
	if cap(s)-len(s) >= n {
		return s
	}
	ns := make([]float64, len(s), 2*cap(s)+n)
	copy(ns, s)
	return ns
}

// parseLine parses the wanted fields of one line into row (indexed by the
// plan's slots). The returned error has no line number yet.
func (p *csvParser) parseLine(line []byte, row []float64) *ParseError {
	slot := p.plan.slot
	k := 0 // field index
	for i := 0; ; k++ {
		var field []byte
		if q := quoteAt(line, i); q >= 0 {
			f, next, ok := quotedField(line, q, p.comma)
			if !ok {
				return p.fieldError(k, newErr(ErrNotNumber, "unterminated quote (a quoted field must end on its line)"))
			}
			field, i = f, next
		} else if j := bytes.IndexByte(line[i:], p.comma); j >= 0 {
			field, i = line[i:i+j], i+j+1
		} else {
			field, i = line[i:], len(line)+1
		}
		if len(field) > p.maxField {
			return p.fieldError(k, fieldTooLong(field, p.maxField))
		}
		if k < len(slot) && slot[k] >= 0 {
			v, err := p.parseField(field)
			if err != nil {
				return p.fieldError(k, err)
			}
			row[slot[k]] = v
		}
		if i > len(line) {
			break
		}
	}
	if k+1 != p.ncols {
		return &ParseError{Err: newErr(ErrRagged, fmt.Sprintf("%d fields, expected %d (%s)", k+1, p.ncols, p.refLine))}
	}
	return nil
}

// quoteAt returns the index of the quote opening the field at line[i],
// after optional spaces, or -1 if the field is not quoted.
func quoteAt(line []byte, i int) int {
	if i >= len(line) {
		return -1
	}
	if line[i] == '"' {
		return i
	}
	if line[i] != ' ' {
		return -1
	}
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if i < len(line) && line[i] == '"' {
		return i
	}
	return -1
}

// quotedField reads the quoted field starting at line[i] == '"': "" inside
// stands for one quote. It returns the unquoted bytes (a copy only when an
// escaped quote must be removed), the index after the separator, and false
// if the quote is not closed.
func quotedField(line []byte, i int, comma byte) ([]byte, int, bool) {
	var unq []byte
	start := i + 1
	for j := start; j < len(line); j++ {
		if line[j] != '"' {
			continue
		}
		if j+1 < len(line) && line[j+1] == '"' {
			unq = append(append(unq, line[start:j]...), '"')
			j++
			start = j + 1
			continue
		}
		field := line[start:j]
		if unq != nil {
			field = append(unq, field...)
		}
		// Skip spaces to the separator; anything else after the closing
		// quote is kept, and will fail to parse as a number if wanted.
		k := j + 1
		for k < len(line) && (line[k] == ' ' || line[k] == '\t') {
			k++
		}
		if k == len(line) {
			return field, len(line) + 1, true
		}
		if line[k] == comma {
			return field, k + 1, true
		}
		end := bytes.IndexByte(line[k:], comma)
		if end < 0 {
			return line[i:], len(line) + 1, true
		}
		return line[i : k+end], k + end + 1, true
	}
	return nil, 0, false
}

// parseField converts one field, refusing what is not a finite number.
func (p *csvParser) parseField(field []byte) (float64, error) {
	if n := len(field); n > 0 && (field[0] <= ' ' || field[n-1] <= ' ') {
		field = bytes.TrimSpace(field)
	}
	v, ok := parseFloat(field)
	if ok && !math.IsNaN(v) && (p.allowInf || !math.IsInf(v, 0)) {
		return v, nil
	}
	return 0, valueError(field, v, ok)
}

// valueError explains why field is not accepted: v and ok are what
// parseFloat returned for it.
func valueError(field []byte, v float64, ok bool) error {
	switch {
	case len(field) == 0:
		return newErr(ErrNotNumber, "empty field (missing values are not supported)")
	case !ok:
		return newErr(ErrNotNumber, fmt.Sprintf("%s is not a number", quoteBytes(field)))
	case math.IsNaN(v):
		return newErr(ErrNotFinite, fmt.Sprintf("%s is NaN: %v", quoteBytes(field), ErrNotFinite))
	case isInfWord(field):
		return newErr(ErrNotFinite, fmt.Sprintf("%s is %s: %v", quoteBytes(field), infSign(v), ErrNotFinite))
	default:
		return newErr(ErrNotFinite, fmt.Sprintf("%s overflows float64 (%s): %v", quoteBytes(field), infSign(v), ErrNotFinite))
	}
}

func isInfWord(field []byte) bool {
	return bytes.ContainsAny(field, "iI")
}

func infSign(v float64) string {
	if v < 0 {
		return "-Inf"
	}
	return "+Inf"
}

func (p *csvParser) fieldError(k int, err error) *ParseError {
	e := &ParseError{Column: k + 1, Err: err}
	if p.hasNames && k < len(p.names) {
		e.Name = p.names[k]
		if isErr(err, ErrNotNumber) && strings.HasSuffix(err.Error(), ErrNotNumber.Error()) {
			e.Err = newErr(ErrNotNumber, fmt.Sprintf("%v (if column %s holds text, drop it: %s)", err, quoteString(e.Name), dropHint(e.Name)))
		}
	}
	return e
}

// msgError is an error with its own message that still matches a sentinel
// with errors.Is.
type msgError struct {
	msg string
	err error
}

func newErr(sentinel error, msg string) error { return &msgError{msg: msg, err: sentinel} }

func (e *msgError) Error() string { return e.msg }
func (e *msgError) Unwrap() error { return e.err }

func isErr(err, target error) bool {
	m, ok := err.(*msgError)
	return ok && m.err == target
}

// dropHint is the --drop flag that drops a column, or a description when
// the name is too long to repeat.
func dropHint(name string) string {
	if len(name) > maxQuote {
		return "--drop with its name"
	}
	return "--drop " + name
}
