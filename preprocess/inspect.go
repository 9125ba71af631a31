package preprocess

import (
	"fmt"
	"math"
	"slices"
)

// ExtremeMagnitude is the |value| beyond which Inspect warns: float32, the
// flow's arithmetic, keeps 7 digits, so next to such a value the rest of a
// column's range is rounding noise after min-max scaling.
const ExtremeMagnitude = 1e15

// DominantGap is the fraction of a column's range beyond which Inspect
// warns that a single event stretches it: the gap between the most extreme
// value and the next one is more than this share of max - min.
const DominantGap = 0.5

// SpikeFraction is the share of a column's events on one value beyond which
// Inspect warns of a point mass in a column that is not discrete (has more
// than DefaultMaxDiscreteLevels distinct values): zero-padded pT's of
// missing jets, a default value. A continuous density cannot hold a point
// mass; its events then get densities that say more about the spike than
// about the physics.
const SpikeFraction = 0.05

// Warning is something about a column of training data that makes the
// fitted scaling poor for it, at one row.
type Warning struct {
	Column string
	Row    int // row of x given to Inspect
	Value  float64
	Msg    string
}

// String is the message a user sees.
func (w Warning) String() string {
	return fmt.Sprintf("column %q, row %d: value %g %s", w.Column, w.Row, w.Value, w.Msg)
}

// Inspect looks at training rows (row-major, rows x len(cols)) for values
// that make min-max scaling useless for a column: magnitudes beyond
// ExtremeMagnitude, and a single event whose distance to the next value is
// more than DominantGap of the column's range (one outlier squeezes every
// other event into a sliver of the logit's domain). At most one warning per
// column, the most extreme value. Non-finite values are Fit's business and
// are skipped here.
func Inspect(x []float64, rows int, cols []string) []Warning {
	return InspectColumns(rows, cols, StridedColumns(x, rows, len(cols)), 1)
}

// InspectColumns is Inspect on data handed over a column at a time, by
// workers goroutines (see FitColumns); the warnings are in column order.
func InspectColumns(rows int, cols []string, column ColumnFunc, workers int) []Warning {
	found := make([]*Warning, len(cols))
	forColumns(len(cols), workers, func(j int, buf []float64) []float64 {
		x := column(j, buf)
		if w, ok := inspectColumn(cols[j], x, rows); ok {
			found[j] = &w
		}
		return x
	})
	var out []Warning
	for _, w := range found {
		if w != nil {
			out = append(out, *w)
		}
	}
	return out
}

// inspectColumn is Inspect's look at one column's values x.
func inspectColumn(name string, x []float64, rows int) (Warning, bool) {
	// The two smallest and two largest values and the extremes' rows.
	lo, lo2, hi, hi2 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	loRow, hiRow, big, bigRow := -1, -1, 0.0, -1
	for i, v := range x[:rows] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if a := math.Abs(v); a > big {
			big, bigRow = a, i
		}
		switch {
		case v < lo:
			lo2, lo, loRow = lo, v, i
		case v < lo2:
			lo2 = v
		}
		switch {
		case v > hi:
			hi2, hi, hiRow = hi, v, i
		case v > hi2:
			hi2 = v
		}
	}
	if bigRow >= 0 && big > ExtremeMagnitude {
		return Warning{Column: name, Row: bigRow, Value: x[bigRow],
			Msg: fmt.Sprintf("is beyond ±%g: the scaling keeps float32 precision, so the rest of the column is flattened next to it; check the input (a sentinel or overflow?)", ExtremeMagnitude)}, true
	}
	if w, ok := spike(x[:rows]); ok {
		w.Column = name
		return w, true
	}
	width := hi - lo
	if rows < 3 || !(width > 0) || math.IsInf(lo2, 0) || math.IsInf(hi2, 0) {
		return Warning{}, false
	}
	gHi, gLo := (hi-hi2)/width, (lo2-lo)/width
	switch {
	case gHi > DominantGap && gHi >= gLo:
		return Warning{Column: name, Row: hiRow, Value: hi, Msg: dominantMsg(gHi, hi2)}, true
	case gLo > DominantGap:
		return Warning{Column: name, Row: loRow, Value: lo, Msg: dominantMsg(gLo, lo2)}, true
	}
	return Warning{}, false
}

func dominantMsg(gap, next float64) string {
	return fmt.Sprintf("alone spans %.0f%% of the column's range (the next value is %g): the other events are squeezed into the rest; check for an outlier or transform the column", 100*gap, next)
}

// spike looks for a point mass in a column's values x on evenly spaced
// rows (at most chooseRows of them).
func spike(x []float64) (Warning, bool) {
	rows := len(x)
	step := max(1, rows/chooseRows)
	v := make([]float64, 0, rows/step+1)
	for i := 0; i < rows; i += step {
		if f := x[i]; !math.IsNaN(f) && !math.IsInf(f, 0) {
			v = append(v, f)
		}
	}
	slices.Sort(v)
	distinct, run, best, at := 0, 0, 0, 0.0
	for i := range v {
		if i == 0 || v[i] != v[i-1] {
			distinct++
			run = 0
		}
		if run++; run > best {
			best, at = run, v[i]
		}
	}
	if distinct <= DefaultMaxDiscreteLevels || float64(best) <= SpikeFraction*float64(len(v)) {
		return Warning{}, false
	}
	row := 0
	for i, f := range x {
		if f == at {
			row = i
			break
		}
	}
	return Warning{Row: row, Value: at, Msg: fmt.Sprintf("is shared by %.0f%% of the events: a point mass, which a continuous density cannot hold (a default or padding value?); drop the column, or split it into an indicator and the rest", 100*float64(best)/float64(len(v)))}, true
}
