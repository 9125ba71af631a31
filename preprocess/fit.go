package preprocess

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// Fit fits the scaler on training rows: x is row-major float64, rows x
// len(cols), with cols the column names. Every value must be finite. A
// column with a single value is refused (it carries no information; drop
// it), as are periodic values outside Options.PeriodicRange and discrete
// columns with more than MaxLevels values.
func Fit(x []float64, rows int, cols []string, opt Options) (*Scaler, error) {
	d := len(cols)
	if len(x) != rows*d {
		return nil, fmt.Errorf("preprocess: fit: %d values for %d rows x %d columns", len(x), rows, d)
	}
	return FitColumns(rows, cols, StridedColumns(x, rows, d), opt, 1)
}

// ColumnFunc returns the values of column j, one per row, in row order.
// It may return buf (resized) or a slice of its own; the result is only
// read, and only until the next call.
type ColumnFunc func(j int, buf []float64) []float64

// StridedColumns is the ColumnFunc of a row-major matrix x, rows x d.
func StridedColumns(x []float64, rows, d int) ColumnFunc {
	return func(j int, buf []float64) []float64 {
		buf = slices.Grow(buf[:0], rows)[:rows]
		for i := range buf {
			buf[i] = x[i*d+j]
		}
		return buf
	}
}

// FitColumns is Fit on training data handed over a column at a time, so
// that a caller holding the events in another form (float32, in blocks)
// needs memory for one float64 column per worker only. Columns are fitted
// independently, by workers goroutines (column must then be safe for
// concurrent calls): the result is Fit's on the same values, whatever the
// number of workers.
func FitColumns(rows int, cols []string, column ColumnFunc, opt Options, workers int) (*Scaler, error) {
	r, out, err := fitMaps(rows, cols, column, opt, workers, func(Kind) bool { return true })
	if err != nil {
		return nil, err
	}
	s, err := newScaler(r.beta, DequantGuard, out)
	if err != nil {
		return nil, fmt.Errorf("preprocess: fit: %w", err)
	}
	return s, nil
}

// fitMaps fits each column's map, and its moments where moments(kind)
// says, a column at a time on workers goroutines (FitColumns,
// FitTransform). An error is the first failing column's, as a serial fit
// would report it.
func fitMaps(rows int, cols []string, column ColumnFunc, opt Options, workers int, moments func(Kind) bool) (resolved, []Column, error) {
	d := len(cols)
	if d == 0 {
		return resolved{}, nil, fmt.Errorf("preprocess: fit: no columns")
	}
	if rows <= 0 {
		return resolved{}, nil, fmt.Errorf("preprocess: fit: %d training rows, need at least 1", rows)
	}
	r, err := opt.resolve(cols)
	if err != nil {
		return resolved{}, nil, fmt.Errorf("preprocess: fit: %w", err)
	}
	out := make([]Column, d)
	errs := make([]error, d)
	forColumns(d, workers, func(j int, buf []float64) []float64 {
		v := column(j, buf)
		out[j], errs[j] = fitColumnMap(j, cols[j], v, rows, r)
		if errs[j] == nil && moments(out[j].Kind) {
			if err := setMoments(&out[j], v, r.beta); err != nil {
				errs[j] = fmt.Errorf("preprocess: fit: %w", err)
			}
		}
		return v
	})
	for _, err := range errs {
		if err != nil {
			return resolved{}, nil, err
		}
	}
	return r, out, nil
}

// forColumns calls fn(j, buf) for j in 0..d-1 on workers goroutines, each
// with a buffer of its own that fn may grow and return for reuse.
func forColumns(d, workers int, fn func(j int, buf []float64) []float64) {
	workers = max(1, min(workers, d))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []float64
			for j := int(next.Add(1)) - 1; j < d; j = int(next.Add(1)) - 1 {
				buf = fn(j, buf)
			}
		}()
	}
	wg.Wait()
}

