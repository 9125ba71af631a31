package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// writeTemp writes content to name in a fresh temporary directory and
// returns the path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func gzipBytes(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func read(t *testing.T, path string, opts ReadOptions) (*Table, error) {
	t.Helper()
	return Read(context.Background(), path, opts)
}

// mustFail reads path and checks the error: its full text must equal want
// (the path is substituted for %s), and it must match sentinel.
func mustFail(t *testing.T, path string, opts ReadOptions, sentinel error, want string) {
	t.Helper()
	_, err := read(t, path, opts)
	if err == nil {
		t.Fatalf("read %s: no error, want %q", path, want)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("error %q does not match %v", err, sentinel)
	}
	if w := strings.ReplaceAll(want, "%s", path); err.Error() != w {
		t.Errorf("error\n got %q\nwant %q", err.Error(), w)
	}
}

func TestReadCSVHeader(t *testing.T) {
	path := writeTemp(t, "x.csv", "a,b,c\n1,2,3\n4,5.5,-6e-3\n")
	tb, err := read(t, path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tb.Columns, ","); got != "a,b,c" {
		t.Errorf("columns %s", got)
	}
	want := []float64{1, 2, 3, 4, 5.5, -6e-3}
	if fmt.Sprint(tb.Data) != fmt.Sprint(want) {
		t.Errorf("data %v, want %v", tb.Data, want)
	}
}

