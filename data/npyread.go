package data

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// npyHeader is what a .npy header says about its array.
type npyHeader struct {
	descr      string
	fortran    bool
	shape      []int
	dataOffset int // where the data start in the file
}

// npyDecoder converts one little-endian element to float64.
type npyDecoder struct {
	size   int
	decode func(b []byte) float64
}

var npyDecoders = map[string]npyDecoder{
	"f8": {8, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }},
	"f4": {4, func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) }},
	"i8": {8, func(b []byte) float64 { return float64(int64(binary.LittleEndian.Uint64(b))) }},
	"i4": {4, func(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b))) }},
	"i2": {2, func(b []byte) float64 { return float64(int16(binary.LittleEndian.Uint16(b))) }},
	"i1": {1, func(b []byte) float64 { return float64(int8(b[0])) }},
	"u8": {8, func(b []byte) float64 { return float64(binary.LittleEndian.Uint64(b)) }},
	"u4": {4, func(b []byte) float64 { return float64(binary.LittleEndian.Uint32(b)) }},
	"u2": {2, func(b []byte) float64 { return float64(binary.LittleEndian.Uint16(b)) }},
	"u1": {1, func(b []byte) float64 { return float64(b[0]) }},
	"b1": {1, func(b []byte) float64 { return float64(b[0] & 1) }},
}

// npySidecar is the file holding column names next to a .npy file.
func npySidecar(path string) string { return path + ".columns" }

// scanNPY reads a 1-D or 2-D .npy array. C-order arrays stream in blocks of
// rows; Fortran-order ones (as np.save writes for a transposed array) are
// read whole, since each row is spread over the file.
func scanNPY(ctx context.Context, path string, opts ReadOptions, fn func(*Table) error, start startFunc) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return scanNPYFrom(ctx, f, size, path, opts, fn, start)
}

// npyBlockBytes bounds the raw bytes of one block of rows read at a time.
const npyBlockBytes = 4 << 20

// scanNPYFrom is scanNPY on an open stream of size bytes (-1 when not
// known, as for a pipe); path locates the column names file. Every size the
// header claims is checked against size before anything is allocated for
// it; when size is not known, the data are read incrementally, so memory
// follows what the stream really holds. opts.Limits must be resolved.
func scanNPYFrom(ctx context.Context, r io.Reader, size int64, path string, opts ReadOptions, fn func(*Table) error, start startFunc) error {
	br := bufio.NewReaderSize(r, 1<<20)
	h, err := readNPYHeader(br, size)
	if err != nil {
		return err
	}
	dec, err := npyDecoderFor(h.descr)
	if err != nil {
		return err
	}
	rows, ncols := h.shape[0], 1
	if len(h.shape) == 2 {
		ncols = h.shape[1]
	}
	if ncols == 0 {
		return fmt.Errorf("array has shape %v: no columns", h.shape)
	}
	if ncols > opts.Limits.MaxColumns {
		return fmt.Errorf("array has shape %v: %w", h.shape, tooManyColumns(ncols, false, opts.Limits.MaxColumns))
	}
	rowBytes := ncols * dec.size
	need, ok := mulNonNeg(rows, rowBytes)
	if !ok {
		return fmt.Errorf("%w: the header's shape %v needs more bytes than any file holds", ErrTruncated, h.shape)
	}
	rowsHint := -1
	if size >= 0 {
		if have := size - int64(h.dataOffset); int64(need) > have {
			return npyTruncated(io.ErrUnexpectedEOF, h, int(have/int64(rowBytes)))
		}
		rowsHint = rows // checked: the file holds them
	}
	names, real, err := npyNames(path, ncols, opts.Names, opts.Limits)
	if err != nil {
		return err
	}
	errName := func(j int) string { // made-up names would only confuse
		if real {
			return names[j]
		}
		return ""
	}
	pl, err := makePlan(names, nil, &opts)
	if err != nil {
		return err
	}
	start(pl.outNames, rowsHint)
	if rows == 0 {
		return newErr(ErrNoRows, fmt.Sprintf("no data rows (shape %v)", h.shape))
	}
	var src io.Reader = br
	if h.fortran && ncols > 1 {
		// Read incrementally: with size known the claim is checked, but
		// without it only the stream says how much there really is.
		var raw []byte
		if rowsHint >= 0 {
			raw = make([]byte, need)
			if n, err := io.ReadFull(br, raw); err != nil {
				return npyTruncated(err, h, n/rowBytes)
			}
		} else {
			raw, err = io.ReadAll(io.LimitReader(br, int64(need)))
			if err != nil {
				return err
			}
			if len(raw) < need {
				return npyTruncated(io.ErrUnexpectedEOF, h, len(raw)/rowBytes)
			}
		}
		// Element (i, j) sits at (j*rows + i) in column-major order; gather
		// rows into C order, then stream the result like a C-order file.
		c := make([]byte, len(raw))
		for j := range ncols {
			for i := range rows {
				copy(c[(i*ncols+j)*dec.size:], raw[(j*rows+i)*dec.size:(j*rows+i+1)*dec.size])
			}
		}
		src = bytes.NewReader(c)
	}
	block := min(rows, max(1, min(1<<14, npyBlockBytes/rowBytes)))
	raw := make([]byte, block*rowBytes)
	parsed := make([]float64, len(pl.parsed))
	chunk := &Table{Columns: pl.outNames}
	var out []float64
	emitted := 0
	for start := 0; start < rows; start += block {
		if err := ctx.Err(); err != nil {
			return err
		}
		m := min(block, rows-start)
		buf := raw[:m*rowBytes]
		if n, err := io.ReadFull(src, buf); err != nil {
			return npyTruncated(err, h, start+n/rowBytes)
		}
		out = out[:0]
		for i := range m {
			r := buf[i*rowBytes:]
			for j := range ncols {
				s := pl.slot[j]
				if s < 0 {
					continue
				}
				v := dec.decode(r[j*dec.size:])
				if math.IsNaN(v) || math.IsInf(v, 0) && !opts.AllowInfinite {
					return &ParseError{Row: start + i + 1, Column: j + 1, Name: errName(j),
						Err: newErr(ErrNotFinite, fmt.Sprintf("%v: %v", v, ErrNotFinite))}
				}
				parsed[s] = v
			}
			out, _ = pl.emit(out, parsed)
		}
		rowsOut := out
		stop := false
		if opts.Limit > 0 && emitted+len(rowsOut)/len(pl.out) >= opts.Limit {
			rowsOut, stop = rowsOut[:(opts.Limit-emitted)*len(pl.out)], true
		}
		emitted += len(rowsOut) / len(pl.out)
		if len(rowsOut) > 0 {
			chunk.Data = rowsOut
			if err := fn(chunk); err != nil {
				return callbackError{err}
			}
		}
		if stop {
			break
		}
	}
	return nil
}

