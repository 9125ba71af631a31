package data

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// sharedData returns the path of a file in the project's shared data folder
// (beside the repository), skipping the test when it is not there.
func sharedData(t *testing.T, rel string) string {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", rel)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared data %s not available: %v", rel, err)
	}
	return path
}

func TestRealHiggsSample(t *testing.T) {
	path := sharedData(t, "higgs-sample/higgs-sample.csv.gz")
	ctx := context.Background()
	tb, err := Read(ctx, path, ReadOptions{Format: FormatHIGGS})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows() != 5492 || !slices.Equal(tb.Columns, HiggsColumns()) {
		t.Fatalf("%d rows, columns %v", tb.Rows(), tb.Columns)
	}
	first := []float64{1, 0.34186098, -1.313937902, 1.079621911}
	if !slices.Equal(tb.Row(0)[:4], first) || tb.At(0, 28) != 0.770485938 {
		t.Errorf("first row %v ... %v", tb.Row(0)[:4], tb.At(0, 28))
	}
	last := tb.Row(tb.Rows() - 1)
	if last[1] != 0.465575129 || last[28] != 0.813448966 {
		t.Errorf("last row %v", last)
	}
	// Background only, without the label, selected while streaming.
	bg, err := Read(ctx, path, ReadOptions{Format: FormatHIGGS, Where: "label==0", Drop: []string{HiggsLabel}})
	if err != nil {
		t.Fatal(err)
	}
	if bg.Rows() != 2568 || bg.Cols() != 28 || bg.Columns[0] != "lepton_pT" {
		t.Errorf("background: %d rows x %d columns", bg.Rows(), bg.Cols())
	}
	// It agrees with filtering the full table in memory.
	keep, _ := CompileExpr("label==0", tb.Columns)
	ref := tb.Filter(keep)
	ref.Drop(HiggsLabel)
	if !slices.Equal(ref.Data, bg.Data) {
		t.Error("streamed selection differs from the in-memory one")
	}
	// The continuous preset: 18 columns, b-tags have their 3 levels.
	cont, err := Read(ctx, path, ReadOptions{Format: FormatHIGGS, Columns: HiggsContinuous()})
	if err != nil || cont.Cols() != 18 {
		t.Fatalf("continuous: %v", err)
	}
	btag, _ := tb.Column("jet1_btag")
	levels := map[float64]bool{}
	for _, v := range btag {
		levels[v] = true
	}
	if len(levels) != 3 {
		t.Errorf("jet1_btag has %d levels, want 3", len(levels))
	}
}

func TestRealZmumu(t *testing.T) {
	path := sharedData(t, "cms-zmumu/Zmumu.csv")
	ctx := context.Background()
	_, err := Read(ctx, path, ReadOptions{})
	if !errors.Is(err, ErrNotNumber) || err.Error() != "read "+path+`: line 2, column 1 ("Type"): "GT" is not a number (if column "Type" holds text, drop it: --drop Type)` {
		t.Errorf("reading with the text column: %v", err)
	}
	tb, err := Read(ctx, path, ReadOptions{Drop: []string{"Type"}})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows() != 2304 || tb.Cols() != 19 || tb.Columns[0] != "Run" || tb.Columns[18] != "M" {
		t.Fatalf("%d rows, columns %v", tb.Rows(), tb.Columns)
	}
	if r := tb.Row(0); r[0] != 148031 || r[1] != 10507008 || r[2] != 82.2018663875 || r[18] != 82.4626915551 {
		t.Errorf("first row %v", r)
	}
	if r := tb.Row(2303); r[0] != 148029 || r[1] != 99991333 || r[18] != 96.6567276544 {
		t.Errorf("last row %v", r)
	}
	auto, err := Read(ctx, path, ReadOptions{DropNonNumeric: true, Where: "M > 80 && M < 100"})
	if err != nil {
		t.Fatal(err)
	}
	if auto.Rows() != 1784 || auto.Cols() != 19 {
		t.Errorf("Z window: %d rows x %d columns", auto.Rows(), auto.Cols())
	}
	q, _ := tb.Column("Q1")
	for i, v := range q {
		if v != 1 && v != -1 {
			t.Fatalf("row %d: Q1 = %v", i+1, v)
		}
	}
}
