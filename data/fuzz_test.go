package data

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/parquet-go/parquet-go"
)

// The fuzz targets feed every reader arbitrary bytes. Beyond "no panic",
// each checks what a hostile file must never achieve: a table that breaks
// the invariants (unique UTF-8 names within the limits, finite values), an
// error message that echoes more than a short quote of the input, or an
// allocation out of proportion to the file (a claimed size trusted).
//
// Seeds are in testdata/fuzz/FuzzXxx and in the f.Add calls; run one with
//
//	go test -run '^$' -fuzz '^FuzzReadCSV$' -fuzztime 30s ./data/

// fuzzLimits are small, so that the fuzzer reaches them with small inputs.
var fuzzLimits = Limits{MaxLineBytes: 4096, MaxFieldBytes: 256, MaxColumns: 64}

// maxErrLen bounds an error message (beyond the path): quotes are short,
// lists of columns capped.
const maxErrLen = 2048

// allocBound is the most bytes reading a file of n bytes may allocate: the
// fixed buffers (a 1 MiB read buffer, chunks of 1 MiB a few per worker,
// Parquet pages) and a multiple of the file.
func allocBound(n int) uint64 { return 96<<20 + 64*uint64(n) }

// readMeasured reads path with opts and returns the table, the error and
// the bytes allocated meanwhile.
func readMeasured(path string, opts ReadOptions) (*Table, error, uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	tb, err := Read(context.Background(), path, opts)
	runtime.ReadMemStats(&after)
	return tb, err, after.TotalAlloc - before.TotalAlloc
}

// checkRead checks the result of reading a file of n bytes.
func checkRead(t *testing.T, path string, n int, opts ReadOptions, tb *Table, err error, alloc uint64) {
	t.Helper()
	if alloc > allocBound(n) {
		t.Errorf("reading %d bytes allocated %d bytes", n, alloc)
	}
	if err != nil {
		if tb != nil {
			t.Errorf("a table and an error: %v", err)
		}
		msg := strings.TrimPrefix(err.Error(), "read "+path+": ")
		if len(msg) > maxErrLen {
			t.Errorf("error of %d bytes: %.300s…", len(msg), msg)
		}
		if !utf8.ValidString(msg) {
			t.Errorf("error is not valid UTF-8: %q", msg)
		}
		return
	}
	if err := tb.Validate(); err != nil {
		t.Fatalf("invalid table: %v", err)
	}
	if tb.Rows() == 0 {
		t.Errorf("no rows and no error")
	}
	if lim := opts.Limits.MaxColumns; lim > 0 && tb.Cols() > lim {
		t.Errorf("%d columns, limit %d", tb.Cols(), lim)
	}
	for _, c := range tb.Columns {
		if !utf8.ValidString(c) {
			t.Errorf("column name %q is not UTF-8", c)
		}
		if lim := opts.Limits.MaxFieldBytes; lim > 0 && len(c) > lim {
			t.Errorf("column name of %d bytes, limit %d", len(c), lim)
		}
	}
	if err := tb.CheckFinite(); err != nil {
		t.Errorf("table holds %v", err)
	}
}

// sameResult reports whether two reads gave the same table or the same
// error (paths replaced).
func sameResult(a *Table, errA error, pathA string, b *Table, errB error, pathB string) bool {
	if (errA == nil) != (errB == nil) {
		return false
	}
	if errA != nil {
		return strings.ReplaceAll(errA.Error(), pathA, "P") == strings.ReplaceAll(errB.Error(), pathB, "P")
	}
	if strings.Join(a.Columns, "\x00") != strings.Join(b.Columns, "\x00") || len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Data {
		if math.Float64bits(a.Data[i]) != math.Float64bits(b.Data[i]) {
			return false
		}
	}
	return true
}

// csvOptions decodes a fuzzed option byte: header mode, DropNonNumeric.
func csvOptions(mode byte, workers int) ReadOptions {
	return ReadOptions{Header: HeaderMode(mode % 3), DropNonNumeric: mode&4 != 0, Workers: workers, Limits: fuzzLimits}
}

func addCSVSeeds(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n1,2,3\n4,5.5,-6e-3\n",
		"1,2\n3,4\n",
		"\xef\xbb\xbfx,y\r\n1,2\r\n\r\n3,4",
		"\n\n  \na,b\n\n\n1,2\n",
		"a,\"b,c\",d\n1,\"2\",3\n\"4\",5,\" 6 \"\n",
		"a,b\n1,2\n3\n",
		"a,b\n1,NaN\n",
		"id,x\nGT,1\nTT,2\n",
		"a\xe9,b\n1,2\n",
		"a,a\n1,2\n",
		"a,b\n1,\"unterminated\n",
		"1,2,3\n" + strings.Repeat("9", 300) + ",1,1\n",
		strings.Repeat(",", 100) + "\n",
		"a,b\n1," + strings.Repeat("x", 300) + "\n",
		strings.Repeat("\x00", 5000),
	} {
		f.Add([]byte(s), byte(0))
		f.Add([]byte(s), byte(5))
	}
}

