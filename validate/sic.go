package validate

import (
	"fmt"
	"math"
)

// DefaultSICMinBackground is the number of background events (unweighted)
// that must pass a cut for SIC to consider it, when SICOptions.MinBackground
// is zero.
const DefaultSICMinBackground = 10

// SICOptions tunes SIC.
type SICOptions struct {
	// MinBackground is the least number of background events that must pass
	// a cut for the cut to compete for MaxSIC. The events are counted
	// unweighted whatever the weights, because it guards against the
	// statistical noise of a handful of events, which weights do not
	// reduce. Zero means DefaultSICMinBackground (10); a negative value
	// lets every point of the curve compete.
	MinBackground float64
	// MaxPoints > 1 thins the returned curve to about that many points
	// spread evenly along the (EffB, EffS) curve, as ROC does, always
	// keeping both ends and the maximum; MaxPoints <= 1 keeps every
	// threshold. The maximum is found on the full curve either way.
	MaxPoints int
}

// SICCurve is a significance-improvement curve: for each score threshold t
// (the cut "score >= Threshold[i]", higher = more signal-like), the signal
// and background efficiencies EffS, EffB and SIC = EffS / sqrt(EffB), the
// factor by which the cut multiplies the significance S / sqrt(B).
// Points run from the strictest threshold to the loosest, the last one
// accepting everything (EffS = EffB = SIC = 1). Thresholds at which no
// background weight passes (EffB <= 0, where SIC is undefined) are left out.
//
// MaxSIC is the largest SIC among the points that pass at least
// SICOptions.MinBackground background events, at efficiencies EffSAtMax
// and EffBAtMax; on ties the strictest threshold wins.
type SICCurve struct {
	EffS      []float64 `json:"eff_s"`
	EffB      []float64 `json:"eff_b"`
	SIC       []float64 `json:"sic"`
	Threshold []float64 `json:"threshold"`
	MaxSIC    float64   `json:"max_sic"`
	EffSAtMax float64   `json:"eff_s_at_max"`
	EffBAtMax float64   `json:"eff_b_at_max"`
}

// SIC computes the significance-improvement curve of signal scores sig
// against background scores bkg, with optional weights (nil: unit). Tied
// scores form a single threshold. An infinite score is reported as
// ±math.MaxFloat64 in Threshold so that the curve encodes as JSON.
//
// It fails on NaN scores, weights whose length differs from the scores',
// a class without positive total weight, an invalid MinBackground, and
// when no cut passes MinBackground background events (fewer background
// events than that in all), since the maximum is then meaningless.
func SIC(sig, wsig, bkg, wbkg []float64, opts SICOptions) (SICCurve, error) {
	minB := opts.MinBackground
	switch {
	case math.IsNaN(minB) || math.IsInf(minB, 1):
		return SICCurve{}, fmt.Errorf("sic: invalid MinBackground %g", minB)
	case minB == 0:
		minB = DefaultSICMinBackground
	case minB < 0:
		minB = 0
	}
	all, tp, tn, err := collectScores(sig, wsig, bkg, wbkg)
	if err != nil {
		return SICCurve{}, fmt.Errorf("sic: %w", err)
	}
	var effS, effB, sic, thr []float64
	best := -1
	var cp, cn float64
	nb := 0
	for i := 0; i < len(all); {
		j := i
		for ; j < len(all) && all[j].s == all[i].s; j++ {
			if all[j].pos {
				cp += all[j].w
			} else {
				cn += all[j].w
				nb++
			}
		}
		es, eb := cp/tp, cn/tn
		if j == len(all) {
			es, eb = 1, 1 // everything passes; exact despite rounding
		}
		t := all[i].s
		i = j
		if !(eb > 0) {
			continue
		}
		v := es / math.Sqrt(eb)
		effS, effB, sic, thr = append(effS, es), append(effB, eb), append(sic, v), append(thr, finite(t))
		if float64(nb) >= minB && (best < 0 || v > sic[best]) {
			best = len(sic) - 1
		}
	}
	if best < 0 {
		return SICCurve{}, fmt.Errorf("sic: no cut passes %g background events (%d background events in all); lower MinBackground", minB, len(bkg))
	}
	c := SICCurve{MaxSIC: sic[best], EffSAtMax: effS[best], EffBAtMax: effB[best]}
	keep := thinIndices(effB, effS, best, opts.MaxPoints)
	for _, k := range keep {
		c.EffS, c.EffB = append(c.EffS, effS[k]), append(c.EffB, effB[k])
		c.SIC, c.Threshold = append(c.SIC, sic[k]), append(c.Threshold, thr[k])
	}
	return c, nil
}

// finite maps ±Inf to ±math.MaxFloat64.
func finite(v float64) float64 {
	switch {
	case math.IsInf(v, 1):
		return math.MaxFloat64
	case math.IsInf(v, -1):
		return -math.MaxFloat64
	}
	return v
}

// thinIndices returns the indices of the points thin keeps of the curve
// (x, y), in order, with index must added if thin dropped it.
func thinIndices(x, y []float64, must, maxPoints int) []int {
	idx := make([]float64, len(x))
	for i := range idx {
		idx[i] = float64(i)
	}
	_, _, kept := thin(x, y, idx, maxPoints)
	out := make([]int, 0, len(kept)+1)
	for _, f := range kept {
		k := int(f)
		if must >= 0 && must <= k {
			if must < k {
				out = append(out, must)
			}
			must = -1
		}
		out = append(out, k)
	}
	return out
}

// RejectionAt returns the background rejection 1/eps_B of signal scores sig
// against background scores bkg (higher = more signal-like, weights
// optional) at signal efficiency effS, which must lie in (0, 1].
//
// It walks the full curve of cuts "score >= t" from the strictest, starting
// at the point (eps_S, eps_B) = (0, 0) as ROC does, to the first point whose
// eps_S reaches effS. If that point's eps_S equals effS, its eps_B is used
// (the lowest background efficiency at which effS is reached); otherwise
// eps_B is interpolated linearly in eps_S between that point and the one
// before, which is the efficiency of a cut randomized between the two
// thresholds (the rejection itself is not interpolated). It returns +Inf
// when that eps_B is zero: no background passes. Errors are those of ROC and
// an effS outside (0, 1].
func RejectionAt(sig, wsig, bkg, wbkg []float64, effS float64) (float64, error) {
	if !(effS > 0 && effS <= 1) {
		return 0, fmt.Errorf("rejection: signal efficiency %g outside (0, 1]", effS)
	}
	all, tp, tn, err := collectScores(sig, wsig, bkg, wbkg)
	if err != nil {
		return 0, fmt.Errorf("rejection: %w", err)
	}
	var cp, cn, prevS, prevB float64
	for i := 0; i < len(all); {
		j := i
		for ; j < len(all) && all[j].s == all[i].s; j++ {
			if all[j].pos {
				cp += all[j].w
			} else {
				cn += all[j].w
			}
		}
		i = j
		es, eb := cp/tp, cn/tn
		if j == len(all) {
			es, eb = 1, 1
		}
		if es < effS {
			prevS, prevB = es, eb
			continue
		}
		if es > effS {
			eb = prevB + (effS-prevS)/(es-prevS)*(eb-prevB)
		}
		if eb <= 0 {
			return math.Inf(1), nil
		}
		return 1 / eb, nil
	}
	// Unreachable: the last point has eps_S = 1 >= effS.
	return 0, fmt.Errorf("rejection: signal efficiency %g never reached", effS)
}
