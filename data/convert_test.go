package data

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestConvertEveryFormat: csv -> parquet -> npy -> csv.gz -> csv keeps every
// value exactly, with a selection and a column choice applied on the way,
// over several chunks; a selection nothing passes writes nothing.
func TestConvertEveryFormat(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("a,b,c\n")
	const rows = 150_000
	for i := range rows {
		fmt.Fprintf(&b, "%d,%g,%g\n", i%3, float64(i)*0.001+1e-7, -float64(i)/7)
	}
	src := filepath.Join(dir, "in.csv")
	os.WriteFile(src, []byte(b.String()), 0o644)
	want, err := Read(context.Background(), src, ReadOptions{Where: "a != 1", Columns: []string{"c", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	prev := src
	opts := ReadOptions{Where: "a != 1", Columns: []string{"c", "b"}}
	for _, name := range []string{"x.parquet", "x.npy", "x.csv.gz", "y.csv"} {
		out := filepath.Join(dir, name)
		chunks := 0
		n, err := Convert(context.Background(), prev, out, opts, WriteOptions{}, func(int64) { chunks++ })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n != int64(want.Rows()) || (name == "x.parquet" && chunks < 2) {
			t.Fatalf("%s: %d events in %d chunks, want %d in several", name, n, chunks, want.Rows())
		}
		got, err := Read(context.Background(), out, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Columns, want.Columns) || !slices.Equal(got.Data, want.Data) {
			t.Fatalf("%s: values differ after conversion", name)
		}
		prev, opts = out, ReadOptions{}
	}
	none := filepath.Join(dir, "none.csv")
	if _, err := Convert(context.Background(), src, none, ReadOptions{Where: "a > 5"}, WriteOptions{}, nil); !errors.Is(err, ErrNoRows) {
		t.Fatalf("empty selection: %v", err)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Fatal("an empty selection wrote a file")
	}
}
