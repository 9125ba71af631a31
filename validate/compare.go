package validate

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// CompareOptions configures Compare.
type CompareOptions struct {
	Binning BinningOptions
	// Workers is the number of features compared at once (0 = GOMAXPROCS).
	Workers int
}

// FeatureResult compares one feature of the two samples.
type FeatureResult struct {
	Index        int        `json:"index"`
	Name         string     `json:"name"`
	Discrete     bool       `json:"discrete"`
	Chi2         Chi2Result `json:"chi2"`
	KS           KSResult   `json:"ks"`
	KL           float64    `json:"kl"`            // binned KL(reference || candidate), nats
	Chi2Distance float64    `json:"chi2_distance"` // symmetric, in [0, 1]
	MeanA        float64    `json:"mean_a"`
	MeanB        float64    `json:"mean_b"`
	StdA         float64    `json:"std_a"`
	StdB         float64    `json:"std_b"`
	HistA        Hist       `json:"hist_a"`
	HistB        Hist       `json:"hist_b"`
}

// Comparison is the per-feature and correlation comparison of a reference
// sample A with a candidate sample B.
type Comparison struct {
	NA          int               `json:"n_a"`
	NB          int               `json:"n_b"`
	SumWA       float64           `json:"sum_w_a"`
	SumWB       float64           `json:"sum_w_b"`
	NEffA       float64           `json:"n_eff_a"`
	NEffB       float64           `json:"n_eff_b"`
	Features    []FeatureResult   `json:"features"`
	Correlation CorrelationResult `json:"correlation"`
	// MinChi2P is the smallest per-feature chi2 p-value (not corrected for
	// the number of features; multiply by len(Features) for a Bonferroni
	// bound) and WorstFeature the feature it belongs to.
	MinChi2P     float64 `json:"min_chi2_p"`
	WorstFeature string  `json:"worst_feature"`
	MaxKS        float64 `json:"max_ks"`
}

// Compare runs every per-feature test and the correlation comparison of
// reference a against candidate b. Each feature gets its own shared binning.
func Compare(ctx context.Context, a, b Sample, opts CompareOptions) (Comparison, error) {
	if err := compatible(a, b); err != nil {
		return Comparison{}, fmt.Errorf("compare: %w", err)
	}
	feats, err := CompareFeatures(ctx, a, b, opts)
	if err != nil {
		return Comparison{}, err
	}
	corr, err := CompareCorrelations(a, b)
	if err != nil {
		return Comparison{}, err
	}
	c := Comparison{NA: a.Rows, NB: b.Rows, Features: feats, Correlation: corr, MinChi2P: math.Inf(1)}
	c.SumWA, _ = a.SumWeights()
	c.SumWB, _ = b.SumWeights()
	c.NEffA, c.NEffB = a.EffectiveN(), b.EffectiveN()
	for _, f := range feats {
		if f.Chi2.P < c.MinChi2P {
			c.MinChi2P, c.WorstFeature = f.Chi2.P, f.Name
		}
		c.MaxKS = math.Max(c.MaxKS, f.KS.D)
	}
	return c, nil
}

// CompareFeatures runs the per-feature tests (chi2, KS, KL, chi2 distance,
// moments) of every column, features in parallel.
func CompareFeatures(ctx context.Context, a, b Sample, opts CompareOptions) ([]FeatureResult, error) {
	if err := compatible(a, b); err != nil {
		return nil, fmt.Errorf("compare features: %w", err)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, a.Cols)
	out := make([]FeatureResult, a.Cols)
	errs := make([]error, a.Cols)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ca, cb []float64
			for j := range next {
				if err := ctx.Err(); err != nil {
					errs[j] = err
					continue
				}
				ca, cb = a.Column(j, ca), b.Column(j, cb)
				out[j], errs[j] = compareFeature(ca, a.Weights, cb, b.Weights, opts.Binning)
				out[j].Index, out[j].Name = j, a.Name(j)
			}
		}()
	}
	for j := 0; j < a.Cols; j++ {
		next <- j
	}
	close(next)
	wg.Wait()
	for j, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("feature %s: %w", a.Name(j), err)
		}
	}
	return out, nil
}

// CompareColumn runs the per-feature tests on one pair of value slices with
// optional weights (nil = unit).
func CompareColumn(a, wa, b, wb []float64, opts BinningOptions) (FeatureResult, error) {
	return compareFeature(a, wa, b, wb, opts)
}

func compareFeature(a, wa, b, wb []float64, opts BinningOptions) (FeatureResult, error) {
	sa, swa := sortWeighted(a, wa)
	sb, swb := sortWeighted(b, wb)
	_, nea := weightStats(len(a), wa)
	_, neb := weightStats(len(b), wb)
	bin, err := sharedBinningSorted(sa, sb, math.Min(nea, neb), opts)
	if err != nil {
		return FeatureResult{}, err
	}
	ha, hb := newHistSorted(bin, sa, swa), newHistSorted(bin, sb, swb)
	r := FeatureResult{
		Discrete:     bin.Discrete,
		Chi2:         Chi2Test(ha, hb),
		KS:           ksSorted(sa, swa, sb, swb),
		KL:           KLDivergence(ha, hb),
		Chi2Distance: Chi2Distance(ha, hb),
		HistA:        ha,
		HistB:        hb,
	}
	r.MeanA, r.StdA = weightedMeanStd(a, wa)
	r.MeanB, r.StdB = weightedMeanStd(b, wb)
	return r, nil
}

// weightedMeanStd returns the weighted mean and standard deviation
// (population form, two passes for accuracy).
func weightedMeanStd(x, w []float64) (mean, std float64) {
	var sw, s float64
	for i, v := range x {
		wt := 1.0
		if w != nil {
			wt = w[i]
		}
		sw += wt
		s += wt * v
	}
	if sw == 0 {
		return 0, 0
	}
	mean = s / sw
	var ss float64
	for i, v := range x {
		wt := 1.0
		if w != nil {
			wt = w[i]
		}
		d := v - mean
		ss += wt * d * d
	}
	return mean, math.Sqrt(math.Max(ss/sw, 0))
}