// FuzzReadCSV reads arbitrary text as a CSV file, with one and two parsing
// goroutines, which must agree.
func FuzzReadCSV(f *testing.F) {
	addCSVSeeds(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text []byte, mode byte) {
		if len(text) >= 2 && text[0] == 0x1f && text[1] == 0x8b {
			return // gzip: FuzzReadCSVGz's
		}
		path := filepath.Join(dir, "x.csv")
		if mode&8 != 0 {
			path = filepath.Join(dir, "x.tsv")
		}
		if err := os.WriteFile(path, text, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := csvOptions(mode, 1)
		tb, err, alloc := readMeasured(path, opts)
		checkRead(t, path, len(text), opts, tb, err, alloc)
		opts.Workers = 2
		tb2, err2 := Read(context.Background(), path, opts)
		if !sameResult(tb, err, path, tb2, err2, path) {
			t.Errorf("1 and 2 workers differ: %v / %v", err, err2)
		}
		// The HIGGS layout on the same text: only the checks.
		opts = ReadOptions{Format: FormatHIGGS, Workers: 2, Limits: fuzzLimits}
		tb, err, alloc = readMeasured(path, opts)
		checkRead(t, path, len(text), opts, tb, err, alloc)
	})
}

// FuzzReadCSVGz reads text gzip'd (which must read as the plain text does)
// and arbitrary bytes as a .csv.gz file.
func FuzzReadCSVGz(f *testing.F) {
	addCSVSeeds(f)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte("a,b\n1,2\n3,4\n"))
	zw.Close()
	f.Add(b.Bytes(), byte(16))
	f.Add(b.Bytes()[:b.Len()/2], byte(16))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text []byte, mode byte) {
		gz := filepath.Join(dir, "x.csv.gz")
		opts := csvOptions(mode, 2)
		if mode&16 != 0 { // the bytes as they are: a corrupt or truncated stream
			if err := os.WriteFile(gz, text, 0o644); err != nil {
				t.Fatal(err)
			}
			tb, err, alloc := readMeasured(gz, opts)
			checkRead(t, gz, len(text), opts, tb, err, alloc)
			return
		}
		if len(text) >= 2 && text[0] == 0x1f && text[1] == 0x8b {
			return // would be decompressed twice when plain
		}
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(text)
		zw.Close()
		if err := os.WriteFile(gz, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		plain := filepath.Join(dir, "x.csv")
		if err := os.WriteFile(plain, text, 0o644); err != nil {
			t.Fatal(err)
		}
		tb, err, alloc := readMeasured(gz, opts)
		checkRead(t, gz, b.Len()+len(text), opts, tb, err, alloc)
		tb2, err2 := Read(context.Background(), plain, opts)
		if !sameResult(tb, err, gz, tb2, err2, plain) {
			t.Errorf("gzip'd and plain differ: %v / %v", err, err2)
		}
	})
}

// FuzzReadNPY reads arbitrary bytes as a .npy file.
func FuzzReadNPY(f *testing.F) {
	dir := f.TempDir()
	header := func(version byte, dict string) []byte {
		b := []byte("\x93NUMPY")
		b = append(b, version, 0)
		if version == 1 {
			b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
		} else {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)))
		}
		return append(b, dict...)
	}
	f64 := func(vs ...float64) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	dict := func(descr, fortran, shape string) string {
		return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n"
	}
	f.Add(append(header(1, dict("<f8", "False", "(2, 3)")), f64(1, 2, 3, 4, 5, 6)...))
	f.Add(append(header(1, dict("<f8", "True", "(2, 3)")), f64(1, 4, 2, 5, 3, 6)...))
	f.Add(append(header(2, dict("<f4", "False", "(3,)")), make([]byte, 12)...))
	f.Add(append(header(3, dict("|u1", "False", "(4, 1)")), 1, 2, 3, 4))
	f.Add(append(header(1, dict("<i8", "False", "(2000000000, 28)")), f64(1, 2)...))
	f.Add(append(header(1, dict("<f8", "True", "(2000000000, 28)")), f64(1, 2)...))
	f.Add(append(header(1, dict("<f8", "False", "(9223372036854775807, 9223372036854775807)")), f64(1)...))
	f.Add(append(header(1, dict("<f8", "False", "(1, 1000000)")), f64(1)...))
	f.Add(header(2, dict("<f8", "False", "(1, 1)"))[:12])
	f.Add(append(header(1, dict(">f8", "False", "(1, 1)")), f64(1)...))
	f.Add(append(header(1, dict("<f8", "False", "(1, 2)")), f64(1, math.NaN())...))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "x.npy")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := ReadOptions{Limits: fuzzLimits}
		tb, err, alloc := readMeasured(path, opts)
		checkRead(t, path, len(b), opts, tb, err, alloc)
		// From a stream of unknown size, the result must be the same, and
		// memory still bounded by what the stream holds.
		var tb2 *Table
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err2 := scanNPYFrom(context.Background(), bytes.NewReader(b), -1, path, opts, func(c *Table) error {
			if tb2 == nil {
				tb2 = &Table{Columns: c.Columns}
			}
			tb2.Data = append(tb2.Data, c.Data...)
			return nil
		}, func([]string, int) {})
		runtime.ReadMemStats(&after)
		if a := after.TotalAlloc - before.TotalAlloc; a > allocBound(len(b)) {
			t.Errorf("streaming %d bytes allocated %d bytes", len(b), a)
		}
		if (err == nil) != (err2 == nil) || err == nil && !sameResult(tb, nil, "", tb2, nil, "") {
			t.Errorf("file and stream differ: %v / %v", err, err2)
		}
	})
}

