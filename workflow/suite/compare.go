package suite

import (
	"context"
	"fmt"
	"math"
	"slices"

	"hepflow/report"
	"hepflow/validate"
)

// CompareConfig says which checks Compare runs beyond the per-feature and
// correlation comparison.
type CompareConfig struct {
	Cuts  []Cut       // cut-invariance checks, in order
	Pairs [][2]string // 2D views of feature pairs
	// Classifier runs the classifier two-sample test and the density-ratio
	// tails; nil skips them.
	Classifier validate.Classifier
	// C2ST configures the classifier test. A zero TailQuantile is chosen so
	// each tail holds about 50 holdout events (between 1% and 10%).
	C2ST validate.C2STOptions
	// TailFeatures is how many features get density-ratio tail plots
	// (default 4).
	TailFeatures int
	// Workers compares features in parallel (0 = GOMAXPROCS).
	Workers int
}

// FeatureP are one feature's p-values.
type FeatureP struct {
	Name  string  `json:"name"`
	Chi2P float64 `json:"chi2_p"`
	KSP   float64 `json:"ks_p"`
}

// CutSummary are the headline numbers of one cut-invariance check.
type CutSummary struct {
	Name          string  `json:"name"`
	PassReference float64 `json:"pass_reference"`
	PassCandidate float64 `json:"pass_candidate"`
	Pull          float64 `json:"pull"`
	// MinChi2P is the smallest per-feature chi2 p-value on the passing
	// events (1 when too few pass to compare).
	MinChi2P float64 `json:"min_chi2_p"`
}

// C2STSummary are the headline numbers of the classifier two-sample test.
type C2STSummary struct {
	Accuracy float64 `json:"accuracy"`
	AUC      float64 `json:"auc"`
	P        float64 `json:"p"`
	Log10P   float64 `json:"log10_p"`
	NTest    int     `json:"n_test"`
}

// SummariseC2ST keeps the headline numbers of a classifier test.
func SummariseC2ST(r validate.C2STResult) C2STSummary {
	return C2STSummary{Accuracy: r.Accuracy, AUC: r.AUC, P: r.P, Log10P: r.Log10P, NTest: r.NTest}
}

// CompareSummary are the headline numbers of a comparison.
type CompareSummary struct {
	NReference int        `json:"n_reference"`
	NCandidate int        `json:"n_candidate"`
	Features   []FeatureP `json:"features"`
	// PBelow005 counts features with chi2 p < 0.05 (about 5% of them
	// under H0).
	PBelow005    int     `json:"features_chi2_p_below_0_05"`
	MinChi2P     float64 `json:"min_chi2_p"`
	WorstFeature string  `json:"worst_feature"`
	// BonferroniP is min(1, MinChi2P * features): the p-value of "some
	// feature differs".
	BonferroniP       float64      `json:"bonferroni_p"`
	MaxKS             float64      `json:"max_ks"`
	MaxCorrelationAbs float64      `json:"max_abs_correlation_diff"`
	MaxCorrelationAt  [2]string    `json:"max_correlation_diff_pair"`
	Cuts              []CutSummary `json:"cuts,omitempty"`
	C2ST              *C2STSummary `json:"c2st,omitempty"`
}

// Compare compares reference ref with candidate cand (same columns) and
// adds every check to b: per-feature distributions, correlations, the 2D
// pairs, the cuts and the classifier test with its density-ratio tails.
func Compare(ctx context.Context, b *report.Builder, ref, cand validate.Sample, cfg CompareConfig) (CompareSummary, error) {
	if !slices.Equal(names(ref), names(cand)) {
		return CompareSummary{}, fmt.Errorf("compare: reference columns %v differ from candidate columns %v", names(ref), names(cand))
	}
	if ref.Rows < 2 || cand.Rows < 2 {
		return CompareSummary{}, fmt.Errorf("compare: need at least 2 events in each sample (reference %d, candidate %d)", ref.Rows, cand.Rows)
	}
	opts := validate.CompareOptions{Workers: cfg.Workers}
	c, err := validate.Compare(ctx, ref, cand, opts)
	if err != nil {
		return CompareSummary{}, err
	}
	if err := b.AddComparison(c); err != nil {
		return CompareSummary{}, err
	}
	s := CompareSummary{NReference: ref.Rows, NCandidate: cand.Rows, MinChi2P: c.MinChi2P, WorstFeature: c.WorstFeature,
		BonferroniP: math.Min(1, c.MinChi2P*float64(len(c.Features))), MaxKS: c.MaxKS,
		MaxCorrelationAbs: c.Correlation.MaxAbsDiff, MaxCorrelationAt: c.Correlation.MaxPair}
	for _, f := range c.Features {
		s.Features = append(s.Features, FeatureP{Name: f.Name, Chi2P: f.Chi2.P, KSP: f.KS.P})
		if f.Chi2.P < 0.05 {
			s.PBelow005++
		}
	}
	for _, p := range cfg.Pairs {
		i, j := column(ref, p[0]), column(ref, p[1])
		if i < 0 || j < 0 {
			return s, fmt.Errorf("compare: pair %s:%s is not among the compared columns", p[0], p[1])
		}
		ha, hb, err := validate.PairHists(ref, cand, i, j, validate.BinningOptions{})
		if err != nil {
			return s, err
		}
		if err := b.AddPair(ha, hb); err != nil {
			return s, err
		}
	}
	for _, cut := range cfg.Cuts {
		r, err := validate.CutInvariance(ctx, cut.Name, ref, cand, cut.Pass, opts)
		if err != nil {
			return s, err
		}
		if err := b.AddCut(r); err != nil {
			return s, err
		}
		cs := CutSummary{Name: r.Name, PassReference: r.PassA, PassCandidate: r.PassB, Pull: r.Pull, MinChi2P: 1}
		if r.Selection != nil {
			cs.MinChi2P = r.Selection.MinChi2P
		}
		s.Cuts = append(s.Cuts, cs)
	}
	if cfg.Classifier == nil {
		return s, nil
	}
	co := cfg.C2ST
	if co.TailQuantile == 0 {
		co.TailQuantile = autoTailQuantile(ref.Rows, cand.Rows, co)
	}
	r, err := validate.C2ST(ctx, ref, cand, cfg.Classifier, co)
	if err != nil {
		return s, err
	}
	nt := cfg.TailFeatures
	if nt == 0 {
		nt = 4
	}
	if err := b.AddC2ST(r, ref, cand, nt); err != nil {
		return s, err
	}
	cs := SummariseC2ST(r)
	s.C2ST = &cs
	return s, nil
}

// autoTailQuantile puts about 50 holdout events in each density-ratio tail,
// within 1% and 10% of the holdout.
func autoTailQuantile(na, nb int, o validate.C2STOptions) float64 {
	n := min(na, nb)
	if o.MaxPerClass > 0 {
		n = min(n, o.MaxPerClass)
	}
	tf := o.TrainFraction
	if tf == 0 {
		tf = 0.5
	}
	hold := 2 * float64(n) * (1 - tf)
	return math.Min(0.1, math.Max(0.01, 50/math.Max(hold, 1)))
}

func names(s validate.Sample) []string {
	out := make([]string, s.Cols)
	for j := range out {
		out[j] = s.Name(j)
	}
	return out
}
