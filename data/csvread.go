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
	src, err := openText(f)
	if err != nil {
		return err
	}
	ch := &chunker{r: src}
	first, err := ch.next(nil)
	if err != nil {
		if err == io.EOF {
			return newErr(ErrNoRows, "file is empty")
		}
		return readError(err, 1)
	}
	comma := byte(',')
	if isTSVPath(path) {
		comma = '\t'
	}
	p, dataStart, headerLines, err := prepareCSV(ch, &first, format, comma, &opts)
	if err != nil {
		return err
	}
	start(p.plan.outNames, -1)
	return runPipeline(ctx, ch, first[dataStart:], headerLines, p, opts, fn)
}

// openText returns the file's text, decompressing it when it starts with the
// gzip magic bytes, whatever its name.
func openText(f *os.File) (io.Reader, error) {
	br := bufio.NewReaderSize(f, 1<<20)
	magic, _ := br.Peek(2)
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, readError(err, 0)
	}
	return zr, nil
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

// prepareCSV reads the header (if any) from the first chunk, finds the column
// names and builds the parser. first may be extended with more of the stream
// when its first lines are longer than a chunk. It returns the offset in
// *first where data starts and the number of lines before it.
func prepareCSV(ch *chunker, first *[]byte, format Format, comma byte, opts *ReadOptions) (*csvParser, int, int, error) {
	buf := *first
	buf = bytes.TrimPrefix(buf, []byte("\xef\xbb\xbf")) // a UTF-8 byte-order mark, as Excel writes
	lines := splitLines(buf, 2)
	for len(lines) < 2 {
		more, err := ch.next(nil)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, 0, readError(err, 1)
		}
		buf = append(buf, more...)
		lines = splitLines(buf, 2)
	}
	*first = buf
	if len(lines) == 0 {
		return nil, 0, 0, newErr(ErrNoRows, "file is empty (blank lines only)")
	}

	firstFields := splitFields(lines[0].text, comma)
	header := false
	switch {
	case format == FormatHIGGS:
		if opts.Header == HeaderYes {
			return nil, 0, 0, errors.New("the HIGGS layout has no header line")
		}
		for _, fld := range firstFields {
			if _, ok := parseFloat(bytes.TrimSpace(fld)); !ok {
				return nil, 0, 0, &ParseError{Line: lines[0].num, Err: newErr(ErrNotNumber, fmt.Sprintf(
					"%s is not a number: the HIGGS layout has no header line (is this a CSV file with a header? read it as csv)",
					strconv.Quote(string(bytes.TrimSpace(fld)))))}
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

	p := &csvParser{comma: comma, ncols: len(firstFields)}
	var names []string
	switch {
	case len(opts.Names) > 0:
		names, p.hasNames = opts.Names, true
	case format == FormatHIGGS:
		names, p.hasNames = HiggsColumns(), true
	case header:
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
		return nil, 0, 0, &ParseError{Line: lines[0].num, Err: newErr(ErrRagged,
			fmt.Sprintf("%d fields, but there are %d %s", p.ncols, len(names), what))}
	}
	if err := checkNames(names); err != nil {
		return nil, 0, 0, &ParseError{Line: lines[0].num, Err: err}
	}
	p.names = names

	dataStart, headerLines := 0, 0
	if header && len(lines) < 2 {
		return nil, 0, 0, newErr(ErrNoRows, fmt.Sprintf("no data rows after the header on line %d", lines[0].num))
	}
	if header {
		dataStart, headerLines = lines[0].end, lines[0].num
		p.refLine = fmt.Sprintf("as in the header on line %d", lines[0].num)
	} else {
		p.refLine = fmt.Sprintf("as on line %d", lines[0].num)
	}

	// With DropNonNumeric, the first data row decides which columns are text.
	var text []string
	if opts.DropNonNumeric {
		dataLine := lines[0]
		if header {
			dataLine = lines[1]
		}
		text = make([]string, p.ncols)
		for k, fld := range splitFields(dataLine.text, comma) {
			if k >= p.ncols {
				break
			}
			fld = bytes.TrimSpace(fld)
			if _, ok := parseFloat(fld); !ok && len(fld) > 0 {
				text[k] = fmt.Sprintf("value %s on line %d", strconv.Quote(string(fld)), dataLine.num)
			}
		}
	}
	pl, err := makePlan(names, text, opts)
	if err != nil {
		return nil, 0, 0, err
	}
	p.plan = pl
	return p, dataStart, headerLines, nil
}

// textLine is one non-blank line: its text (without line ending), its
// 1-based number, and the offset just past its newline.
type textLine struct {
	text []byte
	num  int
	end  int
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
			out = append(out, textLine{text: line, num: num, end: end})
		}
		off = end
	}
	return out
}

// splitFields splits a header or sample line, unquoting quoted fields.
func splitFields(line []byte, comma byte) [][]byte {
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
		if i > len(line) {
			return out
		}
	}
}
