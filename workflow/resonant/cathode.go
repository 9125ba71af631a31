package resonant

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"hepflow/data"
	"hepflow/model"
)

// Cathode runs CATHODE (Hallin et al., arXiv:2109.00546) on tab: a flow
// p(x | m) fitted on the sidebands, sampled Oversample times at the m of
// every signal-region event, and a classifier of real signal-region events
// (label 1) against those samples (label 0, weight 1/Oversample), k-fold so
// that every real event is scored by classifiers that never saw it. Where
// the flow describes the background, the classifier can only find what the
// background does not explain: the signal. The score is the mean predicted
// probability of the fold's classifiers, as a logit.
func Cathode(ctx context.Context, tab *data.Table, cfg Config) (*Result, error) {
	cfg.defaults()
	r, err := split(tab, cfg)
	if err != nil {
		return nil, err
	}
	sb, check, err := fitSideband(ctx, r, cfg)
	if err != nil {
		return nil, err
	}
	// Samples at the signal region's masses, K per event, grouped by event.
	n, d, k := len(r.sr), len(r.features), cfg.Oversample
	ms := make([]float64, 0, n*k)
	for _, m := range r.mSR {
		for range k {
			ms = append(ms, m)
		}
	}
	gen := make([]float64, n*k*d)
	if err := sb.Model.Sample(gen, ms, n*k, rand.New(rand.NewPCG(cfg.Seed, 0xca7))); err != nil {
		return nil, fmt.Errorf("sample the sideband flow: %w", err)
	}
	// Constant columns were not modelled: the samples hold Dim() columns.
	gen, err = withConstants(sb.Model, gen, n*k, r.features)
	if err != nil {
		return nil, err
	}
	res, err := againstSamples(ctx, "cathode", r, gen, cfg)
	if err != nil {
		return nil, err
	}
	res.Sideband, res.Model, res.SidebandCheck, res.Check = sb, sb.Model, check, summarize(check)
	if r.truthSR != nil {
		// The plain density score beside it: -log p_SB(x | m), how unlikely
		// an event is under the background interpolated from the sidebands.
		lp, err := logProb(sb.Model, r.xSR, r.mSR, n, cfg.Seed)
		if err != nil {
			return nil, err
		}
		for i := range lp {
			lp[i] = -lp[i]
		}
		if res.DensityTruth, err = grade(lp, r.truthSR); err != nil {
			return nil, err
		}
		res.DensityScores = lp
	}
	return res, nil
}

// Idealized is CATHODE with a perfect background model: the classifier of
// real signal-region events against background events drawn, Oversample
// per real event at its m, from the true background distribution
// (background(m, rng) returns one event's features, in the order of the
// features), which only a simulation can provide. Against CATHODE it
// measures what the flow's mismodelling costs; against Supervised what
// learning without labels costs.
func Idealized(ctx context.Context, tab *data.Table, cfg Config, background func(m float64, rng *rand.Rand) []float64) (*Result, error) {
	cfg.defaults()
	r, err := split(tab, cfg)
	if err != nil {
		return nil, err
	}
	n, d, k := len(r.sr), len(r.features), cfg.Oversample
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x1dea1))
	gen := make([]float64, 0, n*k*d)
	for _, m := range r.mSR {
		for range k {
			row := background(m, rng)
			if len(row) != d {
				return nil, fmt.Errorf("idealized: the background sampler gives %d features, want %d", len(row), d)
			}
			gen = append(gen, row...)
		}
	}
	return againstSamples(ctx, "idealized", r, gen, cfg)
}

// againstSamples classifies the real signal-region events of r against
// gen, Oversample background samples per real event in the same order.
func againstSamples(ctx context.Context, method string, r *regions, gen []float64, cfg Config) (*Result, error) {
	n, d, k := len(r.sr), len(r.features), cfg.Oversample
	cfg.Logger.Info(method+": classifying signal-region events against background samples", "events", n, "samples", n*k, "folds", cfg.Folds)
	scores, genScores, err := kfold(ctx, r.xSR, gen, n, d, k, cfg)
	if err != nil {
		return nil, err
	}
	res := &Result{Method: method, SignalRegion: r.sr, Scores: scores, Features: r.features,
		NSideband: len(r.sb), NSignalRegion: n, NGenerated: n * k}
	if res.DataVsGenerated, err = separate(scores, genScores); err != nil {
		return nil, err
	}
	if r.truthSR != nil {
		if res.Truth, err = grade(scores, r.truthSR); err != nil {
			return nil, err
		}
		res.TruthColumn = cfg.Truth
	}
	return res, nil
}

