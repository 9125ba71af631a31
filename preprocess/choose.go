package preprocess

import (
	"fmt"
	"math"
	"slices"
)

// The asinh maps, standardized, are Johnson SU marginals: a column is mapped
// by z = (asinh((t-loc)/scale) - mean)/std with t = x (KindUnbounded) or
// t = log(x - shift) (KindPositive, for columns never negative in training,
// so that generated values stay above shift >= 0). loc and scale are chosen
// on a grid: scales in units of the interquartile range of t, from
// practically linear over the bulk (a Gaussian) to strongly log-compressing
// (power-law tails), and locs as quantiles of t from the median out to the
// lower and upper ends, where a small scale makes the map log-like from
// that end.
var (
	asinhScales = []float64{1.0 / 64, 1.0 / 16, 0.25, 0.5, 1, 2, 4, 16}
	asinhLocs   = []float64{0.5, 0.25, 0.75, 0.05, 0.95, 0, 1} // quantiles
)

// chooseRows bounds the rows the map is chosen on: enough to tell the
// coarse candidates apart, few enough that the choice costs tens of ms a
// column.
const chooseRows = 4000

// candidate is one map a column may get.
type candidate struct {
	kind  Kind
	shift float64 // KindPositive: t = log(x - shift)
	locQ  float64 // loc as a quantile of t
	mult  float64 // scale in units of the IQR of t
}

// chooseMap picks the map of a continuous column by held-out likelihood:
// the column's rows (at most chooseRows of them) are split into two folds,
// each candidate map is fitted on one fold (range or quantiles, then mean
// and std) and scored on the other by the log-likelihood of a Gaussian in
// the mapped space including the map's Jacobian, both ways round. That is
// the held-out NLL of a one-layer flow per column: a fair proxy for how
// much work the flow has left, and it sees the events beyond the fitted
// range that a logit scores badly. It returns the column with its map's
// parameters fitted on all the rows (Mean and Std still to be set).
func (c *colStats) chooseMap(name string, rows int, r resolved, forced Kind) (Column, error) {
	lo, hi := widen(c.min, c.max, c.low, c.high, rows, r)
	if !finite(hi - lo) {
		return Column{}, fmt.Errorf("training range [%g, %g] is too wide for float64", c.min, c.max)
	}
	logit := Column{Name: name, Kind: KindContinuous, Min: lo, Max: hi}
	useLogit := forced != KindUnbounded && (r.scaling == ScalingLogit || r.scaling == ScalingAuto)
	if r.scaling == ScalingLogit && forced != KindUnbounded {
		return logit, nil
	}
	step := max(1, len(c.sub)/chooseRows)
	var folds [2][]float64
	for i := 0; i < len(c.sub); i += step {
		k := (i / step) % 2
		folds[k] = append(folds[k], c.sub[i])
	}
	slices.Sort(folds[0])
	slices.Sort(folds[1])
	all := c.sorted

	// Columns never negative in training get the log-based maps only (unless
	// forced unbounded), so a generated pT or mass is never negative.
	kinds := []candidate{{kind: KindUnbounded}}
	if c.min >= 0 && forced != KindUnbounded {
		// Shifted to the widened minimum where the column starts at a cut
		// (the log then stretches the edge as the seed's logit does), else
		// log(x) itself.
		shift := 0.0
		if c.lowerCut(rows) {
			shift = lo
		}
		kinds = []candidate{{kind: KindPositive, shift: shift}}
	}
	for i := range kinds {
		kinds[i].locQ, kinds[i].mult = 0.5, 1
	}
	// final is a candidate fitted on all rows, its range from the whole
	// column (the quantiles come from the subsample), if it is a valid map.
	final := func(cd candidate) (Column, bool) {
		col := cd.column(name, all, r)
		if col.Kind == KindUnbounded {
			col.Min, col.Max = lo, hi
		} else if col.Kind == KindPositive {
			col.Max = hi
			if c.min > cd.shift {
				col.Min = cd.shift + (c.min-cd.shift)/2
			}
		}
		if !(col.Scale > 0) {
			col.Scale = (c.max - c.min) / 4 // the subsample was constant
		}
		_, err := newColumn(col, r.beta, 0)
		return col, err == nil
	}
	if len(folds[1]) < 2*TailOrder+2 {
		// Too few rows to judge: the seed's map, or the first candidate
		// (median, one IQR).
		if useLogit {
			return logit, nil
		}
		if col, ok := final(kinds[0]); ok {
			return col, nil
		}
		return logit, nil
	}
	best := math.Inf(-1)
	bestCol, haveCol := logit, useLogit
	if useLogit {
		edge := newClipEdge(r.beta)
		best = foldScore(folds, func(fit []float64) mapper {
			lo, hi := widen(fit[0], fit[len(fit)-1], fit[:TailOrder+1], fit[len(fit)-TailOrder-1:], len(fit), r)
			col, err := newColumn(Column{Kind: KindContinuous, Min: lo, Max: hi, Std: 1}, r.beta, 0)
			if err != nil {
				return nil
			}
			return func(x float64) (float64, float64) {
				y, ls := edge.continuous(&col, x)
				return y, ls + col.ldConst
			}
		})
	}
	// Coordinate search on the grid: loc at the current scale, then scale
	// at the best loc, twice, for each map family: about a third of the
	// grid's evaluations, and on the HIGGS sample the same held-out NLL.
	score := func(cd candidate) float64 {
		return foldScore(folds, func(fit []float64) mapper {
			col, err := newColumn(cd.column(name, fit, r), r.beta, 0)
			if err != nil {
				return nil
			}
			return func(x float64) (float64, float64) { return col.sinhArcsinh(x) }
		})
	}
	for _, cd := range kinds {
		cur := score(cd)
		for range 2 {
			for _, lq := range asinhLocs {
				if next := (candidate{cd.kind, cd.shift, lq, cd.mult}); lq != cd.locQ {
					if v := score(next); v > cur || math.IsNaN(cur) {
						cd, cur = next, v
					}
				}
			}
			for _, m := range asinhScales {
				if next := (candidate{cd.kind, cd.shift, cd.locQ, m}); m != cd.mult {
					if v := score(next); v > cur || math.IsNaN(cur) {
						cd, cur = next, v
					}
				}
			}
		}
		if cur > best || !haveCol {
			if col, ok := final(cd); ok {
				best, bestCol, haveCol = cur, col, true
			}
		}
	}
	if !haveCol {
		// No asinh candidate is a valid map of this column (say, all its
		// subsampled values equal): the seed's logit always is.
		return logit, nil
	}
	return bestCol, nil
}

