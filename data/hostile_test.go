package data

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Hostile input: files that claim sizes they do not hold, or that never end,
// or whose lines, fields or column counts are absurd. Each must get an error
// (never a panic) that names the file and where in it, quotes at most a
// short piece of the offending text, and costs memory bounded by the limits
// or by the file's real size, not by what it claims.

// measure runs fn and returns the bytes it allocated.
func measure(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// readBounded reads path and checks that it fails with an error wrapping
// sentinel (when not nil) that contains every fragment, allocating at most
// most bytes.
func readBounded(t *testing.T, path string, opts ReadOptions, most uint64, sentinel error, fragments ...string) error {
	t.Helper()
	var err error
	alloc := measure(func() { _, err = Read(context.Background(), path, opts) })
	if err == nil {
		t.Fatalf("read %s: no error", path)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("error %q does not wrap %v", err, sentinel)
	}
	for _, f := range append([]string{"read " + path + ": "}, fragments...) {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
	if alloc > most {
		t.Errorf("refusing %s allocated %d bytes, more than %d", filepath.Base(path), alloc, most)
	}
	checkQuotes(t, err.Error())
	return err
}

var quoteRe = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// checkQuotes checks that every quoted piece of a message is short.
func checkQuotes(t *testing.T, msg string) {
	t.Helper()
	for _, q := range quoteRe.FindAllString(msg, -1) {
		if utf8.RuneCountInString(q) > maxQuote {
			t.Errorf("a quote of %d characters in %q", utf8.RuneCountInString(q), msg)
		}
	}
}

// npyBytes is a .npy file with the given version, header dictionary and
// payload.
func npyBytes(version byte, dict string, payload []byte) []byte {
	b := append([]byte("\x93NUMPY"), version, 0)
	if version == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)))
	}
	return append(append(b, dict...), payload...)
}

func TestHostileNPY(t *testing.T) {
	dict := func(fortran, shape string) string {
		return "{'descr': '<f8', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n"
	}
	data := make([]byte, 800) // 100 float64 zeros
	const small = 4 << 20     // the read buffer and change
	for _, c := range []struct {
		name     string
		b        []byte
		sentinel error
		want     []string
	}{
		// 2e9 x 28 float64 would be 448 GB.
		{"huge shape", npyBytes(1, dict("False", "(2000000000, 28)"), data), ErrTruncated,
			[]string{"shape [2000000000 28] needs 2000000000 rows, the data ends in row 4"}},
		{"huge shape, Fortran order", npyBytes(1, dict("True", "(2000000000, 28)"), data), ErrTruncated,
			[]string{"shape [2000000000 28]"}},
		{"shape overflowing", npyBytes(1, dict("False", "(9223372036854775807, 2)"), data), ErrTruncated,
			[]string{"needs more bytes than any file holds"}},
		{"header length past EOF", npyBytes(2, dict("False", "(2, 2)"), nil)[:12], ErrTruncated,
			[]string{"header length"}},
		{"too many columns", npyBytes(1, dict("False", "(1, 1000000)"), data), ErrLimit,
			[]string{"1000000 columns, more than the limit of 10000 (raise it with --max-columns)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.npy")
			b := c.b
			if c.name == "header length past EOF" { // claims 1 MB, has 4 bytes
				b = append(b[:8:8], 0, 0, 0x10, 0, '{', '}', ' ', '\n')
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			readBounded(t, path, ReadOptions{}, small, c.sentinel, c.want...)
			// From a stream, whose size is unknown, the claim is read
			// incrementally: an error all the same, memory bounded by the
			// stream.
			var err error
			alloc := measure(func() {
				err = scanNPYFrom(context.Background(), bytes.NewReader(b), -1, path, ReadOptions{Limits: DefaultLimits()},
					func(*Table) error { return nil }, func([]string, int) {})
			})
			if err == nil {
				t.Error("stream: no error")
			}
			if alloc > small+npyBlockBytes { // a block of rows, as claimed
				t.Errorf("stream: allocated %d bytes", alloc)
			}
		})
	}
}

