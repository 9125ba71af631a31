package data

import (
	"errors"
	"slices"
	"testing"
)

func TestExprEval(t *testing.T) {
	cols := []string{"label", "m_bb", "jet1_pt", "lepton_pT", "a.b", "p T"}
	rows := [][]float64{
		{0, 1.5, 1.0, 0.2, 1, 7},
		{1, 1.0, 3.0, 0.7, 2, 8},
		{0, 1.3, 2.5, 0.5, 3, 9},
		{1, 2.0, 0.5, 0.4, 4, 10},
	}
	cases := []struct {
		expr string
		want []bool
	}{
		{"label==0", []bool{true, false, true, false}},
		{"label == 1", []bool{false, true, false, true}},
		{"m_bb > 1.2 && jet1_pt<2", []bool{true, false, false, true}},
		{"label != 1 || lepton_pT >= 0.5", []bool{true, true, true, false}},
		{"!(label != 1 || lepton_pT >= 0.5)", []bool{false, false, false, true}},
		{"!label==0", []bool{false, true, false, true}},
		{"m_bb <= 1.3", []bool{false, true, true, false}},
		{"m_bb < 1.3", []bool{false, true, false, false}},
		{"1.3 < m_bb", []bool{true, false, false, true}},
		{"jet1_pt > m_bb", []bool{false, true, true, false}},
		{"-jet1_pt < -2", []bool{false, true, true, false}},
		{"lepton_pT > 5e-1", []bool{false, true, false, false}},
		{"lepton_pT >= .5", []bool{false, true, true, false}},
		{"lepton_pT > 1e-3 && lepton_pT < 4.5E-1", []bool{true, false, false, true}},
		// && binds tighter than ||.
		{"label == 1 || m_bb > 1.4 && jet1_pt < 1.2", []bool{true, true, false, true}},
		{"(label == 1 || m_bb > 1.4) && jet1_pt < 1.2", []bool{true, false, false, true}},
		{"a.b >= 3 && `p T` == 9", []bool{false, false, true, false}},
		{"((label == 0))", []bool{true, false, true, false}},
		{"1 < 2", []bool{true, true, true, true}},
		{"m_bb > -1 && m_bb > +1.4", []bool{true, false, false, true}},
	}
	for _, c := range cases {
		keep, err := CompileExpr(c.expr, cols)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		for i, r := range rows {
			if got := keep(r); got != c.want[i] {
				t.Errorf("%s on row %d = %v, want %v", c.expr, i, got, c.want[i])
			}
		}
	}
}

func TestExprErrors(t *testing.T) {
	cols := []string{"label", "m_bb", "jet1_pt"}
	cases := []struct{ expr, want string }{
		{"", `where "": at position 1: empty expression`},
		{"label = 0", `where "label = 0": at position 7: use == to test equality`},
		{"m_bb > > 1", `where "m_bb > > 1": at position 8: expected a number or a column name, found ">"`},
		{"m_bb > 1 &", `where "m_bb > 1 &": at position 10: use && for 'and'`},
		{"m_bb > 1 && ", `where "m_bb > 1 && ": at position 13: expected a number or a column name, found end of expression`},
		{"(m_bb > 1", `where "(m_bb > 1": at position 10: expected ) to close the ( at position 1, found end of expression`},
		{"m_bb > 1)", `where "m_bb > 1)": at position 9: unexpected ")"`},
		{"m_bb", `where "m_bb": at position 5: expected a comparison (== != < <= > >=) after "m_bb", found end of expression`},
		{"0 < m_bb < 2", `where "0 < m_bb < 2": at position 10: comparisons cannot be chained; combine them with && (a < b && b < c)`},
		{"m_bb > 1.2.3", `where "m_bb > 1.2.3": at position 8: malformed number "1.2.3"`},
		{"m_bb > 1x", `where "m_bb > 1x": at position 8: malformed number "1x"`},
		{"m_bb > 1 # c", `where "m_bb > 1 # c": at position 10: unexpected character '#'`},
		{"mbb > 1", `where "mbb > 1": at position 1: unknown column "mbb" (did you mean "m_bb"?); known columns: label, m_bb, jet1_pt`},
		{"label == 0 && JET1_PT < 2", `where "label == 0 && JET1_PT < 2": at position 15: unknown column "JET1_PT" (did you mean "jet1_pt"?); known columns: label, m_bb, jet1_pt`},
		{"`m bb` > 1", "where \"`m bb` > 1\": at position 1: unknown column \"m bb\" (did you mean \"m_bb\"?); known columns: label, m_bb, jet1_pt"},
		{"`m_bb > 1", "where \"`m_bb > 1\": at position 1: unterminated `quoted column name`"},
		{"é > 1", `where "é > 1": at position 1: unexpected character 'é'`},
		{"m_bb > 1 && é", `where "m_bb > 1 && é": at position 13: unexpected character 'é'`},
	}
	for _, c := range cases {
		_, err := CompileExpr(c.expr, cols)
		if err == nil {
			t.Errorf("%q: no error, want %s", c.expr, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.expr, err, c.want)
		}
		var ee *ExprError
		if !errors.As(err, &ee) {
			t.Errorf("%q: error is not an *ExprError", c.expr)
		}
	}
}

func TestExprColumns(t *testing.T) {
	e, err := ParseExpr("m_bb > 1 && (label == 0 || m_bb < jet1_pt)")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Columns(); !slices.Equal(got, []string{"m_bb", "label", "jet1_pt"}) {
		t.Errorf("Columns() = %v", got)
	}
	if e.String() != "m_bb > 1 && (label == 0 || m_bb < jet1_pt)" {
		t.Errorf("String() = %q", e.String())
	}
	// The same parsed expression binds to different layouts.
	k1, _ := e.Compile([]string{"label", "m_bb", "jet1_pt"})
	k2, _ := e.Compile([]string{"jet1_pt", "m_bb", "label"})
	if !k1([]float64{0, 2, 5}) || !k2([]float64{5, 2, 0}) || k1([]float64{1, 2, 1}) {
		t.Error("binding to a layout is wrong")
	}
}