// FuzzReadParquet reads arbitrary bytes as a Parquet file.
func FuzzReadParquet(f *testing.F) {
	dir := f.TempDir()
	add := func(write func(path string) error) {
		path := filepath.Join(dir, "seed.parquet")
		if err := write(path); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	add(func(p string) error {
		return Write(p, &Table{Columns: []string{"a", "b"}, Data: []float64{1, 2, 3, 4, 5, 6}}, WriteOptions{})
	})
	type row struct {
		Type  string   `parquet:"Type"`
		Run   int64    `parquet:"Run"`
		Count int32    `parquet:"Count"`
		Flag  bool     `parquet:"Flag"`
		M     *float64 `parquet:"M,optional"`
	}
	m := 91.2
	add(func(p string) error {
		return parquet.WriteFile(p, []row{{"GT", 1, 3, true, &m}, {"TT", 2, -4, false, nil}})
	})
	add(func(p string) error {
		return parquet.WriteFile(p, []row{{"GT", 1, 3, true, &m}, {"TT", 2, -4, false, &m}})
	})
	f.Add([]byte("PAR1\x00\x00\x00\x00\xff\xff\xff\xffPAR1"))
	f.Add([]byte("not parquet"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "x.parquet")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, opts := range []ReadOptions{{Limits: fuzzLimits}, {Limits: fuzzLimits, DropNonNumeric: true}} {
			tb, err, alloc := readMeasured(path, opts)
			checkRead(t, path, len(b), opts, tb, err, alloc)
		}
	})
}

// FuzzParseExpr parses arbitrary --where text; what parses must compile
// against its own columns, evaluate without panicking and give its source
// back; errors point inside the text.
func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{
		"label==0", "m_bb > 1.2 && jet1_pt<2", "!(label != 1 || lepton_pT >= 0.5)", "-jet1_pt < -2",
		"a.b >= 3 && `p T` == 9", "((label == 0))", "1 < 2", "0 < m_bb < 2", "m_bb > 1.2.3", "é > 1",
		"`m_bb > 1", "(((((((((((((x>1)))))))))))))", strings.Repeat("!", 300) + "x>1",
		strings.Repeat("run==1||", 500) + "run==2", "x > 1e400", "x > .5e-3 && y <= +7",
	} {
		f.Add(s)
	}
	rows := [][]float64{{0, 0, 0, 0}, {1, -1, 2.5, 1e300}, {-3, 7, math.MaxFloat64, -0.5}}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseExpr(src)
		if err != nil {
			var ee *ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("error %v is not an *ExprError", err)
			}
			if n := utf8.RuneCountInString(src); ee.Pos < 1 || ee.Pos > n+1 {
				t.Errorf("position %d outside the %d characters", ee.Pos, n)
			}
			if len(err.Error()) > maxErrLen {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if e.String() != src {
			t.Errorf("String() = %q", e.String())
		}
		cols := e.Columns()
		seen := map[string]bool{}
		for _, c := range cols {
			if seen[c] || c == "" {
				t.Errorf("Columns() = %q", cols)
			}
			seen[c] = true
		}
		layout := append([]string{"pad"}, cols...)
		keep, err := e.Compile(layout)
		if err != nil {
			t.Fatalf("does not compile against its own columns %q: %v", cols, err)
		}
		for _, r := range rows {
			row := make([]float64, len(layout))
			for j := range row {
				row[j] = r[j%len(r)]
			}
			keep(row)
		}
		if len(cols) > 0 {
			if _, err := e.Compile(nil); err == nil {
				t.Errorf("compiles without its columns %q", cols)
			}
		}
	})
}