// EdgeRatio is the threshold of lowerCut: the spread of the k smallest
// training values in units of the interquartile range times k/n. A flat
// density cut off sharply gives about 2, one falling linearly to zero at
// the edge about sqrt(n/k), a Gaussian or exponential tail hundreds and up.
const EdgeRatio = 30

// lowerCut reports whether the column's lower end looks like a cut: its k
// smallest values packed as tightly as a density comparable to the bulk's
// would pack them.
func (c *colStats) lowerCut(rows int) bool {
	k := min(max(rows/10, 1), TailOrder, len(c.low)-1)
	iqr := c.q3 - c.q1
	if k < 1 || !(iqr > 0) {
		return false
	}
	return (c.low[k]-c.min)/(iqr*float64(k)/float64(rows)) < EdgeRatio
}

// column fits the candidate's range, loc and scale on sorted values, with
// Std 1 so that newColumn accepts it (setMoments sets the real moments).
func (cd candidate) column(name string, sorted []float64, r resolved) Column {
	n := len(sorted)
	k := min(TailOrder+1, n)
	lo, hi := widen(sorted[0], sorted[n-1], sorted[:k], sorted[n-k:], n, r)
	col := Column{Name: name, Kind: cd.kind, Min: lo, Max: hi, Std: 1}
	t := sorted
	if cd.kind == KindPositive {
		// The lower junction sits halfway between the shift and the
		// smallest training value above it, so the log is never taken at
		// the shift (values sitting on it, zero-padded pT's, land in the
		// linear continuation below the junction).
		col.Shift = cd.shift
		above := sorted[0] - cd.shift
		if above <= 0 {
			i, _ := slices.BinarySearch(sorted, math.Nextafter(cd.shift, math.Inf(1)))
			if i == n {
				return Column{} // no value above the shift: not a candidate
			}
			above = sorted[i] - cd.shift
		}
		col.Min = cd.shift + above/2
		t = make([]float64, n)
		for i, v := range sorted {
			t[i] = math.Log(max(v, col.Min) - cd.shift)
		}
	}
	q := func(p float64) float64 { return t[int(p*float64(n-1))] }
	col.Loc, col.Scale = q(cd.locQ), iqrOr(q(0.25), q(0.75), t[0], t[n-1])*cd.mult
	return col
}

// mapper maps one value to the raw (unstandardized) space and log d(raw)/dx.
type mapper func(x float64) (raw, logSlope float64)

// foldScore is the two-fold held-out Gaussian log-likelihood of a map;
// fit gets the sorted fitting fold and returns nil when the fold gives no
// valid map (the score is then -Inf).
func foldScore(folds [2][]float64, fit func([]float64) mapper) float64 {
	var total float64
	for k := range folds {
		train, test := folds[k], folds[1-k]
		f := fit(train)
		if f == nil {
			return math.Inf(-1)
		}
		var s1, s2 float64
		for _, v := range train {
			y, _ := f(v)
			s1 += y
			s2 += y * y
		}
		n := float64(len(train))
		mean := s1 / n
		sd := math.Sqrt(max(s2/n-mean*mean, 1e-300))
		for _, v := range test {
			y, ls := f(v)
			z := (y - mean) / sd
			total += -0.5*z*z - math.Log(sd) + ls
		}
	}
	return total
}
