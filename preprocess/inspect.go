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
	in := NewInspector(rows, cols)
	in.Add(x)
	return in.Warnings(StridedColumns(x, rows, len(cols)))
}

// Inspector is Inspect on rows handed over in order, a chunk at a time: one
// pass over the events, whatever their number of columns.
type Inspector struct {
	cols []string
	rows int // the rows there will be
	seen int // the rows added so far
	step int // every step-th row goes into the spike subsample
	st   []inspectStats
}

// inspectStats is what Inspect keeps of one column.
type inspectStats struct {
	lo, lo2, hi, hi2     float64
	loRow, hiRow, bigRow int
	big, bigVal          float64   // the largest |value|, and the value
	sub                  []float64 // finite values of every step-th row
}

// NewInspector starts inspecting rows rows of the named columns.
func NewInspector(rows int, cols []string) *Inspector {
	in := &Inspector{cols: cols, rows: rows, step: max(1, rows/chooseRows), st: make([]inspectStats, len(cols))}
	for j := range in.st {
		in.st[j] = inspectStats{lo: math.Inf(1), lo2: math.Inf(1), hi: math.Inf(-1), hi2: math.Inf(-1), loRow: -1, hiRow: -1, bigRow: -1}
	}
	return in
}

// Add inspects the next rows (row-major, whole rows).
func (in *Inspector) Add(x []float64) {
	d := len(in.cols)
	for r := 0; r+d <= len(x); r += d {
		i := in.seen
		in.seen++
		sample := i%in.step == 0
		for j, v := range x[r : r+d] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			c := &in.st[j]
			if a := math.Abs(v); a > c.big {
				c.big, c.bigVal, c.bigRow = a, v, i
			}
			switch {
			case v < c.lo:
				c.lo2, c.lo, c.loRow = c.lo, v, i
			case v < c.lo2:
				c.lo2 = v
			}
			switch {
			case v > c.hi:
				c.hi2, c.hi, c.hiRow = c.hi, v, i
			case v > c.hi2:
				c.hi2 = v
			}
			if sample {
				c.sub = append(c.sub, v)
			}
		}
	}
}

// Warnings are the findings, in column order. column gives a column's
// values again; it is asked only for a column with a point mass, to name
// the first event on it.
func (in *Inspector) Warnings(column ColumnFunc) []Warning {
	var out []Warning
	for j, name := range in.cols {
		if w, ok := in.st[j].warning(name, in.rows, func() []float64 { return column(j, nil) }); ok {
			out = append(out, w)
		}
	}
	return out
}

// warning is the column's warning, if it has one.
func (c *inspectStats) warning(name string, rows int, values func() []float64) (Warning, bool) {
	if c.bigRow >= 0 && c.big > ExtremeMagnitude {
		return Warning{Column: name, Row: c.bigRow, Value: c.bigVal,
			Msg: fmt.Sprintf("is beyond ±%g: the scaling keeps float32 precision, so the rest of the column is flattened next to it; check the input (a sentinel or overflow?)", ExtremeMagnitude)}, true
	}
	if w, ok := spike(c.sub, values); ok {
		w.Column = name
		return w, true
	}
	width := c.hi - c.lo
	if rows < 3 || !(width > 0) || math.IsInf(c.lo2, 0) || math.IsInf(c.hi2, 0) {
		return Warning{}, false
	}
	gHi, gLo := (c.hi-c.hi2)/width, (c.lo2-c.lo)/width
	switch {
	case gHi > DominantGap && gHi >= gLo:
		return Warning{Column: name, Row: c.hiRow, Value: c.hi, Msg: dominantMsg(gHi, c.hi2)}, true
	case gLo > DominantGap:
		return Warning{Column: name, Row: c.loRow, Value: c.lo, Msg: dominantMsg(gLo, c.lo2)}, true
	}
	return Warning{}, false
}

func dominantMsg(gap, next float64) string {
	return fmt.Sprintf("alone spans %.0f%% of the column's range (the next value is %g): the other events are squeezed into the rest; check for an outlier or transform the column", 100*gap, next)
}

// spike looks for a point mass in a column from its finite values on
// evenly spaced rows (at most chooseRows of them, sorted here); values
// gives the whole column, to find the first event on the mass.
func spike(sub []float64, values func() []float64) (Warning, bool) {
	v := sub
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
	for i, f := range values() {
		if f == at {
			row = i
			break
		}
	}
	return Warning{Row: row, Value: at, Msg: fmt.Sprintf("is shared by %.0f%% of the events: a point mass, which a continuous density cannot hold (a default or padding value?); drop the column, or split it into an indicator and the rest", 100*float64(best)/float64(len(v)))}, true
}