// fitColumnMap fits column j (named name) on its training values v: its
// kind and map, without the moments (Mean and Std unset).
func fitColumnMap(j int, name string, v []float64, rows int, r resolved) (Column, error) {
	if len(v) != rows {
		return Column{}, fmt.Errorf("preprocess: fit: column %q has %d values for %d rows", name, len(v), rows)
	}
	limit := r.maxAuto
	if r.forced[j] == KindDiscrete {
		limit = MaxLevels
	} else if r.forced[j] != "" {
		limit = 0
	}
	st := colStats{min: math.Inf(1), max: math.Inf(-1), limit: limit}
	for i, x := range v {
		if !finite(x) {
			return Column{}, fmt.Errorf("preprocess: fit: row %d, column %q: value %g is not finite", i, name, x)
		}
		st.add(x)
	}
	st.quartiles(v)
	c, err := st.column(j, name, rows, r)
	if err != nil {
		return Column{}, fmt.Errorf("preprocess: fit: column %q: %w", name, err)
	}
	return c, nil
}

// colStats accumulates one column's range, its TailOrder+1 smallest and
// largest values and, up to limit, its distinct values.
type colStats struct {
	min, max   float64
	low, high  []float64 // sorted ascending, at most TailOrder+1 each
	limit      int       // track at most this many distinct values
	distinct   []float64 // sorted; nil once more than limit were seen
	overflow   bool
	q1, q2, q3 float64   // quartiles (of at most quartileRows rows)
	sub        []float64 // those rows' values, in row order
	sorted     []float64 // the same, sorted
}

// quartileRows bounds the rows sorted for the quartiles: evenly spaced rows
// of a bigger sample estimate them to far better than the scale needs.
const quartileRows = 200000

func (c *colStats) quartiles(x []float64) {
	rows := len(x)
	step := max(1, rows/quartileRows)
	v := make([]float64, 0, rows/step+1)
	for i := 0; i < rows; i += step {
		v = append(v, x[i])
	}
	c.sub = slices.Clone(v)
	slices.Sort(v)
	c.sorted = v
	q := func(p float64) float64 { return v[int(p*float64(len(v)-1))] }
	c.q1, c.q2, c.q3 = q(0.25), q(0.5), q(0.75)
}

func (c *colStats) add(v float64) {
	c.min = min(c.min, v)
	c.max = max(c.max, v)
	if len(c.low) <= TailOrder {
		c.low = insertSorted(c.low, v)
		c.high = insertSorted(c.high, v)
	} else {
		if v < c.low[TailOrder] {
			c.low = insertSorted(c.low[:TailOrder], v)
		}
		if v > c.high[0] {
			c.high = insertSorted(slices.Delete(c.high, 0, 1), v)
		}
	}
	if c.overflow || c.limit == 0 {
		return
	}
	i, found := slices.BinarySearch(c.distinct, v)
	if found {
		return
	}
	if len(c.distinct) == c.limit {
		c.overflow, c.distinct = true, nil
		return
	}
	c.distinct = slices.Insert(c.distinct, i, v)
}

// column decides the kind and range; Mean and Std are set later by setMoments.
func (c *colStats) column(j int, name string, rows int, r resolved) (Column, error) {
	forced := r.forced[j]
	if c.min == c.max {
		return Column{}, fmt.Errorf("every training value is %g; a constant column carries no information, drop it", c.min)
	}
	kind := forced
	if kind == "" {
		kind = KindContinuous
		// Twice as many rows as values keeps a tiny continuous sample from
		// passing for discrete.
		if r.autoDetect && !c.overflow && 2*len(c.distinct) <= rows {
			kind = KindDiscrete
		}
	}
	if kind == KindContinuous || kind == kindNotDiscrete || kind == KindUnbounded {
		return c.chooseMap(name, rows, r, kind)
	}
	switch kind {
	case KindDiscrete:
		if c.overflow {
			return Column{}, fmt.Errorf("marked discrete but has more than %d distinct training values; mark it continuous", MaxLevels)
		}
		return Column{Name: name, Kind: kind, Levels: c.distinct}, nil
	case KindPeriodic:
		if c.min < r.periodLo || c.max > r.periodHi {
			return Column{}, fmt.Errorf("marked periodic but training values span [%g, %g], outside the periodic range [%g, %g]; wrap the angles or set Options.PeriodicRange",
				c.min, c.max, r.periodLo, r.periodHi)
		}
		return Column{Name: name, Kind: kind, Min: r.periodLo, Max: r.periodHi}, nil
	default:
		return Column{}, fmt.Errorf("kind %q", kind)
	}
}

