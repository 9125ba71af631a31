package data

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/klauspost/compress/gzip"
)

// scanCSV reads CSV text, gzip'd or not, in a pipeline: one goroutine
// decompresses and cuts the stream into chunks of whole lines, several parse
// chunks in parallel, and the calling goroutine hands the parsed chunks to fn
// in file order. Only a bounded number of chunks is in flight, so memory does
// not grow with the file.
func scanCSV(ctx context.Context, path string, format Format, opts ReadOptions, fn func(*Table) error, start startFunc) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return scanCSVFrom(ctx, f, size, path, format, opts, fn, start)
}

// scanCSVFrom is scanCSV on an open stream of size bytes (-1: unknown),
// which only sizes buffers; path only tells CSV from TSV. opts.Limits must
// be resolved.
func scanCSVFrom(ctx context.Context, r io.Reader, size int64, path string, format Format, opts ReadOptions, fn func(*Table) error, start startFunc) error {
	src, gzipped, err := openText(r, size, opts.workers())
	if err != nil {
		return err
	}
	if zr, ok := src.(*parallelGunzip); ok {
		defer zr.Close() // stops its goroutines
	}
	ch := &chunker{r: src, maxLine: opts.Limits.MaxLineBytes}
	if !gzipped && size >= 0 && size < chunkSize {
		ch.size = int(size) + 1 // a small file: one small chunk
	}
	comma := byte(',')
	if isTSVPath(path) {
		comma = '\t'
	}
	p, first, headerLines, err := prepareCSV(ch, format, comma, &opts)
	if err != nil {
		return err
	}
	start(p.plan.outNames, -1)
	return runPipeline(ctx, ch, first, headerLines, p, opts, fn)
}

// openText returns the stream's text, decompressing it when it starts with
// the gzip magic bytes, whatever the file's name, and whether it does.
// size (-1: unknown) sizes the read buffer. A large gzip'd regular file is
// decompressed by up to workers goroutines, member by member (see
// parallelGunzip), which must then be closed.
func openText(r io.Reader, size int64, workers int) (io.Reader, bool, error) {
	if f, ok := r.(*os.File); ok && size >= pgzMinSize && workers > 1 {
		// size is set for regular files only, which support ReadAt.
		if off, err := f.Seek(0, io.SeekCurrent); err == nil && isGzipAt(f, off) {
			zr, err := newParallelGunzip(io.NewSectionReader(f, off, size-off), size-off, newPgzConfig(workers))
			if err != nil {
				return nil, true, readError(err, 0)
			}
			return zr, true, nil
		}
	}
	bufSize := 1 << 20
	if size >= 0 && size < int64(bufSize) {
		bufSize = max(int(size), 16)
	}
	br := bufio.NewReaderSize(r, bufSize)
	magic, _ := br.Peek(2)
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, false, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, true, readError(err, 0)
	}
	return zr, true, nil
}

// isGzipAt reports whether the gzip magic bytes are at offset off of ra.
func isGzipAt(ra io.ReaderAt, off int64) bool {
	var magic [2]byte
	n, _ := ra.ReadAt(magic[:], off)
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b
}

// readError describes an error from reading or decompressing, at the given
// line (0: before any line).
func readError(err error, line int) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("%w (the compressed stream ends early: %v)", ErrTruncated, err)
	}
	if line > 0 {
		return &ParseError{Line: line, Err: err}
	}
	return err
}

// utf8BOM is the byte-order mark Excel writes at the start of UTF-8 text.
var utf8BOM = []byte("\xef\xbb\xbf")