func TestReadCSVNoHeader(t *testing.T) {
	path := writeTemp(t, "x.csv", "1,2\n3,4\n")
	tb, err := read(t, path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows() != 2 || strings.Join(tb.Columns, ",") != "col0,col1" {
		t.Errorf("got %d rows, columns %v", tb.Rows(), tb.Columns)
	}
	// Forcing a header on all-numeric names.
	tb, err = read(t, path, ReadOptions{Header: HeaderYes})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows() != 1 || strings.Join(tb.Columns, ",") != "1,2" {
		t.Errorf("HeaderYes: got %d rows, columns %v", tb.Rows(), tb.Columns)
	}
	tb, err = read(t, path, ReadOptions{Names: []string{"x", "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows() != 2 || strings.Join(tb.Columns, ",") != "x,y" {
		t.Errorf("Names: got %d rows, columns %v", tb.Rows(), tb.Columns)
	}
}

func TestReadCSVDetails(t *testing.T) {
	// A byte-order mark, CRLF line ends, blank lines, spaces around values,
	// quoted names and values, a trailing line without newline.
	content := "\xef\xbb\xbf\"a\", \"b,c\"\r\n\r\n 1 , \"2\"\r\n\n3,4"
	path := writeTemp(t, "x.csv", content)
	tb, err := read(t, path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tb.Columns, "|") != "a|b,c" || fmt.Sprint(tb.Data) != "[1 2 3 4]" {
		t.Errorf("got columns %q data %v", tb.Columns, tb.Data)
	}
	// Line numbers still count the blank lines.
	path = writeTemp(t, "y.csv", "a,b\r\n\r\n1,2\r\n\r\n3,x\r\n")
	mustFail(t, path, ReadOptions{}, ErrNotNumber,
		`read %s: line 5, column 2 ("b"): "x" is not a number (if column "b" holds text, drop it: --drop b)`)
}

func TestReadTSV(t *testing.T) {
	path := writeTemp(t, "x.tsv", "a\tb\n1\t2\n")
	tb, err := read(t, path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tb.Columns, ",") != "a,b" || fmt.Sprint(tb.Data) != "[1 2]" {
		t.Errorf("got %v %v", tb.Columns, tb.Data)
	}
}

func TestReadRaggedRow(t *testing.T) {
	path := writeTemp(t, "x.csv", "a,b,c,d\n1,2,3,4\n1,2,3\n")
	mustFail(t, path, ReadOptions{}, ErrRagged,
		"read %s: line 3: 3 fields, expected 4 (as in the header on line 1)")
	path = writeTemp(t, "y.csv", "1,2\n3,4,5\n")
	mustFail(t, path, ReadOptions{}, ErrRagged, "read %s: line 2: 3 fields, expected 2 (as on line 1)")
}

func TestReadTextInNumericColumn(t *testing.T) {
	path := writeTemp(t, "x.csv", "a,b\n1,2\n3,x\n")
	mustFail(t, path, ReadOptions{}, ErrNotNumber,
		`read %s: line 3, column 2 ("b"): "x" is not a number (if column "b" holds text, drop it: --drop b)`)
	// Without a header, the column has a number only.
	path = writeTemp(t, "y.csv", "1,2\n3,x\n")
	mustFail(t, path, ReadOptions{Header: HeaderNo}, ErrNotNumber, `read %s: line 2, column 2: "x" is not a number`)
	// An empty field is a missing value, which is refused too.
	path = writeTemp(t, "z.csv", "a,b\n1,\n")
	mustFail(t, path, ReadOptions{}, ErrNotNumber,
		`read %s: line 2, column 2 ("b"): empty field (missing values are not supported)`)
}

func TestReadNaNInf(t *testing.T) {
	cases := []struct{ value, want string }{
		{"NaN", `"NaN" is NaN`},
		{"nan", `"nan" is NaN`},
		{"inf", `"inf" is +Inf`},
		{"-Infinity", `"-Infinity" is -Inf`},
		{"1e999", `"1e999" overflows float64 (+Inf)`},
	}
	for _, c := range cases {
		path := writeTemp(t, "x.csv", "a,b\n1,2\n3,"+c.value+"\n")
		mustFail(t, path, ReadOptions{}, ErrNotFinite,
			`read %s: line 3, column 2 ("b"): `+c.want+": NaN and infinite values are not allowed")
	}
}

func TestReadEmptyFile(t *testing.T) {
	mustFail(t, writeTemp(t, "x.csv", ""), ReadOptions{}, ErrNoRows, "read %s: file is empty")
	mustFail(t, writeTemp(t, "x.csv", "\n \n"), ReadOptions{}, ErrNoRows, "read %s: file is empty (blank lines only)")
	// A gzip'd empty text is empty too.
	path := filepath.Join(t.TempDir(), "x.csv.gz")
	os.WriteFile(path, gzipBytes(t, ""), 0o644)
	mustFail(t, path, ReadOptions{}, ErrNoRows, "read %s: file is empty")
}

func TestReadHeaderOnly(t *testing.T) {
	mustFail(t, writeTemp(t, "x.csv", "a,b,c\n"), ReadOptions{}, ErrNoRows,
		"read %s: no data rows after the header on line 1")
	mustFail(t, writeTemp(t, "x.csv", "\na,b,c\n\n"), ReadOptions{}, ErrNoRows,
		"read %s: no data rows after the header on line 2")
}

func TestReadTruncatedGzip(t *testing.T) {
	var text strings.Builder
	text.WriteString("a,b\n")
	for i := range 50000 {
		fmt.Fprintf(&text, "%d,%d.25\n", i, i*7)
	}
	z := gzipBytes(t, text.String())
	path := filepath.Join(t.TempDir(), "x.csv.gz")
	if err := os.WriteFile(path, z[:len(z)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := read(t, path, ReadOptions{})
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("error %v, want ErrTruncated", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line < 2 || pe.Line > 50001 || pe.Path != path {
		t.Fatalf("error %v should name a line inside the file", err)
	}
	prefix := fmt.Sprintf("read %s: line %d: file is truncated (the compressed stream ends early: ", path, pe.Line)
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error %q, want prefix %q", err, prefix)
	}
	// Truncated inside the gzip header.
	os.WriteFile(path, z[:5], 0o644)
	_, err = read(t, path, ReadOptions{})
	if !errors.Is(err, ErrTruncated) {
		t.Errorf("header cut: error %v, want ErrTruncated", err)
	}
}

func TestReadUnknownColumn(t *testing.T) {
	path := writeTemp(t, "x.csv", "m_bb,jet1_pt\n1,2\n")
	mustFail(t, path, ReadOptions{Drop: []string{"mbb"}}, nil,
		`read %s: drop: unknown column "mbb" (did you mean "m_bb"?); known columns: m_bb, jet1_pt`)
	mustFail(t, path, ReadOptions{Columns: []string{"jet2_pt"}}, nil,
		`read %s: columns: unknown column "jet2_pt" (did you mean "jet1_pt"?); known columns: m_bb, jet1_pt`)
	mustFail(t, path, ReadOptions{Where: "m_bb > 1 && x < 2"}, nil,
		`read %s: where "m_bb > 1 && x < 2": at position 13: unknown column "x"; known columns: m_bb, jet1_pt`)
	_, err := read(t, path, ReadOptions{Drop: []string{"nope"}})
	var uc *UnknownColumnError
	if !errors.As(err, &uc) || uc.Name != "nope" || len(uc.Known) != 2 {
		t.Errorf("error %v is not an UnknownColumnError for nope", err)
	}
}

func TestReadUnknownExtension(t *testing.T) {
	path := writeTemp(t, "x.txt", "1,2\n")
	mustFail(t, path, ReadOptions{}, ErrUnknownFormat,
		`read %s: unknown file format ".txt" (known: .csv, .csv.gz, .tsv, .parquet, .npy, .root; or give the format explicitly)`)
	// The explicit format overrides the extension.
	if _, err := read(t, path, ReadOptions{Format: FormatCSV}); err != nil {
		t.Error(err)
	}
	mustFail(t, path, ReadOptions{Format: "xls"}, ErrUnknownFormat,
		`read %s: unknown file format "xls" (known: csv, higgs, parquet, npy, root)`)
}

func TestReadDropTextColumn(t *testing.T) {
	path := writeTemp(t, "x.csv", "Type,a,b\nGT,1,2\n\"T,T\",3,4\n")
	mustFail(t, path, ReadOptions{}, ErrNotNumber,
		`read %s: line 2, column 1 ("Type"): "GT" is not a number (if column "Type" holds text, drop it: --drop Type)`)
	for _, opts := range []ReadOptions{{Drop: []string{"Type"}}, {DropNonNumeric: true}, {Columns: []string{"a", "b"}}} {
		tb, err := read(t, path, opts)
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		if strings.Join(tb.Columns, ",") != "a,b" || fmt.Sprint(tb.Data) != "[1 2 3 4]" {
			t.Errorf("%+v: got %v %v", opts, tb.Columns, tb.Data)
		}
	}
	// A column that DropNonNumeric keeps (numeric first value) must stay
	// numeric.
	path = writeTemp(t, "y.csv", "a,b\n1,2\n3,x\n")
	mustFail(t, path, ReadOptions{DropNonNumeric: true}, ErrNotNumber,
		`read %s: line 3, column 2 ("b"): "x" is not a number (if column "b" holds text, drop it: --drop b)`)
	// Where cannot test a text column.
	path = writeTemp(t, "z.csv", "Type,a\nGT,1\n")
	mustFail(t, path, ReadOptions{DropNonNumeric: true, Where: "Type == 1"}, nil,
		`read %s: where "Type == 1": column 1 ("Type") is not numeric (value "GT" on line 2); drop it (--drop Type) or drop all text columns (--skip-text)`)
}

func TestReadWhereDropColumnsLimit(t *testing.T) {
	path := writeTemp(t, "x.csv", "label,x,y\n0,1,10\n1,2,20\n0,3,30\n1,4,40\n0,5,50\n")
	tb, err := read(t, path, ReadOptions{Where: "label == 0", Drop: []string{"label"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tb.Columns, ",") != "x,y" || fmt.Sprint(tb.Data) != "[1 10 3 30 5 50]" {
		t.Errorf("got %v %v", tb.Columns, tb.Data)
	}
	tb, err = read(t, path, ReadOptions{Where: "x >= 2 && label != 0 || y == 50", Columns: []string{"y", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tb.Columns, ",") != "y,x" || fmt.Sprint(tb.Data) != "[20 2 40 4 50 5]" {
		t.Errorf("got %v %v", tb.Columns, tb.Data)
	}
	tb, err = read(t, path, ReadOptions{Where: "label == 0", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tb.Data) != "[0 1 10 0 3 30]" {
		t.Errorf("limit: got %v", tb.Data)
	}
	mustFail(t, path, ReadOptions{Where: "label == 2"}, ErrNoRows, `read %s: no data rows: no row matches where "label == 2"`)
	// Scan accepts an empty selection.
	calls := 0
	if err := Scan(context.Background(), path, ReadOptions{Where: "label == 2"}, func(*Table) error { calls++; return nil }); err != nil || calls != 0 {
		t.Errorf("Scan: %d calls, error %v", calls, err)
	}
}

// bigCSV returns a CSV text of n rows (several chunks) and, if bad > 0, a
// bad value on that line.
func bigCSV(n, bad int) string {
	var b strings.Builder
	b.WriteString("a,b,c\n")
	for i := 2; i <= n+1; i++ {
		if i == bad {
			fmt.Fprintf(&b, "%d,oops,1\n", i)
			continue
		}
		if i%1000 == 0 {
			b.WriteString("\n") // blank lines count as lines
			i++
		}
		fmt.Fprintf(&b, "%d,%d.5,-1e-3\n", i, i%97)
	}
	return b.String()
}

func TestReadLineNumbersAcrossChunks(t *testing.T) {
	const n = 300000 // about 5 MB: several chunks in flight
	text := bigCSV(n, 0)
	if len(text) < 3*chunkSize {
		t.Fatalf("test text of %d bytes is not several chunks", len(text))
	}
	path := writeTemp(t, "x.csv", text)
	tb, err := read(t, path, ReadOptions{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	// Column a holds the line number: rows must come back in file order.
	for i := range tb.Rows() {
		if i > 0 && tb.At(i, 0) <= tb.At(i-1, 0) {
			t.Fatalf("row %d: line %v after %v", i, tb.At(i, 0), tb.At(i-1, 0))
		}
	}
	for _, bad := range []int{2, 123457, 299999} {
		if bad%1000 == 0 || bad%1000 == 1 {
			continue
		}
		path := writeTemp(t, "y.csv.gz", "")
		os.WriteFile(path, gzipBytes(t, bigCSV(n, bad)), 0o644)
		mustFail(t, path, ReadOptions{Workers: 3}, ErrNotNumber,
			fmt.Sprintf(`read %%s: line %d, column 2 ("b"): "oops" is not a number (if column "b" holds text, drop it: --drop b)`, bad))
	}
}

func TestReadFirstErrorWins(t *testing.T) {
	// Bad values early and late: the early one is reported whichever chunk
	// finishes parsing first.
	text := bigCSV(300000, 290000)
	text = strings.Replace(text, "\n10,", "\n10,", 1)
	lines := strings.SplitN(text, "\n", 12)
	lines[10] = "11,x,1"
	path := writeTemp(t, "x.csv", strings.Join(lines, "\n"))
	for range 5 {
		mustFail(t, path, ReadOptions{Workers: 4}, ErrNotNumber,
			`read %s: line 11, column 2 ("b"): "x" is not a number (if column "b" holds text, drop it: --drop b)`)
	}
}

func TestReadHiggsFormat(t *testing.T) {
	row := "1" + strings.Repeat(",0.5", 28) + "\n"
	path := writeTemp(t, "h.csv", row+row)
	tb, err := read(t, path, ReadOptions{Format: FormatHIGGS})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows() != 2 || tb.Cols() != 29 || tb.Columns[28] != "m_wwbb" {
		t.Errorf("got %d x %d, last column %q", tb.Rows(), tb.Cols(), tb.Columns[28])
	}
	path = writeTemp(t, "h.csv", "1,2,3\n")
	mustFail(t, path, ReadOptions{Format: FormatHIGGS}, ErrRagged,
		"read %s: line 1: 3 fields, but there are 29 columns in the HIGGS layout")
	// Errors name the HIGGS column.
	path = writeTemp(t, "h.csv", row+strings.Replace(row, "0.5", "zz", 1))
	mustFail(t, path, ReadOptions{Format: FormatHIGGS}, ErrNotNumber,
		`read %s: line 2, column 2 ("lepton_pT"): "zz" is not a number (if column "lepton_pT" holds text, drop it: --drop lepton_pT)`)
}

func TestScanCallbackErrorAndCancel(t *testing.T) {
	path := writeTemp(t, "x.csv", bigCSV(200000, 0))
	stop := errors.New("stop here")
	err := Scan(context.Background(), path, ReadOptions{}, func(*Table) error { return stop })
	if err != stop {
		t.Errorf("Scan returned %v, want the callback's error unwrapped", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, path, ReadOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v", err)
	}
}

func TestReadMissingFile(t *testing.T) {
	_, err := read(t, filepath.Join(t.TempDir(), "none.csv"), ReadOptions{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v", err)
	}
}

func TestReadAll(t *testing.T) {
	a := writeTemp(t, "a.csv", "x,y\n1,2\n")
	b := writeTemp(t, "b.csv", "y,x\n4,3\n")
	c := writeTemp(t, "c.csv", "x,z\n5,6\n")
	tb, err := ReadAll(context.Background(), []string{a, b}, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tb.Data) != "[1 2 3 4]" {
		t.Errorf("got %v", tb.Data)
	}
	_, err = ReadAll(context.Background(), []string{a, c}, ReadOptions{})
	want := fmt.Sprintf(`read: concat: %s differs from %s: it lacks column "y" and has extra column "z" (2 columns vs 2)`, c, a)
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

func TestReadLeavesNoGoroutines(t *testing.T) {
	good := writeTemp(t, "x.csv", bigCSV(200000, 0))
	bad := writeTemp(t, "y.csv", bigCSV(200000, 150003))
	before := runtime.NumGoroutine()
	ctx := context.Background()
	for range 3 {
		if _, err := Read(ctx, bad, ReadOptions{Workers: 4}); err == nil {
			t.Fatal("no error")
		}
		if tb, err := Read(ctx, good, ReadOptions{Limit: 10}); err != nil || tb.Rows() != 10 {
			t.Fatalf("limit: %v", err)
		}
		Scan(ctx, good, ReadOptions{}, func(*Table) error { return errors.New("stop") })
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left running (%d before)", n-before, before)
	}
}

func TestReadLongLines(t *testing.T) {
	// Lines longer than a chunk (a field padded with megabytes of spaces)
	// among ordinary ones: buffers grow, and carried long lines still make
	// progress when the next buffer is a smaller recycled one. The limits
	// are raised above the lines' 1.3 to 4.5 MiB.
	var b strings.Builder
	b.WriteString("a,b\n")
	want := 0
	for i := range 12 {
		if i%3 == 1 {
			fmt.Fprintf(&b, "%d,%s%d\n", i, strings.Repeat(" ", chunkSize+chunkSize/3*i), i)
		} else {
			for k := range 20000 {
				fmt.Fprintf(&b, "%d,%d\n", i, k)
			}
		}
		want += map[bool]int{true: 1, false: 20000}[i%3 == 1]
	}
	path := writeTemp(t, "long.csv", b.String())
	tb, err := read(t, path, ReadOptions{Workers: 2, Limits: Limits{MaxLineBytes: 8 << 20, MaxFieldBytes: 8 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows() != want {
		t.Errorf("%d rows, want %d", tb.Rows(), want)
	}
	if j := 20000*1 + 0; tb.At(j, 0) != 1 || tb.At(j, 1) != 1 {
		t.Errorf("long row reads %v", tb.Row(j))
	}
}
