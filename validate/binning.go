package validate

import (
	"fmt"
	"math"
	"sort"
)

// Defaults of BinningOptions.
const (
	DefaultMaxBins      = 40
	DefaultLowQuantile  = 0.001
	DefaultHighQuantile = 0.999
	DefaultMaxDiscrete  = 20
	// minPerBin is the mean number of events per bin (in the smaller sample)
	// below which the default rule uses fewer bins, so that the chi2
	// approximation behind the binned test stays valid for small samples.
	minPerBin = 25
)

// BinningOptions chooses the shared binning of one feature. The zero value
// is the documented default.
type BinningOptions struct {
	// Bins is the number of equal-width bins for a continuous column. Zero
	// means min(40, max(5, nmin/25)) where nmin is the smaller (effective)
	// sample size, so that bins hold ~25 events or more on average.
	Bins int
	// LowQuantile and HighQuantile of the pooled sample bound the binned
	// range (defaults 0.001 and 0.999, so a few outliers cannot squeeze all
	// events into one bin). Events outside the range go to the underflow and
	// overflow bins, which take part in the chi2 test like any other bin.
	LowQuantile, HighQuantile float64
	// MinMax uses the pooled minimum and maximum as the range instead of
	// quantiles (no under/overflow then).
	MinMax bool
	// MaxDiscrete: a column whose pooled sample has at most this many
	// distinct values gets one bin per value (default 20; negative turns
	// discrete detection off).
	MaxDiscrete int
}

func (o BinningOptions) withDefaults() BinningOptions {
	if o.LowQuantile == 0 && o.HighQuantile == 0 {
		o.LowQuantile, o.HighQuantile = DefaultLowQuantile, DefaultHighQuantile
	}
	if o.MaxDiscrete == 0 {
		o.MaxDiscrete = DefaultMaxDiscrete
	}
	return o
}

// Binning is the bin layout of one feature: Bins()+1 increasing edges.
// Continuous columns have equal-width bins; discrete columns have one bin per
// value with edges half-way between neighbouring values.
type Binning struct {
	Edges    []float64 `json:"edges"`
	Discrete bool      `json:"discrete"`
	Values   []float64 `json:"values,omitempty"` // discrete: bin b holds Values[b]
}

// Bins returns the number of bins (without under/overflow).
func (b Binning) Bins() int { return len(b.Edges) - 1 }

// Find returns the bin of x: -1 for underflow, Bins() for overflow. Bins are
// [lo, hi) except the last, which also holds its upper edge.
func (b Binning) Find(x float64) int {
	n := b.Bins()
	lo, hi := b.Edges[0], b.Edges[n]
	switch {
	case x < lo:
		return -1
	case x > hi:
		return n
	case x == hi:
		return n - 1
	}
	if !b.Discrete {
		k := int((x - lo) / (hi - lo) * float64(n))
		// Rounding can put x one bin off near an edge; fix it up.
		if k >= n {
			k = n - 1
		}
		for k > 0 && x < b.Edges[k] {
			k--
		}
		for k < n-1 && x >= b.Edges[k+1] {
			k++
		}
		return k
	}
	return sort.SearchFloat64s(b.Edges, math.Nextafter(x, math.Inf(1))) - 1
}

// Centers returns the bin centres.
func (b Binning) Centers() []float64 {
	c := make([]float64, b.Bins())
	for i := range c {
		if b.Discrete {
			c[i] = b.Values[i]
		} else {
			c[i] = 0.5 * (b.Edges[i] + b.Edges[i+1])
		}
	}
	return c
}

// SharedBinning chooses one binning for a feature from both samples pooled.
// a and b are the feature's values (any order); nEffMin is the smaller
// effective sample size, used by the default bin-count rule.
func SharedBinning(a, b []float64, opts BinningOptions) (Binning, error) {
	sa, sb := sortedCopy(a), sortedCopy(b)
	return sharedBinningSorted(sa, sb, math.Min(float64(len(a)), float64(len(b))), opts)
}