// withConstants returns generated rows with the model's constant columns
// put back, in the order of feats.
func withConstants(m *model.Model, gen []float64, rows int, feats []string) ([]float64, error) {
	if !slices.Equal(m.OutputColumns(), feats) {
		return nil, fmt.Errorf("the sideband flow's columns %v are not the features %v", m.OutputColumns(), feats)
	}
	if len(m.Info.Constants) == 0 {
		return gen, nil
	}
	out := make([]float64, rows*len(feats))
	m.WithConstants(out, gen, rows)
	return out, nil
}

// assignFolds gives each of n events a fold 0..k-1, k balanced folds in a
// seeded random order.
func assignFolds(n, k int, seed uint64) []int {
	fold := make([]int, n)
	for i, p := range rand.New(rand.NewPCG(seed, 0xf01d)).Perm(n) {
		fold[p] = i % k
	}
	return fold
}

// outOfFold scores n events x out of fold: for every fold f it fits
// cfg.Ensemble classifiers on the training set trainingSet(f) returns (which
// must leave fold f out) and writes the logit of their mean prediction for
// the events of fold f. The rows of extra (fold extraFold[i] each, may be
// nil) are scored the same way.
func outOfFold(ctx context.Context, x []float64, n, d int, fold []int, cfg Config, trainingSet func(f int) (tx, ty, tw []float64), extra []float64, extraFold []int) (scores, extraScores []float64, err error) {
	scores, extraScores = make([]float64, n), make([]float64, len(extraFold))
	for f := 0; f < cfg.Folds; f++ {
		var px []float64
		var pi []int
		for i := 0; i < n; i++ {
			if fold[i] == f {
				px, pi = append(px, x[i*d:(i+1)*d]...), append(pi, i)
			}
		}
		ne := len(pi)
		for i, g := range extraFold {
			if g == f {
				px, pi = append(px, extra[i*d:(i+1)*d]...), append(pi, n+i)
			}
		}
		tx, ty, tw := trainingSet(f)
		mean, p := make([]float64, len(pi)), make([]float64, len(pi))
		for e := 0; e < cfg.Ensemble; e++ {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			clf := cfg.NewClassifier(cfg.Seed*1000 + uint64(f*cfg.Ensemble+e))
			if err := clf.Fit(ctx, tx, len(ty), d, ty, tw); err != nil {
				return nil, nil, fmt.Errorf("fold %d classifier: %w", f+1, err)
			}
			clf.Predict(p, px, len(pi))
			for i, v := range p {
				mean[i] += v / float64(cfg.Ensemble)
			}
		}
		for i, v := range mean {
			v = min(max(v, 1e-12), 1-1e-12)
			if i < ne {
				scores[pi[i]] = math.Log(v / (1 - v))
			} else {
				extraScores[pi[i]-n] = math.Log(v / (1 - v))
			}
		}
	}
	return scores, extraScores, nil
}

// kfold scores every one of n real events x (label 1) out of fold against
// generated events gen (k per real event, in the same order, label 0,
// weight 1/k): the fold of a generated event is that of the real event it
// was drawn for, and the classifiers of fold f train on every other fold.
// The generated events are scored out of fold too (genScores).
func kfold(ctx context.Context, x, gen []float64, n, d, k int, cfg Config) (scores, genScores []float64, err error) {
	fold := assignFolds(n, cfg.Folds, cfg.Seed)
	genFold := make([]int, n*k)
	for j := range genFold {
		genFold[j] = fold[j/k]
	}
	return outOfFold(ctx, x, n, d, fold, cfg, func(f int) (tx, ty, tw []float64) {
		for i := 0; i < n; i++ {
			if fold[i] == f {
				continue
			}
			tx, ty, tw = append(tx, x[i*d:(i+1)*d]...), append(ty, 1), append(tw, 1)
			for j := i * k; j < (i+1)*k; j++ {
				tx, ty, tw = append(tx, gen[j*d:(j+1)*d]...), append(ty, 0), append(tw, 1/float64(k))
			}
		}
		return tx, ty, tw
	}, gen, genFold)
}