// mulNonNeg returns a*b for non-negative a and b, and false if it
// overflows an int.
func mulNonNeg(a, b int) (int, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > math.MaxInt/b {
		return 0, false
	}
	return a * b, true
}

func npyTruncated(err error, h npyHeader, fullRows int) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: the header's shape %v needs %d rows, the data ends in row %d", ErrTruncated, h.shape, h.shape[0], fullRows+1)
	}
	return err
}

func npyDecoderFor(descr string) (npyDecoder, error) {
	if len(descr) == 3 && (descr[0] == '<' || descr[0] == '|') {
		if d, ok := npyDecoders[descr[1:]]; ok && (descr[0] == '<' || d.size == 1) {
			return d, nil
		}
	}
	if strings.HasPrefix(descr, ">") {
		return npyDecoder{}, fmt.Errorf("big-endian dtype %s is not supported (convert with arr.astype('<f8'))", quoteString(descr))
	}
	return npyDecoder{}, fmt.Errorf("dtype %s is not supported (use little-endian floats or integers, e.g. '<f8' or '<f4')", quoteString(descr))
}

// npyNames returns the column names: given ones, else the sidecar's, else
// col0, col1, ... (then real is false).
func npyNames(path string, ncols int, given []string, lim Limits) (names []string, real bool, err error) {
	if len(given) > 0 {
		if len(given) != ncols {
			return nil, false, fmt.Errorf("%d names given for %d columns", len(given), ncols)
		}
		return given, true, nil
	}
	side := npySidecar(path)
	if f, err := os.Open(side); err == nil {
		defer f.Close()
		names, err := readSidecar(f, side, ncols, lim)
		if err != nil {
			return nil, false, err
		}
		return names, true, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("column names file: %w", err)
	}
	names = make([]string, ncols)
	for j := range names {
		names[j] = "col" + strconv.Itoa(j)
	}
	return names, false, nil
}

