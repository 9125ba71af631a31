package resonant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"

	"hepflow/data"
	"hepflow/model"
	"hepflow/train"
	"hepflow/validate"
)

// Config configures Cathode and Anode: which column is the resonant
// variable, where the signal region is, how the flows are trained and how
// the classifier scores.
type Config struct {
	// Resonant is the column of the resonant variable m; Lo and Hi bound the
	// signal region Lo <= m < Hi, the rest is the sidebands.
	Resonant string
	Lo, Hi   float64
	// Features are the columns the flow models and the classifier sees;
	// nil means every column but Resonant and Truth.
	Features []string
	// Truth, when set, names a column of true labels (1 signal, 0
	// background): never a feature, it only grades the result.
	Truth string
	// Flow trains the conditional flows (architecture, optimisation,
	// scaling, backend); Cathode and Anode set its Context to Resonant.
	Flow train.ModelOptions
	// Oversample is the number of generated events per signal-region event
	// (default 4).
	Oversample int
	// Folds is the number of folds of the classifier (default 5): every
	// signal-region event is scored by a classifier that did not see it.
	Folds int
	// Ensemble is the number of classifiers (seeds) averaged per fold
	// (default 3).
	Ensemble int
	// NewClassifier returns the classifier of one fold and seed (default:
	// validate.MLP with that seed, 100 epochs, patience 20, on the flows'
	// GEMM backend).
	NewClassifier func(seed uint64) validate.Classifier
	// CheckFraction of the sideband events (default 0.1; negative: none) is
	// held out of the sideband flow's fit and compared, feature by
	// feature, with the flow's samples at their masses: the check that
	// the background model is good, on events it never saw.
	CheckFraction float64
	// Seed drives the folds, the sampling and the classifiers.
	Seed uint64
	// Logger receives progress (nil: discarded).
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Oversample == 0 {
		c.Oversample = 4
	}
	if c.CheckFraction == 0 {
		c.CheckFraction = 0.1
	}
	if c.Folds == 0 {
		c.Folds = 5
	}
	if c.Ensemble == 0 {
		c.Ensemble = 3
	}
	if c.NewClassifier == nil {
		g := c.Flow.Gemm // the flows' backend: the pure-Go default is ~5x slower
		c.NewClassifier = func(seed uint64) validate.Classifier {
			// Weak labels (1% signal in one class) need patience: with the
			// two-sample test's 40 epochs and patience 5, CATHODE lost a
			// fifth of its max SIC on the synthetic benchmark.
			return &validate.MLP{Seed: seed, Epochs: 100, Patience: 20, Gemm: g}
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Result is the outcome of Cathode or Anode: one anomaly score per
// signal-region event, higher meaning more signal-like.
type Result struct {
	Method string `json:"method"`
	// SignalRegion are the input rows inside the signal region, in input
	// order; Scores[i] belongs to row SignalRegion[i].
	SignalRegion []int     `json:"-"`
	Scores       []float64 `json:"-"`
	// Features are the columns the flows modelled and the classifier saw.
	Features []string `json:"features"`
	// NSideband and NSignalRegion count the events of each region;
	// NGenerated the flow samples (CATHODE).
	NSideband     int `json:"n_sideband"`
	NSignalRegion int `json:"n_signal_region"`
	NGenerated    int `json:"n_generated,omitempty"`
	// Sideband is the sideband flow's fit (held-out NLL in physical units).
	Sideband *train.Result `json:"sideband_fit"`
	// SidebandCheck compares held-out sideband events with the sideband
	// flow's samples at the same masses (Config.CheckFraction); Check sums
	// it up.
	SidebandCheck *validate.Comparison `json:"-"`
	Check         *CheckSummary        `json:"sideband_check,omitempty"`
	// Inside is ANODE's signal-region flow fits (one per half).
	Inside []*train.Result `json:"signal_region_fits,omitempty"`
	// DataVsGenerated (CATHODE) is how well the classifier tells the real
	// signal-region events from the flow's samples there, out of fold:
	// consistent with AUC 0.5 when there is no signal and the flow is good.
	DataVsGenerated *Separation `json:"data_vs_generated,omitempty"`
	// Model is the sideband flow p(x | m).
	Model *model.Model `json:"-"`
	// DensityScores (CATHODE with a truth column) are -log p_SB(x | m) of
	// the signal-region events under the sideband flow, the density score
	// CATHODE is meant to beat, and DensityTruth grades them.
	DensityScores []float64 `json:"-"`
	DensityTruth  *Grade    `json:"density_score_truth,omitempty"`
	// Truth grades the scores when Config.Truth is set; TruthColumn names it.
	Truth       *Grade `json:"truth,omitempty"`
	TruthColumn string `json:"truth_column,omitempty"`
}

// CheckSummary is the headline of the sideband check: the smallest
// per-feature chi2 p-value (not corrected for the number of features) and
// its feature, and the largest KS distance.
type CheckSummary struct {
	Events       int     `json:"events"`
	MinChi2P     float64 `json:"min_chi2_p"`
	WorstFeature string  `json:"worst_feature"`
	MaxKS        float64 `json:"max_ks"`
}

func summarize(c *validate.Comparison) *CheckSummary {
	if c == nil {
		return nil
	}
	return &CheckSummary{Events: c.NA, MinChi2P: c.MinChi2P, WorstFeature: c.WorstFeature, MaxKS: c.MaxKS}
}

// Grade is how well anomaly scores separate true signal from background
// among the signal-region events.
type Grade struct {
	NSignal     int                `json:"n_signal"`
	NBackground int                `json:"n_background"`
	AUC         float64            `json:"auc"`
	ROC         validate.ROCCurve  `json:"roc"`
	SIC         validate.SICCurve  `json:"sic"`
	Rejection   map[string]float64 `json:"rejection_at_eff_s"` // 1/eps_B at eps_S = 0.2, 0.5
}

// regions splits tab into the signal region and the sidebands and returns
// the feature columns, the rows of each region, and their features and m.
type regions struct {
	features []string
	sr, sb   []int
	xSR, xSB []float64 // rows x len(features)
	mSR, mSB []float64
	truthSR  []float64 // nil without Config.Truth
}

func split(tab *data.Table, cfg Config) (*regions, error) {
	if !(cfg.Lo < cfg.Hi) || math.IsNaN(cfg.Lo) || math.IsNaN(cfg.Hi) {
		return nil, fmt.Errorf("signal region [%g, %g): want lo < hi", cfg.Lo, cfg.Hi)
	}
	jm, err := tab.Col(cfg.Resonant)
	if err != nil {
		return nil, fmt.Errorf("resonant variable: %w", err)
	}
	jt := -1
	if cfg.Truth != "" {
		if jt, err = tab.Col(cfg.Truth); err != nil {
			return nil, fmt.Errorf("truth: %w", err)
		}
		if cfg.Truth == cfg.Resonant {
			return nil, fmt.Errorf("truth column %q is the resonant variable", cfg.Truth)
		}
	}
	feats := cfg.Features
	if feats == nil {
		for _, c := range tab.Columns {
			if c != cfg.Resonant && c != cfg.Truth {
				feats = append(feats, c)
			}
		}
	}
	if len(feats) == 0 {
		return nil, errors.New("no feature columns besides the resonant variable")
	}
	if slices.Contains(feats, cfg.Resonant) || (cfg.Truth != "" && slices.Contains(feats, cfg.Truth)) {
		return nil, fmt.Errorf("features %v may not include the resonant variable or the truth", feats)
	}
	idx, err := tab.ColIndices(feats...)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	r := &regions{features: feats}
	for i := 0; i < tab.Rows(); i++ {
		row := tab.Row(i)
		m := row[jm]
		if math.IsNaN(m) || math.IsInf(m, 0) {
			return nil, fmt.Errorf("event %d (counting from 1): resonant variable %s = %g is not finite", i+1, cfg.Resonant, m)
		}
		inside := m >= cfg.Lo && m < cfg.Hi
		for _, j := range idx {
			if inside {
				r.xSR = append(r.xSR, row[j])
			} else {
				r.xSB = append(r.xSB, row[j])
			}
		}
		if inside {
			r.sr, r.mSR = append(r.sr, i), append(r.mSR, m)
			if jt >= 0 {
				r.truthSR = append(r.truthSR, row[jt])
			}
		} else {
			r.sb, r.mSB = append(r.sb, i), append(r.mSB, m)
		}
	}
	if len(r.sr) < 2*cfg.Folds || len(r.sb) < 10 {
		return nil, fmt.Errorf("signal region [%g, %g) of %s holds %d events and the sidebands %d: too few (need at least %d and 10)", cfg.Lo, cfg.Hi, cfg.Resonant, len(r.sr), len(r.sb), 2*cfg.Folds)
	}
	return r, nil
}

// fitSideband fits the sideband flow on all but cfg.CheckFraction of the
// sideband events and compares those held out with the flow's samples at
// their masses.
func fitSideband(ctx context.Context, r *regions, cfg Config) (*train.Result, *validate.Comparison, error) {
	d, n := len(r.features), len(r.mSB)
	nc := 0
	if cfg.CheckFraction > 0 {
		nc = int(math.Round(cfg.CheckFraction * float64(n)))
	}
	if nc < 20 {
		res, err := fitConditional(ctx, r.features, r.xSB, r.mSB, cfg, "sideband")
		return res, nil, err
	}
	perm := rand.New(rand.NewPCG(cfg.Seed, 0xc4ec)).Perm(n)
	var fx, fm, cx, cm []float64
	for i, p := range perm {
		if i < nc {
			cx, cm = append(cx, r.xSB[p*d:(p+1)*d]...), append(cm, r.mSB[p])
		} else {
			fx, fm = append(fx, r.xSB[p*d:(p+1)*d]...), append(fm, r.mSB[p])
		}
	}
	res, err := fitConditional(ctx, r.features, fx, fm, cfg, "sideband")
	if err != nil {
		return nil, nil, err
	}
	gen := make([]float64, nc*res.Model.Dim())
	if err := res.Model.Sample(gen, cm, nc, rand.New(rand.NewPCG(cfg.Seed, 0xc4ed))); err != nil {
		return nil, nil, fmt.Errorf("sample the sideband flow: %w", err)
	}
	if gen, err = withConstants(res.Model, gen, nc, r.features); err != nil {
		return nil, nil, err
	}
	held := validate.Sample{Data: cx, Rows: nc, Cols: d, Names: r.features}
	cand := validate.Sample{Data: gen, Rows: nc, Cols: d, Names: r.features}
	cmp, err := validate.Compare(ctx, held, cand, validate.CompareOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("sideband check: %w", err)
	}
	return res, &cmp, nil
}

// fitConditional trains p(x | m) on rows of x and m.
func fitConditional(ctx context.Context, feats []string, x, m []float64, cfg Config, what string) (*train.Result, error) {
	d := len(feats)
	rows := len(m)
	all := make([]float64, 0, rows*(d+1))
	for r := 0; r < rows; r++ {
		all = append(all, x[r*d:(r+1)*d]...)
		all = append(all, m[r])
	}
	tab, err := data.New(append(slices.Clone(feats), cfg.Resonant), all)
	if err != nil {
		return nil, err
	}
	opt := cfg.Flow
	opt.Context = []string{cfg.Resonant}
	cfg.Logger.Info("training the "+what+" flow", "events", rows, "features", d)
	res, err := train.FitModel(ctx, tab, nil, opt)
	if err != nil {
		return nil, fmt.Errorf("%s flow: %w", what, err)
	}
	return res, nil
}

// grade compares scores of true signal (truth 1) and background (truth 0).
func grade(scores, truth []float64) (*Grade, error) {
	var sig, bkg []float64
	for i, s := range scores {
		switch truth[i] {
		case 1:
			sig = append(sig, s)
		case 0:
			bkg = append(bkg, s)
		default:
			return nil, fmt.Errorf("truth label %g of signal-region event %d: want 0 or 1", truth[i], i+1)
		}
	}
	g := &Grade{NSignal: len(sig), NBackground: len(bkg), Rejection: map[string]float64{}}
	if len(sig) == 0 || len(bkg) == 0 {
		return g, nil // nothing to grade: no signal (or no background) in the region
	}
	var err error
	if g.ROC, err = validate.ROC(sig, nil, bkg, nil, 400); err != nil {
		return nil, err
	}
	g.AUC = g.ROC.AUC
	if g.SIC, err = validate.SIC(sig, nil, bkg, nil, validate.SICOptions{MaxPoints: 200}); err != nil {
		return nil, err
	}
	for _, e := range []float64{0.2, 0.5} {
		v, err := validate.RejectionAt(sig, nil, bkg, nil, e)
		if err != nil {
			return nil, err
		}
		g.Rejection[fmt.Sprint(e)] = v
	}
	return g, nil
}

// Separation is how well out-of-fold scores tell real signal-region events
// from the flow's samples: with no signal and a perfect flow, AUC 0.5 within
// Sigma, the Mann-Whitney standard deviation under that hypothesis,
// sqrt((n1 + n2 + 1) / (12 n1 n2)).
type Separation struct {
	AUC   float64 `json:"auc"`
	Sigma float64 `json:"sigma_h0"`
	// Pulls is (AUC - 0.5) / Sigma: beyond ~3 the classifier found a
	// difference, signal or a mismodelled background.
	Pulls float64 `json:"pull"`
}

func separate(data, gen []float64) (*Separation, error) {
	auc, err := validate.AUC(data, nil, gen, nil)
	if err != nil {
		return nil, err
	}
	n1, n2 := float64(len(data)), float64(len(gen))
	sd := math.Sqrt((n1 + n2 + 1) / (12 * n1 * n2))
	return &Separation{AUC: auc, Sigma: sd, Pulls: (auc - 0.5) / sd}, nil
}
