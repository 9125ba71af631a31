package preprocess

import (
	"math"
	"strings"
	"testing"
)

func TestFitErrors(t *testing.T) {
	x := testData(100, 31)
	withValue := func(row, col int, v float64) []float64 {
		y := append([]float64(nil), x...)
		y[row*len(testCols)+col] = v
		return y
	}
	constant := append([]float64(nil), x...)
	for i := range 100 {
		constant[i*len(testCols)+4] = 125
	}
	outside := append([]float64(nil), x...)
	outside[7*len(testCols)+2] = 4
	cases := []struct {
		name string
		x    []float64
		rows int
		cols []string
		opt  Options
		want []string // substrings of the error
	}{
		{"no rows", nil, 0, testCols, Options{}, []string{"0 training rows"}},
		{"no columns", nil, 3, nil, Options{}, []string{"no columns"}},
		{"short data", x[:10], 100, testCols, Options{}, []string{"10 values for 100 rows x 6 columns"}},
		{"constant column", constant, 100, testCols, Options{}, []string{`"mass"`, "125", "constant", "drop"}},
		{"single row", x[:6], 1, testCols, Options{}, []string{`"pt"`, "constant"}},
		{"NaN", withValue(3, 1, math.NaN()), 100, testCols, Options{}, []string{"row 3", `"eta"`, "NaN"}},
		{"Inf", withValue(5, 0, math.Inf(-1)), 100, testCols, Options{}, []string{"row 5", `"pt"`, "-Inf"}},
		{"duplicate names", x, 100, []string{"a", "b", "c", "d", "e", "a"}, Options{}, []string{`"a"`, "columns 0 and 5"}},
		{"empty name", x, 100, []string{"a", "b", "", "d", "e", "f"}, Options{}, []string{"column 2", "empty name"}},
		{"unknown option column", x, 100, testCols, Options{Periodic: []string{"phii"}}, []string{`"phii"`, "Periodic"}},
		{"two kinds", x, 100, testCols, Options{Periodic: []string{"phi"}, Discrete: []string{"phi"}}, []string{`"phi"`, "discrete", "periodic"}},
		{"bad beta", x, 100, testCols, Options{Beta: 1.5}, []string{"Beta"}},
		{"negative margin", x, 100, testCols, Options{Margin: -1}, []string{"Margin"}},
		{"threshold above MaxLevels", x, 100, testCols, Options{MaxDiscreteLevels: 1000}, []string{"MaxDiscreteLevels"}},
		{"periodic out of range", outside, 100, testCols, Options{Periodic: []string{"phi"}}, []string{`"phi"`, "periodic range", "4"}},
		{"too many levels", testData(300, 33), 300, testCols, Options{Discrete: []string{"pt"}}, []string{`"pt"`, "more than 256"}},
	}
	for _, tc := range cases {
		_, err := Fit(tc.x, tc.rows, tc.cols, tc.opt)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, w)
			}
		}
	}
}

