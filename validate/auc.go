package validate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// scored is one event's score, class and weight.
type scored struct {
	s   float64
	pos bool
	w   float64
}

func collectScores(sig, wsig, bkg, wbkg []float64) ([]scored, float64, float64, error) {
	if wsig != nil && len(wsig) != len(sig) || wbkg != nil && len(wbkg) != len(bkg) {
		return nil, 0, 0, fmt.Errorf("roc: weights and scores differ in length")
	}
	all := make([]scored, 0, len(sig)+len(bkg))
	var tp, tn float64
	for i, s := range sig {
		w := 1.0
		if wsig != nil {
			w = wsig[i]
		}
		if math.IsNaN(s) {
			return nil, 0, 0, fmt.Errorf("roc: NaN signal score at %d", i)
		}
		all = append(all, scored{s, true, w})
		tp += w
	}
	for i, s := range bkg {
		w := 1.0
		if wbkg != nil {
			w = wbkg[i]
		}
		if math.IsNaN(s) {
			return nil, 0, 0, fmt.Errorf("roc: NaN background score at %d", i)
		}
		all = append(all, scored{s, false, w})
		tn += w
	}
	if tp <= 0 || tn <= 0 {
		return nil, 0, 0, fmt.Errorf("roc: need positive total weight in both classes (signal %g, background %g)", tp, tn)
	}
	// Descending score: the ROC is traced from the strictest threshold.
	slices.SortFunc(all, func(a, b scored) int { return cmp.Compare(b.s, a.s) })
	return all, tp, tn, nil
}

// AUC returns the (weighted) area under the ROC curve of signal scores sig
// against background scores bkg, higher score meaning more signal-like:
// the Mann-Whitney probability P(s_sig > s_bkg) + P(s_sig = s_bkg)/2, so tied
// scores count one half. Weights may be nil (unit). O(n log n).
func AUC(sig, wsig, bkg, wbkg []float64) (float64, error) {
	all, tp, tn, err := collectScores(sig, wsig, bkg, wbkg)
	if err != nil {
		return 0, err
	}
	// Walk groups of equal score from the highest; negAbove is the
	// background weight scoring strictly higher than the group.
	var auc, negAbove float64
	for i := 0; i < len(all); {
		j := i
		var gp, gn float64
		for ; j < len(all) && all[j].s == all[i].s; j++ {
			if all[j].pos {
				gp += all[j].w
			} else {
				gn += all[j].w
			}
		}
		// Signal in this group beats all background below it.
		auc += gp * (tn - negAbove - gn + 0.5*gn)
		negAbove += gn
		i = j
	}
	return auc / (tp * tn), nil
}

// OperatingPoint is the signal efficiency (TPR) at a background efficiency (FPR).
type OperatingPoint struct {
	FPR float64 `json:"fpr"`
	TPR float64 `json:"tpr"`
}

// ROCCurve is a (weighted) ROC curve: points from (0,0) to (1,1), one per
// distinct score threshold (thinned to at most MaxPoints), Threshold[i] being
// the score cut "score >= Threshold[i]" of point i.
type ROCCurve struct {
	FPR       []float64        `json:"fpr"`
	TPR       []float64        `json:"tpr"`
	Threshold []float64        `json:"threshold"`
	AUC       float64          `json:"auc"`
	AtFPR     []OperatingPoint `json:"at_fpr"` // TPR at FPR 0.1, 0.01, 0.001 (interpolated on the full curve)
}

// ROC computes the ROC curve of signal vs background scores (higher = more
// signal-like) with optional weights. maxPoints > 1 thins the curve to about
// that many points spread evenly along its length (the AUC and AtFPR always
// use the full curve); maxPoints <= 1 keeps every threshold.
func ROC(sig, wsig, bkg, wbkg []float64, maxPoints int) (ROCCurve, error) {
	all, tp, tn, err := collectScores(sig, wsig, bkg, wbkg)
	if err != nil {
		return ROCCurve{}, err
	}
	fpr, tpr, thr := []float64{0}, []float64{0}, []float64{math.Inf(1)}
	var cp, cn float64
	for i := 0; i < len(all); {
		j := i
		for ; j < len(all) && all[j].s == all[i].s; j++ {
			if all[j].pos {
				cp += all[j].w
			} else {
				cn += all[j].w
			}
		}
		fpr, tpr, thr = append(fpr, cn/tn), append(tpr, cp/tp), append(thr, all[i].s)
		i = j
	}
	var c ROCCurve
	// Trapezoids: exact Mann-Whitney area with ties counted as one half.
	for i := 1; i < len(fpr); i++ {
		c.AUC += (fpr[i] - fpr[i-1]) * (tpr[i] + tpr[i-1]) / 2
	}
	for _, f := range []float64{0.1, 0.01, 0.001} {
		c.AtFPR = append(c.AtFPR, OperatingPoint{FPR: f, TPR: interpTPR(fpr, tpr, f)})
	}
	thr[0] = math.MaxFloat64 // keep JSON finite: "accept nothing"
	c.FPR, c.TPR, c.Threshold = thin(fpr, tpr, thr, maxPoints)
	return c, nil
}

// interpTPR interpolates TPR linearly at a given FPR on a monotone curve.
func interpTPR(fpr, tpr []float64, f float64) float64 {
	i, _ := slices.BinarySearch(fpr, f)
	if i == 0 {
		return tpr[0]
	}
	if i == len(fpr) {
		return tpr[len(tpr)-1]
	}
	// fpr[i-1] < f <= fpr[i]; take the highest TPR reached at fpr == f.
	for i+1 < len(fpr) && fpr[i+1] == f {
		i++
	}
	if fpr[i] == f {
		return tpr[i]
	}
	t := (f - fpr[i-1]) / (fpr[i] - fpr[i-1])
	return tpr[i-1] + t*(tpr[i]-tpr[i-1])
}

// thin keeps about maxPoints points spaced evenly in arc length (L1), always
// keeping both ends.
func thin(x, y, t []float64, maxPoints int) ([]float64, []float64, []float64) {
	n := len(x)
	if maxPoints <= 1 || n <= maxPoints {
		return x, y, t
	}
	var total float64
	for i := 1; i < n; i++ {
		total += math.Abs(x[i]-x[i-1]) + math.Abs(y[i]-y[i-1])
	}
	step := total / float64(maxPoints-1)
	ox, oy, ot := []float64{x[0]}, []float64{y[0]}, []float64{t[0]}
	var acc float64
	for i := 1; i < n-1; i++ {
		acc += math.Abs(x[i]-x[i-1]) + math.Abs(y[i]-y[i-1])
		if acc >= step {
			ox, oy, ot = append(ox, x[i]), append(oy, y[i]), append(ot, t[i])
			acc = 0
		}
	}
	return append(ox, x[n-1]), append(oy, y[n-1]), append(ot, t[n-1])
}
