package rootfile

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"
)

// small-flat-tree.root was written by PyROOT: 100 events, event i holds i
// in every scalar and array, N = i%10, slices of N values i.
func TestScanDefaultColumnsROOTFile(t *testing.T) {
	const path = "testdata/small-flat-tree.root"
	info, err := Inspect(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []string{"Int32", "Int64", "UInt32", "UInt64", "Float32", "Float64", "N"}
	if info.Tree != "tree" || info.Entries != 100 || !slices.Equal(info.Columns, wantCols) {
		t.Fatalf("info = %+v", info)
	}
	var skipped []string
	for _, s := range info.Skipped {
		skipped = append(skipped, s.Branch)
	}
	wantSkipped := []string{"Str", "ArrayInt32", "ArrayInt64", "ArrayUInt32", "ArrayUInt64", "ArrayFloat32", "ArrayFloat64",
		"SliceInt32", "SliceInt64", "SliceUInt32", "SliceUInt64", "SliceFloat32", "SliceFloat64"}
	if !slices.Equal(skipped, wantSkipped) {
		t.Errorf("skipped %v, want %v", skipped, wantSkipped)
	}
	if why := info.Skipped[0].Why; why != "a string (char*) branch" {
		t.Errorf("Str skipped because %q", why)
	}
	if why := info.Skipped[7].Why; why != `a variable-length array int32[N]: name elements, such as "SliceInt32[0]"` {
		t.Errorf("SliceInt32 skipped because %q", why)
	}
	cols, data := readAll(t, path, Options{})
	if !slices.Equal(cols, wantCols) || len(data) != 100*len(cols) {
		t.Fatalf("got %v and %d values", cols, len(data))
	}
	for j := range 6 {
		checkColumn(t, cols, data, j, func(i int) float64 { return float64(i) })
	}
	checkColumn(t, cols, data, 6, func(i int) float64 { return float64(i % 10) })
}

// leaves.root was written by ROOT (C++): 10 events of every leaf type.
func TestScanEveryLeafType(t *testing.T) {
	cols := []string{"B", "I8", "I16", "I32", "I64", "G64", "U8", "U16", "U32", "U64", "UGG", "F32", "F64", "D16", "D32", "N",
		"ArrBs[3]", "ArrI8[2]", "ArrI64[9]", "ArrU16[0]", "ArrF32[5]", "ArrD16[4]", "ArrD32[9]",
		"SliBs[0]", "SliI8[0]", "SliU64[1]", "SliF32[2]", "SliF64[8]", "SliD16[0]", "SliD32[3]"}
	got, data := readAll(t, "testdata/leaves.root", Options{Columns: cols})
	if !slices.Equal(got, cols) || len(data) != 10*len(cols) {
		t.Fatalf("got %v and %d values", got, len(data))
	}
	col := func(name string) int { return slices.Index(cols, name) }
	neg := func(i int) float64 { return float64(-i) }
	pos := func(i int) float64 { return float64(i) }
	checkColumn(t, cols, data, col("B"), func(i int) float64 { return b2fTest(i%2 == 0) })
	for _, c := range []string{"I8", "I16", "I32", "I64", "G64", "ArrI8[2]", "ArrI64[9]"} {
		checkColumn(t, cols, data, col(c), neg)
	}
	for _, c := range []string{"U8", "U16", "U32", "U64", "UGG", "F32", "F64", "D16", "D32", "ArrU16[0]", "ArrF32[5]", "ArrD16[4]", "ArrD32[9]"} {
		checkColumn(t, cols, data, col(c), pos)
	}
	checkColumn(t, cols, data, col("N"), func(i int) float64 { return float64(i % 10) })
	checkColumn(t, cols, data, col("ArrBs[3]"), func(i int) float64 { return b2fTest(i == 3) })
	// Slices hold N = i%10 values; shorter ones give NaN.
	slice := func(k int, v func(int) float64) func(int) float64 {
		return func(i int) float64 {
			if k >= i%10 {
				return math.NaN()
			}
			return v(i)
		}
	}
	checkColumn(t, cols, data, col("SliBs[0]"), slice(0, func(i int) float64 { return b2fTest(i == 1) }))
	checkColumn(t, cols, data, col("SliI8[0]"), slice(0, neg))
	checkColumn(t, cols, data, col("SliU64[1]"), slice(1, pos))
	checkColumn(t, cols, data, col("SliF32[2]"), slice(2, pos))
	checkColumn(t, cols, data, col("SliF64[8]"), slice(8, pos))
	checkColumn(t, cols, data, col("SliD16[0]"), slice(0, pos))
	checkColumn(t, cols, data, col("SliD32[3]"), slice(3, pos))
}

// Jagged elements by index: NaN where the event's array is too short, or
// the event dropped with SkipMissing; Limit counts the rows kept.
func TestScanJaggedShortEvents(t *testing.T) {
	const path = "testdata/small-flat-tree.root"
	cols := []string{"N", "SliceFloat64[2]", "SliceInt32[0]"}
	_, data := readAll(t, path, Options{Columns: cols})
	missing := 0
	for i := range 100 {
		row := data[i*3 : i*3+3]
		if row[0] != float64(i%10) {
			t.Fatalf("row %d: N = %v", i, row[0])
		}
		if want := i%10 > 2; want != !math.IsNaN(row[1]) || (want && row[1] != float64(i)) {
			t.Errorf("row %d: SliceFloat64[2] = %v with N = %v", i, row[1], row[0])
		}
		if want := i%10 > 0; want != !math.IsNaN(row[2]) || (want && row[2] != float64(i)) {
			t.Errorf("row %d: SliceInt32[0] = %v with N = %v", i, row[2], row[0])
		}
		if math.IsNaN(row[1]) || math.IsNaN(row[2]) {
			missing++
		}
	}
	if missing != 30 {
		t.Errorf("%d rows with a missing value, want 30", missing)
	}

	_, kept := readAll(t, path, Options{Columns: cols, SkipMissing: true})
	if len(kept) != 70*3 {
		t.Fatalf("SkipMissing kept %d rows, want 70", len(kept)/3)
	}
	for i := 0; i < len(kept); i += 3 {
		if kept[i] < 3 || kept[i+1] != kept[i+2] {
			t.Fatalf("SkipMissing kept row %v", kept[i:i+3])
		}
	}
	_, limited := readAll(t, path, Options{Columns: cols, SkipMissing: true, Limit: 8})
	if !slices.Equal(limited, kept[:8*3]) {
		t.Errorf("SkipMissing with Limit 8 gave %v", limited)
	}
	_, limited = readAll(t, path, Options{Columns: cols, Limit: 8})
	if len(limited) != 8*3 || !same(limited[0+1], math.NaN()) {
		t.Errorf("Limit 8 gave %v", limited)
	}
}

// The same tree written by ROOT 6.14 four ways (uproot's test files) reads
// the same, and as the generator wrote it.
func TestScanEveryCompressionOfROOT(t *testing.T) {
	cols := []string{"n", "b", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8", "ai4[2]", "au8[0]", "af8[1]", "ab[1]", "Ai4[0]", "Af8[3]", "Ab[1]", "Au2[2]"}
	var ref []float64
	for _, c := range []string{"uncompressed", "zlib", "lzma", "lz4"} {
		got, data := readAll(t, "testdata/sample-6.14.00-"+c+".root", Options{Columns: cols})
		if !slices.Equal(got, cols) || len(data) != 30*len(cols) {
			t.Fatalf("%s: %v, %d values", c, got, len(data))
		}
		if ref == nil {
			ref = data
			continue
		}
		for k := range data {
			if !same(data[k], ref[k]) {
				t.Fatalf("%s: row %d column %q = %v, uncompressed %v", c, k/len(cols), cols[k%len(cols)], data[k], ref[k])
			}
		}
	}
	col := func(name string) int { return slices.Index(cols, name) }
	checkColumn(t, cols, ref, col("n"), func(i int) float64 { return float64(i % 5) })
	checkColumn(t, cols, ref, col("b"), func(i int) float64 { return b2fTest(i%2 == 0) })
	for _, c := range []string{"i1", "i2", "i4", "i8"} {
		checkColumn(t, cols, ref, col(c), func(i int) float64 { return float64(i - 15) })
	}
	for _, c := range []string{"u1", "u2", "u4", "u8"} {
		checkColumn(t, cols, ref, col(c), func(i int) float64 { return float64(i) })
	}
	checkColumn(t, cols, ref, col("au8[0]"), func(i int) float64 { return float64(i + 1) })
	checkColumn(t, cols, ref, col("ai4[2]"), func(i int) float64 { return float64(i - 12) })
	checkColumn(t, cols, ref, col("Ai4[0]"), func(i int) float64 {
		if i%5 == 0 {
			return math.NaN()
		}
		return float64(i/5*5 - 15)
	})
	d := len(cols)
	for i := range 30 {
		if f4 := ref[i*d+col("f4")]; math.Abs(f4-(float64(i)-14.9)) > 1e-5 || f4 != float64(float32(f4)) {
			t.Errorf("row %d: f4 = %v", i, f4)
		}
		if hasAf8 := i%5 > 3; hasAf8 == math.IsNaN(ref[i*d+col("Af8[3]")]) {
			t.Errorf("row %d: Af8[3] = %v", i, ref[i*d+col("Af8[3]")])
		}
	}
}

// ndim.root and ndim-slice.root (ROOT): multi-dimensional arrays, fixed
// and jagged; in event i the element at flat position k holds i+k
// (negated for signed integers; ndim-slice counts on across the slice).
func TestScanMultiDimensional(t *testing.T) {
	cols := []string{"ArrI32[1][2][3][4]", "ArrF64[0][0][0][1]", "ArrD16[1][2][3][4]", "ArrBs[1][2][3][4]"}
	_, data := readAll(t, "testdata/ndim.root", Options{Columns: cols})
	want := []float64{-119, 1, 119, 1, -120, 2, 120, 1} // ArrBs: i3%2 == 0
	if !slices.Equal(data, want) {
		t.Errorf("ndim: got %v, want %v", data, want)
	}
	cols = []string{"N", "SliI32[0][1][2][3]", "SliI32[1][1][2][3]", "SliD16[1][1][2][3]", "SliF64[0][0][0][1]"}
	_, data = readAll(t, "testdata/ndim-slice.root", Options{Columns: cols})
	nan := math.NaN()
	want = []float64{1, -23, nan, nan, 1, 2, -24, -48, 48, 2}
	for k := range want {
		if !same(data[k], want[k]) {
			t.Fatalf("ndim-slice: got %v, want %v", data, want)
		}
	}
}

func TestScanChunksAndFirst(t *testing.T) {
	var sizes []int
	var firsts []int64
	var all []float64
	err := Scan(context.Background(), "testdata/small-flat-tree.root", Options{Columns: []string{"Int64"}, ChunkRows: 7}, func(c *Chunk) error {
		sizes = append(sizes, c.Rows())
		firsts = append(firsts, c.First)
		all = append(all, c.Data...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 15 || sizes[0] != 7 || sizes[14] != 2 {
		t.Errorf("chunk sizes %v", sizes)
	}
	for k, f := range firsts {
		if f != int64(7*k) {
			t.Errorf("chunk %d starts at entry %d", k, f)
		}
	}
	for i, v := range all {
		if v != float64(i) {
			t.Fatalf("row %d = %v", i, v)
		}
	}
	// With SkipMissing, First is the entry of the chunk's first kept row.
	firsts = firsts[:0]
	err = Scan(context.Background(), "testdata/small-flat-tree.root", Options{Columns: []string{"SliceInt64[8]"}, SkipMissing: true, ChunkRows: 3}, func(c *Chunk) error {
		firsts = append(firsts, c.First)
		return nil
	})
	if err != nil || !slices.Equal(firsts, []int64{9, 39, 69, 99}) {
		t.Errorf("SkipMissing chunks start at %v (%v)", firsts, err)
	}
}

func TestScanCallbackErrorAndCancel(t *testing.T) {
	stop := errors.New("enough")
	calls := 0
	err := Scan(context.Background(), "testdata/small-flat-tree.root", Options{ChunkRows: 10}, func(c *Chunk) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("Scan returned %v after %d calls, want the callback's error as is after 1", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Scan(ctx, "testdata/small-flat-tree.root", Options{}, func(c *Chunk) error {
		t.Error("callback called after cancel")
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Scan returned %v", err)
	}
	defer func() {
		if r := recover(); r != "callback panic" {
			t.Errorf("a panic in the callback came back as %v", r)
		}
	}()
	Scan(context.Background(), "testdata/small-flat-tree.root", Options{}, func(c *Chunk) error { panic("callback panic") })
	t.Error("the callback's panic was swallowed")
}

func TestTreesAndTNtuple(t *testing.T) {
	for path, want := range map[string][]string{
		"testdata/small-flat-tree.root": {"tree"},
		"testdata/tntuple.root":         {"ntup"},
	} {
		got, err := Trees(path)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Trees(%s) = %v, %v; want %v", path, got, err, want)
		}
	}
	cols, data := readAll(t, "testdata/tntuple.root", Options{})
	if !slices.Equal(cols, []string{"x", "y"}) || len(data) != 20 {
		t.Fatalf("tntuple: %v %v", cols, data)
	}
	for i := range 10 {
		if data[2*i] != float64(i) || data[2*i+1] != float64(i)+0.5 {
			t.Errorf("tntuple row %d = %v", i, data[2*i:2*i+2])
		}
	}
}

func TestParseColumn(t *testing.T) {
	for _, c := range []struct {
		in     string
		branch string
		index  []int
		bad    bool
	}{
		{"pt", "pt", nil, false},
		{"Muon_pt[0]", "Muon_pt", []int{0}, false},
		{"m[1][22]", "m", []int{1, 22}, false},
		{"x[]", "", nil, true},
		{"x[-1]", "", nil, true},
		{"x[+1]", "", nil, true},
		{"x[1", "", nil, true},
		{"x]", "", nil, true},
		{"[0]", "", nil, true},
		{"x[0]y", "", nil, true},
		{"x[a]", "", nil, true},
		{"x[" + strconv.Itoa(1<<31) + "]", "", nil, true},
	} {
		got, err := parseColumn(c.in)
		if c.bad {
			if !errors.Is(err, ErrBadColumn) {
				t.Errorf("parseColumn(%q) = %+v, %v; want an ErrBadColumn", c.in, got, err)
			}
			continue
		}
		if err != nil || got.branch != c.branch || !slices.Equal(got.index, c.index) {
			t.Errorf("parseColumn(%q) = %+v, %v", c.in, got, err)
		}
	}
}