func TestKindDetection(t *testing.T) {
	const rows = 400
	x := testData(rows, 32)
	kinds := func(opt Options) []Kind {
		t.Helper()
		s, err := Fit(x, rows, testCols, opt)
		if err != nil {
			t.Fatal(err)
		}
		var k []Kind
		for _, c := range s.Columns() {
			k = append(k, c.Kind)
		}
		return k
	}
	c, d, p, u, q := KindContinuous, KindDiscrete, KindPeriodic, KindUnbounded, KindPositive
	cases := []struct {
		name string
		opt  Options
		want []Kind
	}{
		// Uniform eta and phi have hard edges: the logit wins. pt, btag,
		// mass and njet are never negative: log-based (positive).
		{"default", Options{}, []Kind{q, c, c, d, q, d}},
		{"asinh", Options{Scaling: ScalingAsinh}, []Kind{q, u, u, d, q, d}},
		{"logit", Options{Scaling: ScalingLogit}, []Kind{c, c, c, d, c, d}},
		{"periodic phi", Options{Periodic: []string{"phi"}}, []Kind{q, c, p, d, q, d}},
		{"njet forced continuous", Options{Continuous: []string{"njet"}}, []Kind{q, c, c, d, q, q}},
		{"njet forced continuous, logit", Options{Continuous: []string{"njet"}, Scaling: ScalingSeed}, []Kind{c, c, c, d, c, c}},
		{"pt forced unbounded, logit", Options{Unbounded: []string{"pt"}, Scaling: ScalingLogit}, []Kind{u, c, c, d, c, d}},
		{"threshold 5 (njet has 7 values)", Options{MaxDiscreteLevels: 5}, []Kind{q, c, c, d, q, q}},
		// btag as a continuous column is a three-spike density: either map.
		{"auto off", Options{MaxDiscreteLevels: -1}, []Kind{q, c, c, "", q, q}},
		{"auto off, btag forced", Options{MaxDiscreteLevels: -1, Discrete: []string{"btag"}}, []Kind{q, c, c, d, q, q}},
	}
	for _, tc := range cases {
		got := kinds(tc.opt)
		for j := range got {
			if tc.want[j] != "" && got[j] != tc.want[j] {
				t.Errorf("%s: column %q is %s, want %s", tc.name, testCols[j], got[j], tc.want[j])
			}
		}
	}
	// Fewer than two rows per distinct value: a tiny continuous sample is not
	// taken for discrete.
	s, err := Fit([]float64{1.5, 2.25, 3.125, 4}, 4, []string{"v"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k := s.Columns()[0].Kind; k != KindContinuous { // too few rows to choose: the seed's logit
		t.Errorf("4 distinct values in 4 rows detected as %s", k)
	}
}

func TestRangeAndMargin(t *testing.T) {
	// 12 values: the tail-based widening uses k = 1.
	small := []float64{2, 10, 4, 7, 3.5, 9, 2.5, 6, 5, 8.5, 3, 7.5}
	// 0, 0.5, ..., 99.5 in a scrambled order: k = TailOrder = 10.
	var large, shifted []float64
	for i := range 200 {
		large = append(large, float64(i*37%200)/2)
		shifted = append(shifted, float64(i*37%200)/2-50)
	}
	for _, tc := range []struct {
		x      []float64
		opt    Options
		lo, hi float64
	}{
		{small, Options{Scaling: ScalingLogit}, 2 - 0.5, 10 + 1},
		// Never negative in training: the lower bound stays at 0.
		{large, Options{Scaling: ScalingLogit}, 0, 99.5 + 5},
		{large, Options{Scaling: ScalingLogit, Margin: 0.1}, 0, 109.45},
		{shifted, Options{Scaling: ScalingLogit}, -55, 49.5 + 5},
		{shifted, Options{Scaling: ScalingLogit, Margin: 0.1}, -59.95, 59.45},
		{small, Options{Scaling: ScalingLogit, ExactRange: true}, 2, 10},
		{small, Options{Scaling: ScalingSeed}, 2, 10},
		{small, Options{Periodic: []string{"v"}, PeriodicRange: [2]float64{0, 12}}, 0, 12},
	} {
		rows := len(tc.x)
		s, err := Fit(tc.x, rows, []string{"v"}, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		c := s.Columns()[0]
		if math.Abs(c.Min-tc.lo) > 1e-12 || math.Abs(c.Max-tc.hi) > 1e-12 {
			t.Errorf("%d rows, %+v: range [%v, %v], want [%v, %v]", rows, tc.opt, c.Min, c.Max, tc.lo, tc.hi)
		}
		// The training values always map, and so does the whole range.
		if err := s.Check(tc.x, rows); err != nil {
			t.Errorf("%+v: training data refused: %v", tc.opt, err)
		}
		if err := s.Check([]float64{c.Min}, 1); err != nil {
			t.Errorf("%+v: range minimum refused: %v", tc.opt, err)
		}
		// Beyond the range the tails still map, to a finite density.
		y, ld := []float64{0}, []float64{0}
		if err := s.ToLatent64(y, []float64{c.Max + 1e-3*(c.Max-c.Min)}, 1, ld, nil); err != nil || !finite(y[0]) || !finite(ld[0]) {
			t.Errorf("%+v: value beyond the range: y %v, logdet %v, error %v; want finite", tc.opt, y[0], ld[0], err)
		}
	}
}
