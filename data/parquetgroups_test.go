package data

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestParquetRowGroups: rows written in chunks of odd sizes across several
// row groups read back in order, with every row group holding
// parquetRowGroupRows rows but the last.
func TestParquetRowGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rows := 2*parquetRowGroupRows + 1234
	cols := []string{"a", "b", "c"}
	x := make([]float64, rows*3)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	path := filepath.Join(t.TempDir(), "g.parquet")
	w, err := Create(path, cols, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for lo := 0; lo < rows; {
		n := min(rows-lo, 1+rng.IntN(9000))
		if err := w.WriteRows(x[lo*3 : (lo+n)*3]); err != nil {
			t.Fatal(err)
		}
		lo += n
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Columns, cols) || !slices.Equal(got.Data, x) {
		t.Fatalf("read back %d rows of %v, want %d rows of %v (or values differ)", got.Rows(), got.Columns, rows, cols)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for _, g := range f.RowGroups() {
		sizes = append(sizes, g.NumRows())
	}
	if want := []int64{parquetRowGroupRows, parquetRowGroupRows, 1234}; !slices.Equal(sizes, want) {
		t.Fatalf("row groups of %v rows, want %v", sizes, want)
	}
}