// readSidecar reads the names of a column names file (one per line) for
// ncols columns, reading no more than ncols names of the longest field
// allowed can take.
func readSidecar(r io.Reader, side string, ncols int, lim Limits) ([]string, error) {
	most := int64(ncols) * int64(lim.MaxFieldBytes+2)
	b, err := io.ReadAll(io.LimitReader(r, most+1))
	if err != nil {
		return nil, fmt.Errorf("column names file: %w", err)
	}
	if int64(len(b)) > most {
		return nil, fmt.Errorf("column names file %s is longer than %d names of at most %d bytes (raise the limit with --max-field-bytes): %w",
			side, ncols, lim.MaxFieldBytes, ErrLimit)
	}
	names := strings.Split(strings.TrimRight(string(b), "\r\n"), "\n")
	if len(names) != ncols {
		return nil, fmt.Errorf("column names file %s has %d names for %d columns (stale? delete it or give names explicitly)", side, len(names), ncols)
	}
	for i := range names {
		names[i] = strings.TrimRight(names[i], "\r")
		if len(names[i]) > lim.MaxFieldBytes {
			return nil, fmt.Errorf("column names file %s: line %d: %w", side, i+1, fieldTooLong([]byte(names[i]), lim.MaxFieldBytes))
		}
		if off := invalidUTF8([]byte(names[i])); off >= 0 {
			return nil, fmt.Errorf("column names file %s: line %d: name %s is not valid UTF-8 (byte 0x%02x at offset %d of the line); column names must be UTF-8",
				side, i+1, quoteString(names[i]), names[i][off], off)
		}
	}
	return names, nil
}

var (
	npyDescrRe   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	npyFortranRe = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShapeRe   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// readNPYHeader reads the magic string, version and header dictionary
// (versions 1.0, 2.0 and 3.0 of the format) of a file of size bytes (-1:
// unknown), and records where the data start.
func readNPYHeader(r io.Reader, size int64) (npyHeader, error) {
	var h npyHeader
	pre := make([]byte, 8)
	if n, err := io.ReadFull(r, pre); err != nil {
		if n == 0 {
			return h, newErr(ErrNoRows, "file is empty")
		}
		return h, fmt.Errorf("%w: the .npy header is incomplete", ErrTruncated)
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return h, errors.New("not a .npy file (no \\x93NUMPY magic string)")
	}
	var hlen, lenBytes int
	switch pre[6] {
	case 1:
		lenBytes = 2
	case 2, 3:
		lenBytes = 4
	default:
		return h, fmt.Errorf(".npy format version %d.%d is not supported", pre[6], pre[7])
	}
	b := make([]byte, lenBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return h, fmt.Errorf("%w: the .npy header is incomplete", ErrTruncated)
	}
	if lenBytes == 2 {
		hlen = int(binary.LittleEndian.Uint16(b))
	} else {
		hlen = int(binary.LittleEndian.Uint32(b))
	}
	h.dataOffset = 8 + lenBytes + hlen
	if size >= 0 && int64(h.dataOffset) > size {
		return h, fmt.Errorf("%w: the .npy header length %d runs past the end of the %d-byte file", ErrTruncated, hlen, size)
	}
	if hlen > 1<<20 {
		return h, fmt.Errorf(".npy header length %d is implausible", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return h, fmt.Errorf("%w: the .npy header is incomplete", ErrTruncated)
	}
	dict := string(hb)
	m := npyDescrRe.FindStringSubmatch(dict)
	if m == nil {
		return h, fmt.Errorf(".npy header has no 'descr': %s", quoteString(strings.TrimSpace(dict)))
	}
	h.descr = m[1]
	m = npyFortranRe.FindStringSubmatch(dict)
	if m == nil {
		return h, fmt.Errorf(".npy header has no 'fortran_order': %s", quoteString(strings.TrimSpace(dict)))
	}
	h.fortran = m[1] == "True"
	m = npyShapeRe.FindStringSubmatch(dict)
	if m == nil {
		return h, fmt.Errorf(".npy header has no 'shape': %s", quoteString(strings.TrimSpace(dict)))
	}
	for _, s := range strings.Split(m[1], ",") {
		if s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "L")); s == "" {
			continue
		}
		d, err := strconv.Atoi(s)
		if err != nil || d < 0 {
			return h, fmt.Errorf(".npy header has a bad shape (%s)", quoteString(m[1]))
		}
		h.shape = append(h.shape, d)
	}
	if len(h.shape) < 1 || len(h.shape) > 2 {
		return h, fmt.Errorf("array has %d dimensions (shape %s); only 1-D and 2-D arrays are tables", len(h.shape), shapeString(h.shape))
	}
	return h, nil
}

// shapeString prints a shape as fmt does, eliding dimensions after the
// eighth.
func shapeString(shape []int) string {
	if len(shape) <= 8 {
		return fmt.Sprint(shape)
	}
	return strings.TrimSuffix(fmt.Sprint(shape[:8]), "]") + " …]"
}
