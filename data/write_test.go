package data

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// awkwardTable holds values that stress float formatting: extremes,
// subnormals, negative zero, integers, values needing 17 digits.
func awkwardTable(rows int, seed uint64) *Table {
	rng := rand.New(rand.NewPCG(seed, 2))
	special := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1.0 / 3, math.MaxFloat64, -math.MaxFloat64,
		math.SmallestNonzeroFloat64, 2.2250738585072014e-308, 1e22, 1e23, 123456789012345678, 2.173076153}
	cols := []string{"label", "x", "y, with comma", "z"}
	t := Zeros(cols, rows)
	for i := range t.Data {
		switch i % 4 {
		case 0:
			t.Data[i] = float64(rng.IntN(2))
		case 1:
			t.Data[i] = special[rng.IntN(len(special))]
		case 2:
			t.Data[i] = rng.NormFloat64() * math.Pow10(rng.IntN(40)-20)
		default:
			for {
				v := math.Float64frombits(rng.Uint64())
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					t.Data[i] = v
					break
				}
			}
		}
	}
	return t
}

func sameBits(a, b []float64) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestRoundTrip(t *testing.T) {
	want := awkwardTable(5000, 1)
	dir := t.TempDir()
	for _, name := range []string{"t.csv", "t.csv.gz", "t.tsv", "t.parquet", "t.npy"} {
		path := filepath.Join(dir, name)
		if err := Write(path, want, WriteOptions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := Read(context.Background(), path, ReadOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got.Columns, want.Columns) {
			t.Errorf("%s: columns %q, want %q", name, got.Columns, want.Columns)
		}
		if i := sameBits(got.Data, want.Data); i >= 0 {
			t.Errorf("%s: value %d is %v, want %v", name, i, got.Data[i], want.Data[i])
		}
		// Where and column selection work the same on every format.
		sel, err := Read(context.Background(), path, ReadOptions{Where: "label == 1", Columns: []string{"z", "x"}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		keep, _ := CompileExpr("label == 1", want.Columns)
		ref, _ := want.Filter(keep).Select("z", "x")
		if !slices.Equal(sel.Columns, ref.Columns) || sameBits(sel.Data, ref.Data) >= 0 {
			t.Errorf("%s: selection differs (%d rows, want %d)", name, sel.Rows(), ref.Rows())
		}
	}
	// HIGGS layout: no header, read back with Names.
	path := filepath.Join(dir, "h.csv")
	if err := Write(path, want, WriteOptions{Format: FormatHIGGS}); err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), path, ReadOptions{Names: want.Columns})
	if err != nil || sameBits(got.Data, want.Data) >= 0 {
		t.Errorf("headerless round trip: %v", err)
	}
}

func TestWriteStreaming(t *testing.T) {
	want := awkwardTable(300000, 3) // several parquet row groups and read chunks
	dir := t.TempDir()
	for _, name := range []string{"s.csv.gz", "s.parquet", "s.npy"} {
		path := filepath.Join(dir, name)
		w, err := Create(path, want.Columns, WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for start := 0; start < want.Rows(); start += 7777 {
			if err := w.Write(want.Slice(start, min(start+7777, want.Rows()))); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists before Close", name)
		}
		if w.Rows() != want.Rows() {
			t.Errorf("Rows() = %d", w.Rows())
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		n := 0
		err = Scan(context.Background(), path, ReadOptions{}, func(c *Table) error {
			if i := sameBits(c.Data, want.Data[n*4:n*4+len(c.Data)]); i >= 0 {
				t.Fatalf("%s: row %d differs", name, n+i/4)
			}
			n += c.Rows()
			return nil
		})
		if err != nil || n != want.Rows() {
			t.Errorf("%s: %d rows, %v", name, n, err)
		}
	}
}

func TestGzipMembersReadByStdlib(t *testing.T) {
	// More text than one gzip member: the .csv.gz is several members, which
	// the standard library (like gunzip and Python) reads as one stream.
	tb := awkwardTable(60000, 5)
	dir := t.TempDir()
	plain, gz := filepath.Join(dir, "a.csv"), filepath.Join(dir, "a.csv.gz")
	if err := Write(plain, tb, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Write(gz, tb, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(plain)
	if len(want) < 2*gzipMember {
		t.Fatalf("only %d bytes of text", len(want))
	}
	f, _ := os.Open(gz)
	defer f.Close()
	zr, err := stdgzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("stdlib gunzip: %d bytes (want %d), %v", len(got), len(want), err)
	}
	// A table with no rows still gives a valid gzip file (with the header).
	empty := filepath.Join(dir, "e.csv.gz")
	if err := Write(empty, Zeros([]string{"a"}, 0), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	f2, _ := os.Open(empty)
	defer f2.Close()
	zr, err = stdgzip.NewReader(f2)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); err != nil || string(got) != "a\n" {
		t.Errorf("empty table: %q, %v", got, err)
	}
}

func TestNPYHeader(t *testing.T) {
	tb := sample()
	path := filepath.Join(t.TempDir(), "a.npy")
	if err := Write(path, tb, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	hlen := int(binary.LittleEndian.Uint16(b[8:]))
	hdr := string(b[10 : 10+hlen])
	if (10+hlen)%64 != 0 || !strings.HasPrefix(hdr, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3), }") || !strings.HasSuffix(hdr, " \n") {
		t.Errorf("header %q (total %d bytes)", hdr, 10+hlen)
	}
	if len(b) != 10+hlen+9*8 {
		t.Errorf("file has %d bytes", len(b))
	}
	if side, _ := os.ReadFile(path + ".columns"); string(side) != "a\nb\nc\n" {
		t.Errorf("sidecar %q", side)
	}
}

// npyFile builds a .npy file by hand.
func npyFile(t *testing.T, descr string, fortran bool, shape string, payload []byte) string {
	t.Helper()
	f := "False"
	if fortran {
		f = "True"
	}
	dict := "{'descr': '" + descr + "', 'fortran_order': " + f + ", 'shape': " + shape + ", }"
	for (10+len(dict)+1)%64 != 0 {
		dict += " "
	}
	dict += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	b = append(append(b, dict...), payload...)
	path := filepath.Join(t.TempDir(), "x.npy")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadNPYVariants(t *testing.T) {
	var f32 []byte
	for _, v := range []float32{1.5, -2, 3.25} {
		f32 = binary.LittleEndian.AppendUint32(f32, math.Float32bits(v))
	}
	tb, err := read(t, npyFile(t, "<f4", false, "(3,)", f32), ReadOptions{})
	if err != nil || !slices.Equal(tb.Columns, []string{"col0"}) || !slices.Equal(tb.Data, []float64{1.5, -2, 3.25}) {
		t.Errorf("1-D float32: %v %v", tb, err)
	}
	// Fortran order: a 2x3 array stored column by column.
	var f64 []byte
	for _, v := range []float64{1, 4, 2, 5, 3, 6} {
		f64 = binary.LittleEndian.AppendUint64(f64, math.Float64bits(v))
	}
	tb, err = read(t, npyFile(t, "<f8", true, "(2, 3)", f64), ReadOptions{Names: []string{"a", "b", "c"}})
	if err != nil || !slices.Equal(tb.Data, []float64{1, 2, 3, 4, 5, 6}) || tb.Columns[2] != "c" {
		t.Errorf("Fortran order: %v %v", tb, err)
	}
	var i4 []byte
	for _, v := range []int32{-7, 9} {
		i4 = binary.LittleEndian.AppendUint32(i4, uint32(v))
	}
	tb, err = read(t, npyFile(t, "<i4", false, "(1, 2)", i4), ReadOptions{})
	if err != nil || !slices.Equal(tb.Data, []float64{-7, 9}) {
		t.Errorf("int32: %v %v", tb, err)
	}
	path := npyFile(t, ">f8", false, "(1, 2)", f64[:16])
	mustFail(t, path, ReadOptions{}, nil, `read %s: big-endian dtype ">f8" is not supported (convert with arr.astype('<f8'))`)
	path = npyFile(t, "<f8", false, "(2, 2, 2)", f64)
	mustFail(t, path, ReadOptions{}, nil, "read %s: array has 3 dimensions (shape [2 2 2]); only 1-D and 2-D arrays are tables")
	path = npyFile(t, "<f8", false, "(4, 2)", f64)
	mustFail(t, path, ReadOptions{}, ErrTruncated, "read %s: file is truncated: the header's shape [4 2] needs 4 rows, the data ends in row 4")
	nan := binary.LittleEndian.AppendUint64(f64[:8:8], math.Float64bits(math.NaN()))
	path = npyFile(t, "<f8", false, "(1, 2)", nan)
	mustFail(t, path, ReadOptions{}, ErrNotFinite, `read %s: row 1, column 2: NaN: NaN and infinite values are not allowed`)
	path = npyFile(t, "<f8", false, "(0, 2)", nil)
	mustFail(t, path, ReadOptions{}, ErrNoRows, "read %s: no data rows (shape [0 2])")
	mustFail(t, writeTemp(t, "e.npy", ""), ReadOptions{}, ErrNoRows, "read %s: file is empty")
	mustFail(t, writeTemp(t, "e.npy", "PK\x03\x04 not numpy"), ReadOptions{}, nil, `read %s: not a .npy file (no \x93NUMPY magic string)`)
	// A stale sidecar with the wrong count is reported, not silently used.
	path = npyFile(t, "<f8", false, "(1, 2)", f64[:16])
	os.WriteFile(path+".columns", []byte("a\nb\nc\n"), 0o644)
	mustFail(t, path, ReadOptions{}, nil, "read %s: column names file %s.columns has 3 names for 2 columns (stale? delete it or give names explicitly)")
}

// A Parquet file as another tool would write it: a string column, an int
// column, an optional float column with a null.
type foreignRow struct {
	Type  string   `parquet:"Type"`
	Run   int64    `parquet:"Run"`
	Count int32    `parquet:"Count"`
	Flag  bool     `parquet:"Flag"`
	M     *float64 `parquet:"M,optional"`
}

func TestReadForeignParquet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.parquet")
	m1, m2 := 91.2, 88.0
	err := parquet.WriteFile(path, []foreignRow{{"GT", 148031, 3, true, &m1}, {"TT", 148032, -4, false, &m2}})
	if err != nil {
		t.Fatal(err)
	}
	mustFail(t, path, ReadOptions{}, nil,
		`read %s: column 1 ("Type") is not numeric (Parquet type STRING); drop it (--drop Type) or drop all text columns (--skip-text)`)
	tb, err := read(t, path, ReadOptions{DropNonNumeric: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tb.Columns, []string{"Run", "Count", "Flag", "M"}) || !slices.Equal(tb.Data, []float64{148031, 3, 1, 91.2, 148032, -4, 0, 88}) {
		t.Errorf("got %v %v", tb.Columns, tb.Data)
	}
	path = filepath.Join(t.TempDir(), "n.parquet")
	parquet.WriteFile(path, []foreignRow{{"GT", 1, 1, true, &m1}, {"GT", 2, 2, true, nil}})
	mustFail(t, path, ReadOptions{Drop: []string{"Type"}}, ErrNotNumber,
		`read %s: row 2, column 5 ("M"): null value (missing values are not supported)`)
	tb, err = read(t, path, ReadOptions{Drop: []string{"Type", "M"}})
	if err != nil || tb.Rows() != 2 {
		t.Errorf("dropping the null column: %v", err)
	}
	path = filepath.Join(t.TempDir(), "nan.parquet")
	nan := math.NaN()
	parquet.WriteFile(path, []foreignRow{{"GT", 1, 1, true, &m1}, {"GT", 2, 2, true, &nan}})
	mustFail(t, path, ReadOptions{DropNonNumeric: true}, ErrNotFinite,
		`read %s: row 2, column 5 ("M"): NaN: NaN and infinite values are not allowed`)
	mustFail(t, writeTemp(t, "bad.parquet", "not parquet at all"), ReadOptions{}, nil,
		`read %s: not a Parquet file (invalid magic header of parquet file: "not ")`)
	good, _ := os.ReadFile(path)
	cut := writeTemp(t, "cut.parquet", string(good[:len(good)-3]))
	if _, err := read(t, cut, ReadOptions{}); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut Parquet file: %v", err)
	}
}

func TestWriteRefusesNaN(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"n.csv", "n.parquet", "n.npy"} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte("old content"), 0o644)
		tb := sample()
		tb.Data[5] = math.Inf(-1)
		err := Write(path, tb, WriteOptions{})
		want := "write " + path + `: row 2, column 3 ("c"): -Inf cannot be written: NaN and infinite values are not allowed`
		if err == nil || err.Error() != want || !errors.Is(err, ErrNotFinite) {
			t.Errorf("got %v\nwant %s", err, want)
		}
		if b, _ := os.ReadFile(path); string(b) != "old content" {
			t.Errorf("%s was changed by a failed write", name)
		}
	}
	assertOnly(t, dir, "n.csv", "n.npy", "n.parquet")
}

