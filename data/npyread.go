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
	descr   string
	fortran bool
	shape   []int
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
	br := bufio.NewReaderSize(f, 1<<20)
	h, err := readNPYHeader(br)
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
	names, real, err := npyNames(path, ncols, opts.Names)
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
	start(pl.outNames, rows)
	if rows == 0 {
		return newErr(ErrNoRows, fmt.Sprintf("no data rows (shape %v)", h.shape))
	}
	rowBytes := ncols * dec.size
	if h.fortran && ncols > 1 {
		raw := make([]byte, rows*rowBytes)
		if n, err := io.ReadFull(br, raw); err != nil {
			return npyTruncated(err, h, n/rowBytes)
		}
		// Element (i, j) sits at (j*rows + i) in column-major order; gather
		// rows into C order, then stream the result like a C-order file.
		c := make([]byte, len(raw))
		for j := range ncols {
			for i := range rows {
				copy(c[(i*ncols+j)*dec.size:], raw[(j*rows+i)*dec.size:(j*rows+i+1)*dec.size])
			}
		}
		br = bufio.NewReader(bytes.NewReader(c))
	}
	const block = 1 << 14
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
		if n, err := io.ReadFull(br, buf); err != nil {
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
				if math.IsNaN(v) || math.IsInf(v, 0) {
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
		return npyDecoder{}, fmt.Errorf("big-endian dtype %q is not supported (convert with arr.astype('<f8'))", descr)
	}
	return npyDecoder{}, fmt.Errorf("dtype %q is not supported (use little-endian floats or integers, e.g. '<f8' or '<f4')", descr)
}

// npyNames returns the column names: given ones, else the sidecar's, else
// col0, col1, ... (then real is false).
func npyNames(path string, ncols int, given []string) (names []string, real bool, err error) {
	if len(given) > 0 {
		if len(given) != ncols {
			return nil, false, fmt.Errorf("%d names given for %d columns", len(given), ncols)
		}
		return given, true, nil
	}
	side := npySidecar(path)
	if b, err := os.ReadFile(side); err == nil {
		names = strings.Split(strings.TrimRight(string(b), "\r\n"), "\n")
		for i := range names {
			names[i] = strings.TrimRight(names[i], "\r")
		}
		if len(names) != ncols {
			return nil, false, fmt.Errorf("column names file %s has %d names for %d columns (stale? delete it or give names explicitly)", side, len(names), ncols)
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

var (
	npyDescrRe   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	npyFortranRe = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShapeRe   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// readNPYHeader reads the magic string, version and header dictionary
// (versions 1.0, 2.0 and 3.0 of the format).
func readNPYHeader(r io.Reader) (npyHeader, error) {
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
	var hlen int
	switch pre[6] {
	case 1:
		b := make([]byte, 2)
		if _, err := io.ReadFull(r, b); err != nil {
			return h, fmt.Errorf("%w: the .npy header is incomplete", ErrTruncated)
		}
		hlen = int(binary.LittleEndian.Uint16(b))
	case 2, 3:
		b := make([]byte, 4)
		if _, err := io.ReadFull(r, b); err != nil {
			return h, fmt.Errorf("%w: the .npy header is incomplete", ErrTruncated)
		}
		hlen = int(binary.LittleEndian.Uint32(b))
	default:
		return h, fmt.Errorf(".npy format version %d.%d is not supported", pre[6], pre[7])
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
		return h, fmt.Errorf(".npy header has no 'descr': %s", strings.TrimSpace(dict))
	}
	h.descr = m[1]
	m = npyFortranRe.FindStringSubmatch(dict)
	if m == nil {
		return h, fmt.Errorf(".npy header has no 'fortran_order': %s", strings.TrimSpace(dict))
	}
	h.fortran = m[1] == "True"
	m = npyShapeRe.FindStringSubmatch(dict)
	if m == nil {
		return h, fmt.Errorf(".npy header has no 'shape': %s", strings.TrimSpace(dict))
	}
	for _, s := range strings.Split(m[1], ",") {
		if s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "L")); s == "" {
			continue
		}
		d, err := strconv.Atoi(s)
		if err != nil || d < 0 {
			return h, fmt.Errorf(".npy header has a bad shape (%s)", m[1])
		}
		h.shape = append(h.shape, d)
	}
	if len(h.shape) < 1 || len(h.shape) > 2 {
		return h, fmt.Errorf("array has %d dimensions (shape %v); only 1-D and 2-D arrays are tables", len(h.shape), h.shape)
	}
	return h, nil
}