// zeros yields n zero bytes (n < 0: without end), like /dev/zero.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	if z.n > 0 && int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// repeatReader yields s over and over, n times.
type repeatReader struct {
	s   []byte
	n   int
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	k := 0
	for k < len(p) && r.n > 0 {
		c := copy(p[k:], r.s[r.off:])
		k += c
		if r.off += c; r.off == len(r.s) {
			r.off, r.n = 0, r.n-1
		}
	}
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

// scanStream reads a stream as CSV (name says .csv or .tsv) and returns the
// error (the rows are dropped) and the bytes allocated.
func scanStream(r io.Reader, name string, opts ReadOptions) (error, uint64) {
	var err error
	lim, _ := opts.Limits.resolve()
	opts.Limits = lim
	alloc := measure(func() {
		err = scanCSVFrom(context.Background(), r, -1, name, FormatCSV, opts, func(*Table) error { return nil }, func([]string, int) {})
	})
	return err, alloc
}

func TestHostileEndlessStreams(t *testing.T) {
	// /dev/zero as a CSV: one line without end. Before the limit, it grew
	// to 24 GB.
	err, alloc := scanStream(&zeros{n: -1}, "zero.csv", ReadOptions{Workers: 2})
	var pe *ParseError
	if !errors.Is(err, ErrLimit) || !errors.As(err, &pe) || pe.Line != 1 {
		t.Errorf("endless zeros: %v", err)
	}
	if !strings.Contains(fmt.Sprint(err), `it starts "\x00\x00`) {
		t.Errorf("endless zeros: the message does not quote the start: %v", err)
	}
	checkQuotes(t, fmt.Sprint(err))
	if alloc > 16<<20 {
		t.Errorf("endless zeros: allocated %d bytes", alloc)
	}

	// Blank lines without end, then EOF: forgotten as they come.
	err, alloc = scanStream(&repeatReader{s: bytes.Repeat([]byte("\n \r\n"), 1024), n: 8 << 10}, "blank.csv", ReadOptions{})
	if !errors.Is(err, ErrNoRows) || alloc > 16<<20 {
		t.Errorf("32 MiB of blank lines: %v, %d bytes allocated", err, alloc)
	}
	// A header, then as many blank lines.
	err, alloc = scanStream(io.MultiReader(strings.NewReader("a,b\n"), &repeatReader{s: bytes.Repeat([]byte("\n"), 4096), n: 8 << 10}), "hdr.csv", ReadOptions{})
	if !errors.Is(err, ErrNoRows) || !strings.Contains(err.Error(), "after the header on line 1") || alloc > 16<<20 {
		t.Errorf("a header and 32 MiB of blank lines: %v, %d bytes allocated", err, alloc)
	}
	// The line numbers stay right after dropping them.
	nl := bytes.Repeat([]byte("\n"), 1024)
	err, _ = scanStream(io.MultiReader(&repeatReader{s: nl, n: 3 << 10}, strings.NewReader("a,b\n"),
		&repeatReader{s: nl, n: 3 << 10}, strings.NewReader("1,2\n3,x\n")), "gap.csv", ReadOptions{})
	if want := fmt.Sprintf("line %d, column 2 (\"b\")", 6<<20+3); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("after 6M blank lines: %v, want %s", err, want)
	}

	// A gzip bomb of zeros: 64 MiB decompressed, refused after a line's worth.
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	io.Copy(zw, &zeros{n: 64 << 20})
	zw.Close()
	path := filepath.Join(t.TempDir(), "bomb.csv.gz")
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	readBounded(t, path, ReadOptions{}, 24<<20, ErrLimit, "line 1: line of more than", "--max-line-bytes")
}