// assertOnly checks that dir holds exactly the named files (no temporary
// file left behind).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}

func TestWriteAtomicFailures(t *testing.T) {
	tb := sample()
	dir := t.TempDir()
	// Missing directory.
	err := Write(filepath.Join(dir, "missing", "x.csv"), tb, WriteOptions{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
	// A file where the directory should be.
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	if err := Write(filepath.Join(dir, "file", "x.csv"), tb, WriteOptions{}); err == nil {
		t.Error("writing under a regular file succeeded")
	}
	// The destination is a directory.
	os.Mkdir(filepath.Join(dir, "d.csv"), 0o755)
	if err := Write(filepath.Join(dir, "d.csv"), tb, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("destination directory: %v", err)
	}
	// Abandoned writer.
	w, err := Create(filepath.Join(dir, "a.parquet"), tb.Columns, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(tb)
	w.Abort()
	if err := w.Close(); err == nil {
		t.Error("Close after Abort succeeded")
	}
	// Wrong column layout.
	w, _ = Create(filepath.Join(dir, "b.csv"), []string{"a", "b"}, WriteOptions{})
	if err := w.Write(tb); err == nil || !strings.Contains(err.Error(), `has extra column "c"`) {
		t.Errorf("mismatched columns: %v", err)
	}
	w.Abort()
	assertOnly(t, dir, "file", "d.csv")
	if err := Write(filepath.Join(dir, "x.xlsx"), tb, WriteOptions{}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("unknown extension: %v", err)
	}
	// An unwritable directory (root ignores permissions, so only as a user).
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if err := Write(filepath.Join(ro, "x.csv"), tb, WriteOptions{}); !errors.Is(err, os.ErrPermission) {
			t.Errorf("read-only directory: %v", err)
		}
		assertOnly(t, ro)
	}
}

func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.csv")
	os.WriteFile(path, []byte("old"), 0o600)
	if err := Write(path, sample(), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "a,b,c\n1,2,3\n4,5,6\n7,8,9\n" {
		t.Errorf("content %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	assertOnly(t, dir, "x.csv")
}

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("a\n1\n"), 0o644)
	wd, _ := os.Getwd()
	rel, _ := filepath.Rel(wd, in)
	link := filepath.Join(dir, "link.csv")
	os.Symlink(in, link)
	hard := filepath.Join(dir, "hard.csv")
	os.Link(in, hard)
	for _, out := range []string{in, rel, link, hard, filepath.Join(dir, ".", "sub", "..", "in.csv")} {
		err := CheckOutput(out, "other.csv", in)
		if err == nil || !strings.Contains(err.Error(), "choose another output path") {
			t.Errorf("CheckOutput(%s): %v", out, err)
		}
	}
	for _, out := range []string{filepath.Join(dir, "out.csv"), filepath.Join(dir, "new", "in.csv")} {
		if err := CheckOutput(out, in, link); err != nil {
			t.Errorf("CheckOutput(%s): %v", out, err)
		}
	}
}

func TestAllowInfiniteWritesMinusInf(t *testing.T) {
	dir := t.TempDir()
	tab, _ := New([]string{"logprob"}, []float64{-1.5, math.Inf(-1)})
	p := filepath.Join(dir, "lp.csv")
	if err := Write(p, tab, WriteOptions{}); err == nil {
		t.Fatal("-Inf written without AllowInfinite")
	}
	if err := Write(p, tab, WriteOptions{AllowInfinite: true}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if got := string(b); got != "logprob\n-1.5\n-Inf\n" {
		t.Fatalf("wrote %q", got)
	}
	nan, _ := New([]string{"x"}, []float64{math.NaN()})
	if err := Write(filepath.Join(dir, "nan.csv"), nan, WriteOptions{AllowInfinite: true}); err == nil {
		t.Fatal("NaN written")
	}
}
