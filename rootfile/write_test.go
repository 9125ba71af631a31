package rootfile

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go-hep.org/x/hep/groot/riofs"
	"go-hep.org/x/hep/groot/rtree"
)

// awkward are float64 values a lossy path would change.
var awkward = []float64{0, math.Copysign(0, -1), 1, -1, math.Pi, 1e-310, -5e-324, math.MaxFloat64, -math.MaxFloat64,
	math.SmallestNonzeroFloat64, 0.1, 1 + 0x1p-52, 123456789.123456789, -2.5e300}

func writeFile(t *testing.T, path string, columns []string, rows []float64, opt WriteOptions) {
	t.Helper()
	w, err := Create(path, "", columns, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	// In two calls, to cross a call boundary.
	half := len(rows) / len(columns) / 2 * len(columns)
	if err := w.WriteRows(rows[:half]); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRows(rows[half:]); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != len(rows)/len(columns) {
		t.Errorf("Rows() = %d", w.Rows())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func randomRows(n, d int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := make([]float64, 0, n*d)
	for i := range n * d {
		if i < len(awkward) {
			rows = append(rows, awkward[i])
			continue
		}
		rows = append(rows, rng.NormFloat64()*math.Pow(10, float64(rng.IntN(40)-20)))
	}
	return rows
}

// Every compression writes float64 values that read back bit for bit,
// across chunk and basket boundaries.
func TestWriteRoundTripEveryCompression(t *testing.T) {
	cols := []string{"a", "b", "c"}
	rows := randomRows(9000, len(cols), 7) // three baskets per branch
	for _, c := range []Compression{"", None, Zlib, LZMA, LZ4, Zstd} {
		for _, level := range []int{0, 4} {
			if c == None && level != 0 {
				continue
			}
			path := filepath.Join(t.TempDir(), "rt.root")
			writeFile(t, path, cols, rows, WriteOptions{Compression: c, Level: level})
			trees, err := Trees(path)
			if err != nil || !slices.Equal(trees, []string{DefaultTree}) {
				t.Fatalf("%s: trees %v, %v", c, trees, err)
			}
			got, data := readAll(t, path, Options{ChunkRows: 4096})
			if !slices.Equal(got, cols) || len(data) != len(rows) {
				t.Fatalf("%s/%d: %v, %d values", c, level, got, len(data))
			}
			for k := range rows {
				if !same(data[k], rows[k]) {
					t.Fatalf("%s/%d: value %d: wrote %v, read %v", c, level, k, rows[k], data[k])
				}
			}
			if c == None || c == "" {
				continue
			}
			// The file is compressed with what was asked for.
			f, err := riofs.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			want := map[Compression]int32{Zlib: 1, LZMA: 2, LZ4: 4, Zstd: 5}[c]
			if got := f.Compression() / 100; got != want {
				t.Errorf("%s: file compression %d, want algorithm %d", c, f.Compression(), want)
			}
			f.Close()
		}
	}
}

// float32 branches (written here with groot directly) read as the exact
// float64 of each float32, as do the integer types.
func TestScanFloat32Exact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f32.root")
	f, err := riofs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		x   float32
		u   uint16
		arr [3]float32
		n   int32
		sli []float32
	)
	tw, err := rtree.NewWriter(f, "t", []rtree.WriteVar{
		{Name: "x", Value: &x}, {Name: "u", Value: &u}, {Name: "arr", Value: &arr},
		{Name: "n", Value: &n}, {Name: "sli", Value: &sli, Count: "n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var want []float32
	for i := range 5000 {
		x = float32(rng.NormFloat64() * 1e3)
		if i < 4 {
			x = []float32{math.MaxFloat32, math.SmallestNonzeroFloat32, float32(math.Copysign(0, -1)), 0.1}[i]
		}
		u = uint16(i)
		arr = [3]float32{x / 3, -x, x * 7}
		n = int32(i % 3)
		sli = sli[:0]
		for k := range n {
			sli = append(sli, x+float32(k))
		}
		want = append(want, x)
		if _, err := tw.Write(); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	cols := []string{"x", "u", "arr[0]", "arr[2]", "sli[1]"}
	_, data := readAll(t, path, Options{Columns: cols})
	for i, w := range want {
		row := data[i*5 : i*5+5]
		if !same(row[0], float64(w)) || row[1] != float64(i) || !same(row[2], float64(w/3)) || !same(row[3], float64(w*7)) {
			t.Fatalf("row %d: %v, want x = %v", i, row, w)
		}
		if i%3 < 2 != math.IsNaN(row[4]) || (i%3 == 2 && !same(row[4], float64(w+1))) {
			t.Fatalf("row %d: sli[1] = %v with n = %d", i, row[4], i%3)
		}
	}
	if got, _ := readAll(t, path, Options{}); !slices.Equal(got, []string{"x", "u", "n"}) {
		t.Errorf("default columns %v", got)
	}
}

func TestBranchName(t *testing.T) {
	for in, want := range map[string]string{
		"pt": "pt", "Muon_pt[0]": "Muon_pt_0", "m[1][2]": "m_1_2", "p.x": "p_x", "E/GeV": "E_GeV",
		"a:b": "a_b", "1st": "_1st", "x y": "x_y", "é": "_", "jet-eta": "jet_eta",
	} {
		if got := BranchName(in); got != want {
			t.Errorf("BranchName(%q) = %q, want %q", in, got, want)
		}
	}
	// The sanitized names are the branches, read back under those names.
	path := filepath.Join(t.TempDir(), "names.root")
	writeFile(t, path, []string{"Muon_pt[0]", "p.x"}, []float64{1, 2, 3, 4}, WriteOptions{})
	cols, data := readAll(t, path, Options{})
	if !slices.Equal(cols, []string{"Muon_pt_0", "p_x"}) || !slices.Equal(data, []float64{1, 2, 3, 4}) {
		t.Errorf("read back %v %v", cols, data)
	}
	if _, err := Create(path, "", []string{"a[0]", "a_0"}, WriteOptions{}); err == nil || !strings.Contains(err.Error(), `would both become branch "a_0"`) {
		t.Errorf("clashing names: %v", err)
	}
	if _, err := Create(path, "", []string{"a", "a"}, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate names: %v", err)
	}
	if _, err := Create(path, "my tree", []string{"a"}, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "not a valid tree name") {
		t.Errorf("bad tree name: %v", err)
	}
}

// Nothing appears before Close; a failed or aborted writer leaves the
// folder as it was.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.root")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Create(path, "ev", []string{"a", "b"}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRows([]float64{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatal("destination changed before Close")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRows([]float64{1, 2}); err == nil {
		t.Error("WriteRows after Close succeeded")
	}
	_, data := readAll(t, path, Options{Tree: "ev"})
	if !slices.Equal(data, []float64{1, 2, 3, 4}) {
		t.Errorf("read %v", data)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("permissions %v", fi.Mode())
	}

	w, err = Create(path, "", []string{"a"}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.WriteRows([]float64{5})
	w.Abort()
	if err := w.Close(); err == nil {
		t.Error("Close after Abort succeeded")
	}
	_, data = readAll(t, path, Options{})
	if !slices.Equal(data, []float64{1, 2, 3, 4}) {
		t.Errorf("Abort changed the file: %v", data)
	}

	w, err = Create(path, "", []string{"a", "b"}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = w.WriteRows([]float64{1, 2, 3, math.NaN()})
	if err == nil || !strings.Contains(err.Error(), `row 2, column 2 ("b")`) {
		t.Errorf("NaN: %v", err)
	}
	if err := w.Close(); err == nil {
		t.Error("Close after a failed write succeeded")
	}
	if err := w.WriteRows([]float64{1}); err == nil {
		t.Error("odd row length accepted")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "out.root" {
		t.Errorf("folder holds %v", entries)
	}

	w, err = Create(path, "", []string{"a"}, WriteOptions{AllowInfinite: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRows([]float64{math.Inf(-1), math.Inf(1)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, data = readAll(t, path, Options{}); !math.IsInf(data[0], -1) || !math.IsInf(data[1], 1) {
		t.Errorf("infinities read back as %v", data)
	}
}

func TestWriteOptionsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.root")
	for _, opt := range []WriteOptions{
		{Compression: "gzip"}, {Compression: None, Level: 1}, {Compression: Zstd, Level: 5}, {Level: 10}, {Level: -1},
	} {
		if w, err := Create(path, "", []string{"a"}, opt); err == nil {
			w.Abort()
			t.Errorf("%+v accepted", opt)
		}
	}
	if _, err := Create(path, "", nil, WriteOptions{}); err == nil {
		t.Error("no columns accepted")
	}
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir.root"), "", []string{"a"}, WriteOptions{}); err == nil {
		t.Error("a missing folder accepted")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused writer left %s", path)
	}
	for in, want := range map[string]Compression{"": Zlib, "ZSTD": Zstd, "uncompressed": None, "lz4": LZ4} {
		if got, err := ParseCompression(in); got != want || err != nil {
			t.Errorf("ParseCompression(%q) = %q, %v", in, got, err)
		}
	}
}