func TestHostileCSV(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, parts ...string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.Join(parts, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// A 10 MB line: it needed 763 MB.
	path := write("line.csv", "a,b\n1,2\n", strings.Repeat(" ", 10<<20), "7,1\n")
	err := readBounded(t, path, ReadOptions{}, 32<<20, ErrLimit, "line 3: line of more than", "longer than the limit of 1048576 (raise it with --max-line-bytes)",
		`it starts "          `)
	if strings.Contains(err.Error(), strings.Repeat(" ", 100)) {
		t.Errorf("the line is quoted at length: %.200s", err)
	}
	// The same line within a raised limit is read.
	tb, err := Read(context.Background(), path, ReadOptions{Limits: Limits{MaxLineBytes: 16 << 20, MaxFieldBytes: 16 << 20}})
	if err != nil || tb.Rows() != 2 {
		t.Errorf("with raised limits: %v", err)
	}
	// A line below a chunk but above a low limit: the exact length.
	path = write("short.csv", "a,b\n1,2\n", strings.Repeat("1", 150), ",2\n")
	readBounded(t, path, ReadOptions{Limits: Limits{MaxLineBytes: 100}}, 16<<20, ErrLimit, "line 3: line of 152 bytes, longer than the limit of 100")
	// A 10 MB field, echoed whole before.
	path = write("field.csv", "a,b\n1,2\n3,", strings.Repeat("x", 10<<20), "\n")
	readBounded(t, path, ReadOptions{Limits: Limits{MaxLineBytes: 32 << 20}}, 96<<20, ErrLimit,
		`line 3, column 2 ("b"): field longer than the limit of 65536 bytes (raise it with --max-field-bytes): "xxxxxxxx`, "… (10485760 bytes)")
	// A long header name.
	path = write("name.csv", "a,", strings.Repeat("n", 70000), "\n1,2\n")
	readBounded(t, path, ReadOptions{}, 16<<20, ErrLimit, "line 1, column 2: field longer than the limit of 65536 bytes", "(70000 bytes)")
	// 100,000 columns: they took 6.2 GB and ended in a JSON error.
	var hdr, row strings.Builder
	for j := range 100_000 {
		if j > 0 {
			hdr.WriteByte(',')
			row.WriteByte(',')
		}
		fmt.Fprintf(&hdr, "c%d", j)
		row.WriteByte('1')
	}
	path = write("wide.csv", hdr.String(), "\n", row.String(), "\n")
	readBounded(t, path, ReadOptions{}, 16<<20, ErrLimit, "line 1: 100000 columns, more than the limit of 10000 (raise it with --max-columns)")
	// A headerless one, and one within a raised limit.
	path = write("wide2.csv", row.String(), "\n")
	readBounded(t, path, ReadOptions{}, 16<<20, ErrLimit, "line 1: 100000 columns")
	if tb, err := Read(context.Background(), path, ReadOptions{Limits: Limits{MaxColumns: 100_000}}); err != nil || tb.Cols() != 100_000 {
		t.Errorf("100000 columns with --max-columns 100000: %v", err)
	}
	// A long bad value is quoted short.
	path = write("value.csv", "a,b\n1,", strings.Repeat("z", 5000), "\n")
	readBounded(t, path, ReadOptions{}, 16<<20, ErrNotNumber, `line 2, column 2 ("b"): "zzzz`, "… (5000 bytes) is not a number")
	// Limits must make sense.
	readBounded(t, path, ReadOptions{Limits: Limits{MaxColumns: -1}}, 1<<20, nil, "MaxColumns -1: want a positive value")
}

// TestHostileNames: column names are kept byte for byte, so they must be
// UTF-8 (see doc.go); a header that is not is refused where it is wrong.
func TestHostileNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "latin1.csv")
	os.WriteFile(path, []byte("\xef\xbb\xbf\n\npt,\"\xe9ta\",phi\n1,2,3\n"), 0o644)
	readBounded(t, path, ReadOptions{}, 4<<20, nil,
		`line 3, column 2: header name "\xe9ta" is not valid UTF-8 (byte 0xe9 at byte offset 9); column names must be UTF-8 (convert the file, e.g. iconv -f latin1 -t utf-8)`)
	// Gzip'd: the same, the offset in the text.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("pt,\xe9ta\n1,2\n"))
	zw.Close()
	gzPath := filepath.Join(dir, "latin1.csv.gz")
	os.WriteFile(gzPath, gz.Bytes(), 0o644)
	readBounded(t, gzPath, ReadOptions{}, 4<<20, nil, `line 1, column 2: header name "\xe9ta" is not valid UTF-8 (byte 0xe9 at byte offset 3)`)
	// Given names replace the header, and are checked too.
	tb, err := Read(context.Background(), path, ReadOptions{Names: []string{"pt", "eta", "phi"}})
	if err != nil || tb.Columns[1] != "eta" {
		t.Errorf("names given: %v", err)
	}
	readBounded(t, path, ReadOptions{Names: []string{"pt", "\xe9ta", "phi"}}, 4<<20, nil, `column names: column 2: name "\xe9ta" is not valid UTF-8`)
	// UTF-8 names, however exotic, are kept byte for byte.
	path = filepath.Join(dir, "utf8.csv")
	os.WriteFile(path, []byte("p_T [GeV],η,\u00a0φ\u200b,\ufffd\n1,2,3,4\n"), 0o644)
	tb, err = Read(context.Background(), path, ReadOptions{})
	if err != nil || strings.Join(tb.Columns, "|") != "p_T [GeV]|η|φ\u200b|\ufffd" {
		t.Errorf("UTF-8 names: %q %v", tb.Columns, err)
	}
	// A Parquet schema and a .npy sidecar are held to the same rule, and
	// the writers do not write what the readers refuse.
	pq := filepath.Join(dir, "x.parquet")
	f, _ := os.Create(pq)
	w := parquet.NewGenericWriter[any](f, parquet.NewSchema("t", parquet.Group{"a\xff": parquet.Leaf(parquet.DoubleType)}))
	w.WriteRows([]parquet.Row{{parquet.DoubleValue(1).Level(0, 0, 0)}})
	w.Close()
	f.Close()
	readBounded(t, pq, ReadOptions{}, 4<<20, nil, `column names: column 1: name "a\xff" is not valid UTF-8 (byte 0xff at offset 1 of the name)`)
	np := filepath.Join(dir, "x.npy")
	if err := Write(np, &Table{Columns: []string{"a", "b"}, Data: []float64{1, 2}}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(np+".columns", []byte("a\nb\xc3\n"), 0o644)
	readBounded(t, np, ReadOptions{}, 4<<20, nil, `column names file `+np+`.columns: line 2: name "b\xc3" is not valid UTF-8`)
	if err := Write(filepath.Join(dir, "y.csv"), &Table{Columns: []string{"a\xe9"}, Data: []float64{1}}, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("writing a non-UTF-8 name: %v", err)
	}
	// A sidecar that is not a list of names (here, megabytes of one line)
	// is not read whole.
	os.WriteFile(np+".columns", bytes.Repeat([]byte("x"), 8<<20), 0o644)
	readBounded(t, np, ReadOptions{}, 4<<20, ErrLimit, "is longer than 2 names of at most 65536 bytes")
}