// prepareCSV reads the first line and, after a header, the first data line
// from the stream, finds the column names and builds the parser. It returns
// the parser, the text where data starts (whole lines, more to come from ch)
// and the number of lines before that text. Blank lines before the first
// line and between a header and the data are dropped as they come (and
// counted), so that memory stays bounded by a line and a chunk whatever the
// stream holds.
func prepareCSV(ch *chunker, format Format, comma byte, opts *ReadOptions) (*csvParser, []byte, int, error) {
	lim := opts.Limits
	buf, err := ch.next(nil)
	if err == io.EOF {
		return nil, nil, 0, newErr(ErrNoRows, "file is empty")
	}
	if err != nil {
		return nil, nil, 0, readError(err, 1)
	}
	// skipped lines and bytes precede buf; fileOff is buf's offset in the
	// (decompressed) file, for messages about bytes.
	skipped, fileOff := 0, 0
	if bytes.HasPrefix(buf, utf8BOM) {
		buf, fileOff = buf[len(utf8BOM):], len(utf8BOM)
	}
	var hdr textLine
	for {
		if lines := splitLines(buf, 1); len(lines) > 0 {
			hdr = lines[0]
			break
		}
		// buf is whole blank lines (the chunker cuts at newlines): forget them.
		skipped += bytes.Count(buf, []byte{'\n'})
		fileOff += len(buf)
		buf, err = ch.next(buf[:0])
		if err == io.EOF {
			return nil, nil, 0, newErr(ErrNoRows, "file is empty (blank lines only)")
		}
		if err != nil {
			return nil, nil, 0, readError(err, skipped+1)
		}
	}
	hdrLine := skipped + hdr.num
	if len(hdr.text) > lim.MaxLineBytes {
		return nil, nil, 0, &ParseError{Line: hdrLine, Err: lineTooLong(len(hdr.text), false, lim.MaxLineBytes, hdr.text[:min(len(hdr.text), 4*maxQuote)])}
	}
	firstFields := splitFields(hdr.text, comma, lim.MaxColumns)
	if len(firstFields) > lim.MaxColumns {
		return nil, nil, 0, &ParseError{Line: hdrLine, Err: tooManyColumns(countFields(hdr.text, comma), false, lim.MaxColumns)}
	}
	for k, fld := range firstFields {
		if len(fld) > lim.MaxFieldBytes {
			return nil, nil, 0, &ParseError{Line: hdrLine, Column: k + 1, Err: fieldTooLong(fld, lim.MaxFieldBytes)}
		}
	}

	header := false
	switch {
	case format == FormatHIGGS:
		if opts.Header == HeaderYes {
			return nil, nil, 0, errors.New("the HIGGS layout has no header line")
		}
		for _, fld := range firstFields {
			if _, ok := parseFloat(bytes.TrimSpace(fld)); !ok {
				return nil, nil, 0, &ParseError{Line: hdrLine, Err: newErr(ErrNotNumber, fmt.Sprintf(
					"%s is not a number: the HIGGS layout has no header line (is this a CSV file with a header? read it as csv)",
					quoteBytes(bytes.TrimSpace(fld))))}
			}
		}
	case opts.Header == HeaderYes:
		header = true
	case opts.Header == HeaderAuto:
		for _, fld := range firstFields {
			if _, ok := parseFloat(bytes.TrimSpace(fld)); !ok {
				header = true
				break
			}
		}
	}

	p := &csvParser{comma: comma, ncols: len(firstFields), maxLine: lim.MaxLineBytes, maxField: lim.MaxFieldBytes}
	var names []string
	switch {
	case len(opts.Names) > 0:
		names, p.hasNames = opts.Names, true
	case format == FormatHIGGS:
		names, p.hasNames = HiggsColumns(), true
	case header:
		// Names are kept byte for byte, so they must be UTF-8: models,
		// Parquet schemas, JSON and the HTML report can hold nothing else,
		// and a name changed on the way would no longer match the file.
		if off := invalidUTF8(hdr.text); off >= 0 {
			k := len(splitFields(hdr.text[:off], comma, p.ncols)) - 1
			return nil, nil, 0, &ParseError{Line: hdrLine, Column: k + 1, Err: fmt.Errorf(
				"header name %s is not valid UTF-8 (byte 0x%02x at byte offset %d); column names must be UTF-8 (convert the file, e.g. iconv -f latin1 -t utf-8)",
				quoteBytes(bytes.TrimSpace(firstFields[k])), hdr.text[off], fileOff+hdr.start+off)}
		}
		for k, fld := range firstFields {
			name := string(bytes.TrimSpace(fld))
			if name == "" {
				name = "col" + strconv.Itoa(k)
			}
			names = append(names, name)
		}
		p.hasNames = true
	default:
		for k := range firstFields {
			names = append(names, "col"+strconv.Itoa(k))
		}
	}
	if len(names) != p.ncols {
		what := "names given"
		if format == FormatHIGGS && len(opts.Names) == 0 {
			what = "columns in the HIGGS layout"
		}
		return nil, nil, 0, &ParseError{Line: hdrLine, Err: newErr(ErrRagged,
			fmt.Sprintf("%d fields, but there are %d %s", p.ncols, len(names), what))}
	}
	if err := checkNames(names); err != nil {
		return nil, nil, 0, &ParseError{Line: hdrLine, Err: err}
	}
	p.names = names

	// After a header, the first data line: there must be one, and with
	// DropNonNumeric it decides which columns are text.
	dataLine, dataStart, headerLines := hdr, 0, skipped
	if header {
		p.refLine = fmt.Sprintf("as in the header on line %d", hdrLine)
		gap := 0 // blank lines dropped after the header
		var spare []byte
		for {
			if lines := splitLines(buf[hdr.end:], 1); len(lines) > 0 {
				dataLine = lines[0]
				break
			}
			gap += bytes.Count(buf[hdr.end:], []byte{'\n'})
			more, err := ch.next(spare)
			if err == io.EOF {
				return nil, nil, 0, newErr(ErrNoRows, fmt.Sprintf("no data rows after the header on line %d", hdrLine))
			}
			if err != nil {
				return nil, nil, 0, readError(err, hdrLine+gap+1)
			}
			buf, spare = append(buf[:hdr.end], more...), more
		}
		dataStart, headerLines = hdr.end, hdrLine+gap
	} else {
		p.refLine = fmt.Sprintf("as on line %d", hdrLine)
	}

	var text []string
	if opts.DropNonNumeric {
		text = make([]string, p.ncols)
		for k, fld := range splitFields(dataLine.text, comma, p.ncols) {
			if k >= p.ncols {
				break
			}
			fld = bytes.TrimSpace(fld)
			if _, ok := parseFloat(fld); !ok && len(fld) > 0 {
				text[k] = fmt.Sprintf("value %s on line %d", quoteBytes(fld), headerLines+dataLine.num)
			}
		}
	}
	pl, err := makePlan(names, text, opts)
	if err != nil {
		return nil, nil, 0, err
	}
	p.plan = pl
	return p, buf[dataStart:], headerLines, nil
}

