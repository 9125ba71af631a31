package data

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// small-flat-tree.root (written by PyROOT, see rootfile/testdata): 100
// events, event i holds i in every scalar, N = i%10 and slices of N values i.
var flatTree = filepath.Join("..", "rootfile", "testdata", "small-flat-tree.root")

// TestReadROOT: a ROOT file reads like any other: its flat numeric
// branches by default, --columns with jagged branches by index, --where
// selecting the events that have them (the column it tests need not be
// kept), Drop, Limit, and a clear error naming the event when an event
// lacks the element.
func TestReadROOT(t *testing.T) {
	ctx := context.Background()
	all, err := Read(ctx, flatTree, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Int32", "Int64", "UInt32", "UInt64", "Float32", "Float64", "N"}; !slices.Equal(all.Columns, want) || all.Rows() != 100 {
		t.Fatalf("default columns %v, %d rows", all.Columns, all.Rows())
	}
	tab, err := Read(ctx, flatTree, ReadOptions{Columns: []string{"SliceFloat64[2]", "Int64"}, Where: "N >= 3"})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows() != 70 || !slices.Equal(tab.Columns, []string{"SliceFloat64[2]", "Int64"}) {
		t.Fatalf("jagged selection: %v, %d rows", tab.Columns, tab.Rows())
	}
	for r := range tab.Rows() {
		if row := tab.Row(r); row[0] != row[1] || int(row[1])%10 < 3 {
			t.Fatalf("row %d = %v", r, row)
		}
	}
	if tab, err = Read(ctx, flatTree, ReadOptions{Drop: []string{"Int32", "N"}, Limit: 7}); err != nil || tab.Rows() != 7 || slices.Contains(tab.Columns, "N") {
		t.Fatalf("drop and limit: %v %v", tab, err)
	}
	_, err = Read(ctx, flatTree, ReadOptions{Columns: []string{"SliceFloat64[2]"}})
	if err == nil || !strings.Contains(err.Error(), "tree entry 0") || !strings.Contains(err.Error(), "--where") {
		t.Fatalf("an event without the element: %v", err)
	}
	if _, err = Read(ctx, flatTree, ReadOptions{Columns: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown branch: %v", err)
	}
	if _, err = Read(ctx, flatTree, ReadOptions{Where: "N > 100"}); !errors.Is(err, ErrNoRows) {
		t.Fatalf("nothing passes: %v", err)
	}
}

// TestROOTRoundTrip: csv -> root -> csv keeps every float64 value exactly,
// through Convert (streaming) and a ROOT writer.
func TestROOTRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in.csv")
	tab, _ := New([]string{"a", "b"}, []float64{1.5, -2e-300, 0.1, 3, -0.0, 1e300, 7, 2.220446049250313e-16})
	if err := Write(src, tab, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "x.root")
	if _, err := Convert(context.Background(), src, root, ReadOptions{}, WriteOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	back := filepath.Join(dir, "back.csv")
	if _, err := Convert(context.Background(), root, back, ReadOptions{}, WriteOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), back, ReadOptions{})
	if err != nil || !slices.Equal(got.Columns, tab.Columns) || !slices.Equal(got.Data, tab.Data) {
		t.Fatalf("round trip: %v %v", got, err)
	}
}