func sortedCopy(x []float64) []float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s
}

// sharedBinningSorted is SharedBinning on already sorted values.
func sharedBinningSorted(sa, sb []float64, nEffMin float64, opts BinningOptions) (Binning, error) {
	opts = opts.withDefaults()
	n := len(sa) + len(sb)
	if n == 0 {
		return Binning{}, fmt.Errorf("binning: no values")
	}
	if opts.MaxDiscrete > 0 {
		if vals := distinctUpTo(sa, sb, opts.MaxDiscrete); vals != nil {
			return discreteBinning(vals), nil
		}
	}
	var lo, hi float64
	if opts.MinMax {
		lo, hi = pooledKth(sa, sb, 0), pooledKth(sa, sb, n-1)
	} else {
		if !(opts.LowQuantile >= 0 && opts.LowQuantile < opts.HighQuantile && opts.HighQuantile <= 1) {
			return Binning{}, fmt.Errorf("binning: bad quantile range [%g, %g]", opts.LowQuantile, opts.HighQuantile)
		}
		lo = pooledKth(sa, sb, int(math.Floor(opts.LowQuantile*float64(n-1))))
		hi = pooledKth(sa, sb, int(math.Ceil(opts.HighQuantile*float64(n-1))))
	}
	if !(hi > lo) {
		// A (nearly) constant column: widen the range so it has a width.
		w := math.Max(math.Abs(lo)*1e-6, 1e-12)
		lo, hi = lo-w, hi+w
	}
	bins := opts.Bins
	if bins <= 0 {
		bins = int(nEffMin / minPerBin)
		bins = max(5, min(DefaultMaxBins, bins))
	}
	edges := make([]float64, bins+1)
	for i := range edges {
		edges[i] = lo + (hi-lo)*float64(i)/float64(bins)
	}
	edges[bins] = hi
	return Binning{Edges: edges}, nil
}

func discreteBinning(vals []float64) Binning {
	k := len(vals)
	edges := make([]float64, k+1)
	if k == 1 {
		edges[0], edges[1] = vals[0]-0.5, vals[0]+0.5
	} else {
		for i := 1; i < k; i++ {
			edges[i] = 0.5 * (vals[i-1] + vals[i])
		}
		edges[0] = vals[0] - (edges[1] - vals[0])
		edges[k] = vals[k-1] + (vals[k-1] - edges[k-1])
	}
	return Binning{Edges: edges, Discrete: true, Values: vals}
}

// distinctUpTo returns the sorted distinct values of the union of two sorted
// slices, or nil when there are more than limit of them.
func distinctUpTo(sa, sb []float64, limit int) []float64 {
	var vals []float64
	add := func(s []float64) bool {
		for i, v := range s {
			if i > 0 && v == s[i-1] {
				continue
			}
			j := sort.SearchFloat64s(vals, v)
			if j < len(vals) && vals[j] == v {
				continue
			}
			if len(vals) == limit {
				return false
			}
			vals = append(vals, 0)
			copy(vals[j+1:], vals[j:])
			vals[j] = v
		}
		return true
	}
	if !add(sa) || !add(sb) {
		return nil
	}
	return vals
}

// pooledKth returns the k-th smallest (0-based) value of the union of two
// sorted slices in O(log n).
func pooledKth(sa, sb []float64, k int) float64 {
	for {
		if len(sa) == 0 {
			return sb[k]
		}
		if len(sb) == 0 {
			return sa[k]
		}
		if k == 0 {
			return math.Min(sa[0], sb[0])
		}
		i := min(len(sa), (k+1)/2)
		j := min(len(sb), (k+1)/2)
		if sa[i-1] <= sb[j-1] {
			sa = sa[i:]
			k -= i
		} else {
			sb = sb[j:]
			k -= j
		}
	}
}