// momentNodes is the number of midpoint nodes per level used to average
// logit(c) over the dequantization noise of a discrete column.
const momentNodes = 4096

// setMoments sets Mean and Std of logit(c) over the training values x of
// the column. A discrete column uses the expectation over the
// dequantization noise (by quadrature, weighted by level counts), so Fit
// needs no random numbers and is deterministic.
func setMoments(c *Column, x []float64, beta float64) error {
	rows := len(x)
	half := beta / 2
	if c.Kind != KindDiscrete {
		a := (1 - beta) / (c.Max - c.Min)
		logitAt := func(i int) float64 {
			t := (x[i]-c.Min)*a + half
			return math.Log(t) - math.Log1p(-t)
		}
		if c.Kind == KindUnbounded || c.Kind == KindPositive {
			tmp := *c
			tmp.Std = 1
			col, err := newColumn(tmp, beta, DequantGuard)
			if err != nil {
				return fmt.Errorf("column %q: %w", c.Name, err)
			}
			logitAt = func(i int) float64 { y, _ := col.sinhArcsinh(x[i]); return y }
		}
		// Shifted sums: exact enough for the spread of logit values (|y| < 15).
		shift := logitAt(0)
		var s1, s2 float64
		for i := 0; i < rows; i++ {
			y := logitAt(i) - shift
			s1 += y
			s2 += y * y
		}
		mean := s1 / float64(rows)
		c.Mean = shift + mean
		c.Std = math.Sqrt(max(s2/float64(rows)-mean*mean, 0))
		return nil
	}
	counts := make([]float64, len(c.Levels))
	for _, v := range x {
		l, _ := slices.BinarySearch(c.Levels, v)
		counts[l]++
	}
	k := float64(len(c.Levels))
	a, w := (1-beta)/k, 1-2*DequantGuard
	means, vars := make([]float64, len(c.Levels)), make([]float64, len(c.Levels))
	var mean float64
	for l := range c.Levels {
		var s1, s2 float64
		for n := 0; n < momentNodes; n++ {
			v := (float64(n) + 0.5) / momentNodes
			t := (float64(l)+DequantGuard+w*v)*a + half
			y := math.Log(t) - math.Log1p(-t)
			s1 += y
			s2 += y * y
		}
		means[l] = s1 / momentNodes
		vars[l] = max(s2/momentNodes-means[l]*means[l], 0)
		mean += counts[l] * means[l]
	}
	mean /= float64(rows)
	var v float64
	for l := range c.Levels {
		dm := means[l] - mean
		v += counts[l] * (vars[l] + dm*dm)
	}
	c.Mean = mean
	c.Std = math.Sqrt(v / float64(rows))
	return nil
}

// widen is the fitted range of a logit column from its training min and
// max and its sorted TailOrder+1 smallest (low) and largest (high) values.
func widen(mn, mx float64, low, high []float64, rows int, r resolved) (lo, hi float64) {
	lo, hi = mn, mx
	switch {
	case r.exact:
		return lo, hi
	case r.margin > 0:
		width := mx - mn
		lo, hi = mn-r.margin*width, mx+r.margin*width
	default:
		// k = TailOrder from 100 rows up; fewer on small samples, so
		// the extension stays a property of the tail.
		k := min(max(rows/10, 1), TailOrder, len(low)-1)
		lo, hi = mn-(low[k]-mn), mx+(mx-high[len(high)-1-k])
	}
	// A column that is never negative in training (a pT, a mass, a
	// missing-energy magnitude) keeps 0 as its lower bound: widening
	// past it would let the inverse generate unphysical negative values.
	if mn >= 0 && lo < 0 {
		lo = 0
	}
	return lo, hi
}

// iqrOr is the interquartile range, or a quarter of the range when half
// the values or more are one value.
func iqrOr(q1, q3, mn, mx float64) float64 {
	if q3 > q1 {
		return q3 - q1
	}
	return (mx - mn) / 4
}

// insertSorted inserts v into the sorted slice s, keeping it sorted.
func insertSorted(s []float64, v float64) []float64 {
	i, _ := slices.BinarySearch(s, v)
	return slices.Insert(s, i, v)
}