// parquetWithFooter writes a small Parquet file, lets edit change its
// footer, and returns the path of the result.
func parquetWithFooter(t *testing.T, edit func(*format.FileMetaData)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.parquet")
	tb := &Table{Columns: []string{"a", "b"}}
	for i := range 1000 {
		tb.Data = append(tb.Data, float64(i), float64(-i))
	}
	if err := Write(path, tb, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(&thrift.CompactProtocol{}, b[len(b)-8-n:len(b)-8], &md); err != nil {
		t.Fatal(err)
	}
	edit(&md)
	footer, err := thrift.Marshal(&thrift.CompactProtocol{}, &md)
	if err != nil {
		t.Fatal(err)
	}
	out := append(append([]byte(nil), b[:len(b)-8-n]...), footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	out = append(out, "PAR1"...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHostileParquet(t *testing.T) {
	// Rows claimed, not there: 2e9 rows of 2 columns would be 32 GB.
	path := parquetWithFooter(t, func(md *format.FileMetaData) {
		md.NumRows = 2_000_000_000
		md.RowGroups[0].NumRows = 2_000_000_000
	})
	readBounded(t, path, ReadOptions{}, 32<<20, nil, `row group 1, column 1 ("a"): 1000 values for the row group's 2000000000 rows`)
	// A column chunk claimed beyond the file.
	path = parquetWithFooter(t, func(md *format.FileMetaData) {
		md.RowGroups[0].Columns[1].MetaData.TotalCompressedSize = 1 << 40
	})
	readBounded(t, path, ReadOptions{}, 8<<20, ErrTruncated, `row group 1, column 2 ("b"): file is truncated: the column chunk at offset`)
	// Fewer rows claimed than there are values.
	path = parquetWithFooter(t, func(md *format.FileMetaData) {
		md.NumRows = 10
		md.RowGroups[0].NumRows = 10
	})
	readBounded(t, path, ReadOptions{}, 8<<20, nil, `corrupt Parquet page: 1000 values in a row group of 10 rows`)
	// Too many columns for the limit.
	path = parquetWithFooter(t, func(*format.FileMetaData) {})
	readBounded(t, path, ReadOptions{Limits: Limits{MaxColumns: 1}}, 8<<20, ErrLimit, "2 columns, more than the limit of 1")
	// A footer length past the start of the file.
	b, _ := os.ReadFile(path)
	binary.LittleEndian.PutUint32(b[len(b)-8:], 1<<31)
	os.WriteFile(path, b, 0o644)
	readBounded(t, path, ReadOptions{}, 1<<20, ErrTruncated, "the Parquet footer length 2147483648 runs past the start")
	// A list in the footer claiming 2^31 elements in a few bytes: the
	// library would allocate them all, and that no recover can catch.
	b = []byte("PAR1")
	footer := []byte{0x15, 0x02, 0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00}
	b = append(append(b, footer...), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[len(b)-4:], uint32(len(footer)))
	b = append(b, "PAR1"...)
	os.WriteFile(path, b, 0o644)
	readBounded(t, path, ReadOptions{}, 1<<20, nil, "corrupt Parquet footer: corrupt Thrift metadata at byte 9: a list of 2147483647 elements in 1 bytes")
}

func TestQuoteBytes(t *testing.T) {
	for _, s := range []string{"", "a", `say "hi"`, "it's", "é\x00\xff", strings.Repeat("ab", 39), "\u00e9\u4e16\U0001f600"} {
		if got, want := quoteBytes([]byte(s)), strconv.Quote(s); got != want {
			t.Errorf("quoteBytes(%q) = %s, want %s", s, got, want)
		}
	}
	for _, s := range []string{strings.Repeat("x", 100), strings.Repeat("\x00", 100), strings.Repeat("é", 100), strings.Repeat("\"", 100)} {
		got := quoteBytes([]byte(s))
		head, tail, ok := strings.Cut(got, "… ")
		if !ok || tail != fmt.Sprintf("(%d bytes)", len(s)) || utf8.RuneCountInString(head) > maxQuote {
			t.Errorf("quoteBytes of %d bytes = %s", len(s), got)
		}
		if u, err := strconv.Unquote(head); err != nil || !strings.HasPrefix(s, u) {
			t.Errorf("the quoted head %s is not a prefix: %v", head, err)
		}
	}
	// An unknown column among thousands lists a few of them.
	known := make([]string, 10_000)
	for i := range known {
		known[i] = "col" + strconv.Itoa(i) + strings.Repeat("_", 200)
	}
	msg := (&UnknownColumnError{Name: strings.Repeat("q", 1000), Known: known}).Error()
	if len(msg) > 6000 || !strings.Contains(msg, "(10000 in all)") {
		t.Errorf("unknown column among 10000: %d bytes: %.300s", len(msg), msg)
	}
	checkQuotes(t, msg)
}

func TestHostileWhere(t *testing.T) {
	// Deep nesting is refused, long chains are not (a good-run list).
	deep := strings.Repeat("(", 1000) + "x > 1" + strings.Repeat(")", 1000)
	if _, err := ParseExpr(deep); err == nil || !strings.Contains(err.Error(), "nested more than 256 deep") {
		t.Errorf("1000 parentheses: %v", err)
	}
	checkQuotes(t, fmt.Sprint(ParseExpr(deep)))
	var runs []string
	for r := range 20_000 {
		runs = append(runs, fmt.Sprintf("run == %d", r))
	}
	keep, err := CompileExpr(strings.Join(runs, " || ")+" && x > 0", []string{"run", "x"})
	if err != nil || !keep([]float64{19_999, 1}) || keep([]float64{20_000, 1}) || !keep([]float64{3, -1}) {
		t.Errorf("a chain of 20000 runs: %v", err)
	}
	// A long expression is lexed in linear time and quoted short.
	long := strings.Repeat("x > 1 && ", 200_000) + "é"
	_, err = ParseExpr(long)
	if err == nil || !strings.Contains(err.Error(), "at position 1800001: unexpected character 'é'") {
		t.Errorf("long expression: %.300v", err)
	}
	checkQuotes(t, err.Error())
}
