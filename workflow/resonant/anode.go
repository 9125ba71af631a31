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

// Anode runs ANODE (Nachman & Shih, arXiv:2001.04990): the score of a
// signal-region event is log p_SR(x | m) - log p_SB(x | m), the sideband
// flow interpolated into the signal region against a flow fitted inside
// it. The signal-region flow is fitted twice, on halves, each scoring the
// other half, so no event is scored by a density that was fitted to it.
func Anode(ctx context.Context, tab *data.Table, cfg Config) (*Result, error) {
	cfg.defaults()
	r, err := split(tab, cfg)
	if err != nil {
		return nil, err
	}
	sb, check, err := fitSideband(ctx, r, cfg)
	if err != nil {
		return nil, err
	}
	n, d := len(r.sr), len(r.features)
	half := make([]int, n)
	for i, p := range rand.New(rand.NewPCG(cfg.Seed, 0xa0de)).Perm(n) {
		half[p] = i % 2
	}
	res := &Result{Method: "anode", SignalRegion: r.sr, Scores: make([]float64, n), Features: r.features,
		NSideband: len(r.sb), NSignalRegion: n, Sideband: sb, Model: sb.Model, SidebandCheck: check, Check: summarize(check)}
	lpSB, err := logProb(sb.Model, r.xSR, r.mSR, n, cfg.Seed)
	if err != nil {
		return nil, err
	}
	for h := 0; h < 2; h++ {
		var fx, fm, px, pm []float64
		var pi []int
		for i := 0; i < n; i++ {
			if half[i] == h {
				px, pm, pi = append(px, r.xSR[i*d:(i+1)*d]...), append(pm, r.mSR[i]), append(pi, i)
			} else {
				fx, fm = append(fx, r.xSR[i*d:(i+1)*d]...), append(fm, r.mSR[i])
			}
		}
		in, err := fitConditional(ctx, r.features, fx, fm, cfg, fmt.Sprintf("signal-region (half %d)", 2-h))
		if err != nil {
			return nil, err
		}
		res.Inside = append(res.Inside, in)
		lp, err := logProb(in.Model, px, pm, len(pi), cfg.Seed)
		if err != nil {
			return nil, err
		}
		for j, i := range pi {
			res.Scores[i] = lp[j] - lpSB[i]
		}
	}
	if r.truthSR != nil {
		if res.Truth, err = grade(res.Scores, r.truthSR); err != nil {
			return nil, err
		}
		res.TruthColumn = cfg.Truth
	}
	return res, nil
}

// logProb is log p(x | m) under a model whose features may include
// constant columns (they are dropped: the model does not take them).
func logProb(m *model.Model, x, ms []float64, rows int, seed uint64) ([]float64, error) {
	feats := m.OutputColumns()
	keep := make([]int, 0, m.Dim())
	for j, c := range feats {
		if slices.Contains(m.Columns(), c) {
			keep = append(keep, j)
		}
	}
	d := len(feats)
	xs := make([]float64, 0, rows*len(keep))
	for r := 0; r < rows; r++ {
		for _, j := range keep {
			xs = append(xs, x[r*d+j])
		}
	}
	lp := make([]float64, rows)
	if _, err := m.LogProb(lp, xs, ms, rows, rand.New(rand.NewPCG(seed, 0x1ab))); err != nil {
		return nil, err
	}
	for i, v := range lp {
		if math.IsInf(v, -1) || math.IsNaN(v) {
			lp[i] = -1e300 // no density: least likely (ANODE's score then ranks it by the other density)
		}
	}
	return lp, nil
}