// textLine is one non-blank line: its text (without line ending), its
// 1-based number, and the offsets of its start and just past its newline.
type textLine struct {
	text       []byte
	num        int
	start, end int
}

// splitLines returns up to max non-blank whole lines from the start of buf.
func splitLines(buf []byte, max int) []textLine {
	var out []textLine
	num := 0
	for off := 0; off < len(buf) && len(out) < max; {
		nl := bytes.IndexByte(buf[off:], '\n')
		end := len(buf)
		if nl >= 0 {
			end = off + nl + 1
		}
		num++
		line := bytes.TrimRight(buf[off:end], "\r\n")
		if len(bytes.TrimSpace(line)) > 0 {
			out = append(out, textLine{text: line, num: num, start: off, end: end})
		}
		off = end
	}
	return out
}

// splitFields splits a header or sample line, unquoting quoted fields. It
// stops after max+1 fields, so that a line of a million commas costs
// nothing before it is refused.
func splitFields(line []byte, comma byte, max int) [][]byte {
	var out [][]byte
	for i := 0; ; {
		var field []byte
		if q := quoteAt(line, i); q >= 0 {
			f, next, ok := quotedField(line, q, comma)
			if !ok {
				f, next = line[i:], len(line)+1
			}
			field, i = f, next
		} else if j := bytes.IndexByte(line[i:], comma); j >= 0 {
			field, i = line[i:i+j], i+j+1
		} else {
			field, i = line[i:], len(line)+1
		}
		out = append(out, field)
		if i > len(line) || len(out) > max {
			return out
		}
	}
}

// countFields counts the fields of a line as splitFields splits it, without
// keeping them.
func countFields(line []byte, comma byte) int {
	n := 0
	for i := 0; ; n++ {
		if q := quoteAt(line, i); q >= 0 {
			_, next, ok := quotedField(line, q, comma)
			if !ok {
				return n + 1
			}
			i = next
		} else if j := bytes.IndexByte(line[i:], comma); j >= 0 {
			i += j + 1
		} else {
			return n + 1
		}
		if i > len(line) {
			return n + 1
		}
	}
}
