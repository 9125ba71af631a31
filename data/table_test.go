package data

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func sample() *Table {
	t, err := New([]string{"a", "b", "c"}, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9})
	if err != nil {
		panic(err)
	}
	return t
}

func TestTableBasics(t *testing.T) {
	tb := sample()
	if tb.Rows() != 3 || tb.Cols() != 3 {
		t.Fatalf("%d x %d", tb.Rows(), tb.Cols())
	}
	if j, err := tb.Col("b"); j != 1 || err != nil {
		t.Errorf("Col(b) = %d, %v", j, err)
	}
	if !slices.Equal(tb.Row(1), []float64{4, 5, 6}) || tb.At(2, 0) != 7 {
		t.Errorf("Row(1) = %v, At(2,0) = %v", tb.Row(1), tb.At(2, 0))
	}
	// Row is a view that cannot grow into the next row.
	r := tb.Row(0)
	r[0] = 10
	if tb.At(0, 0) != 10 || cap(r) != 3 {
		t.Errorf("Row is not a bounded view")
	}
	if c, _ := tb.Column("c"); !slices.Equal(c, []float64{3, 6, 9}) {
		t.Errorf("Column(c) = %v", c)
	}
	if (&Table{}).Rows() != 0 {
		t.Error("zero table has rows")
	}
}

func TestTableColUnknown(t *testing.T) {
	_, err := sample().Col("B")
	want := `unknown column "B" (did you mean "b"?); known columns: a, b, c`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	var uc *UnknownColumnError
	if !errors.As(err, &uc) || uc.Name != "B" {
		t.Error("not an UnknownColumnError")
	}
	_, err = sample().Col("zzzz")
	if want := `unknown column "zzzz"; known columns: a, b, c`; err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New([]string{"a", "b"}, []float64{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "not a multiple") {
		t.Errorf("ragged data: %v", err)
	}
	if _, err := New([]string{"a", "a"}, nil); err == nil || err.Error() != `duplicate column name "a" (columns 1 and 2)` {
		t.Errorf("duplicate names: %v", err)
	}
	if _, err := New([]string{"a", ""}, nil); err == nil {
		t.Error("empty name accepted")
	}
}

func TestSelectDropFilter(t *testing.T) {
	tb := sample()
	s, err := tb.Select("c", "a")
	if err != nil || !slices.Equal(s.Columns, []string{"c", "a"}) || fmt.Sprint(s.Data) != "[3 1 6 4 9 7]" {
		t.Errorf("Select: %v %v %v", s, err, s.Data)
	}
	if _, err := tb.Select("a", "x"); err == nil || !strings.HasPrefix(err.Error(), `select: unknown column "x"`) {
		t.Errorf("Select unknown: %v", err)
	}
	if _, err := tb.Select("a", "a"); err == nil {
		t.Error("Select with a repeated name accepted")
	}
	d := tb.Clone()
	if err := d.Drop("b"); err != nil || !slices.Equal(d.Columns, []string{"a", "c"}) || fmt.Sprint(d.Data) != "[1 3 4 6 7 9]" {
		t.Errorf("Drop: %v %v %v", d.Columns, d.Data, err)
	}
	d = tb.Clone()
	if err := d.Drop("a", "nope"); err == nil || !strings.HasPrefix(err.Error(), `drop: unknown column "nope"`) || d.Cols() != 3 {
		t.Errorf("Drop unknown: %v, %d columns left", err, d.Cols())
	}
	keep, _ := CompileExpr("b >= 5", tb.Columns)
	f := tb.Filter(keep)
	if fmt.Sprint(f.Data) != "[4 5 6 7 8 9]" || &f.Columns[0] == &tb.Columns[0] {
		t.Errorf("Filter: %v", f.Data)
	}
	if sl := tb.Slice(1, 2); fmt.Sprint(sl.Data) != "[4 5 6]" {
		t.Errorf("Slice: %v", sl.Data)
	}
	if fl := tb.Float32(); len(fl) != 9 || fl[4] != 5 {
		t.Errorf("Float32: %v", fl)
	}
}

func TestConcat(t *testing.T) {
	a := sample()
	b, _ := New([]string{"c", "a", "b"}, []float64{30, 10, 20})
	got, err := Concat(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows() != 4 || !slices.Equal(got.Row(3), []float64{10, 20, 30}) {
		t.Errorf("aligned concat: %v", got.Data)
	}
	c, _ := New([]string{"a", "b", "d", "e"}, nil)
	_, err = Concat(a, b, c)
	if want := `concat: table 3 differs from table 1: it lacks column "c" and has extra columns "d", "e" (4 columns vs 3)`; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if _, err := Concat(); err == nil {
		t.Error("Concat() gave no error")
	}
}

func TestCheckFinite(t *testing.T) {
	tb := sample()
	if err := tb.CheckFinite(); err != nil {
		t.Error(err)
	}
	tb.Data[4] = 0 / func() float64 { return 0 }()
	if err := tb.CheckFinite(); !errors.Is(err, ErrNotFinite) || !strings.HasPrefix(err.Error(), `row 2, column 2 ("b"): NaN`) {
		t.Errorf("got %v", err)
	}
}

func TestHiggsPresets(t *testing.T) {
	cols := HiggsColumns()
	if len(cols) != 29 || cols[0] != "label" || cols[1] != "lepton_pT" || cols[28] != "m_wwbb" {
		t.Errorf("HiggsColumns = %v", cols)
	}
	cont := HiggsContinuous()
	if len(HiggsFeatures()) != 28 || len(HiggsBTags()) != 4 || len(HiggsPhis()) != 6 || len(cont) != 18 {
		t.Errorf("sizes: %d features, %d b-tags, %d phis, %d continuous", len(HiggsFeatures()), len(HiggsBTags()), len(HiggsPhis()), len(cont))
	}
	for _, c := range append(HiggsBTags(), HiggsPhis()...) {
		if !slices.Contains(cols, c) || slices.Contains(cont, c) {
			t.Errorf("%s misplaced", c)
		}
	}
	// Returned slices are copies.
	HiggsColumns()[0] = "x"
	if HiggsColumns()[0] != "label" {
		t.Error("HiggsColumns shares storage")
	}
}
