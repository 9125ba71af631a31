package validate

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// TestH0Calibration: two random halves of one Gaussian sample (4 features)
// must be rejected at alpha 0.05 about 5% of the time by the per-feature
// chi2 and KS tests (300 splits x 4 independent features = 1200 tests,
// binomial sd 0.006) and by the C2ST with the logistic baseline (400 splits,
// sd 0.011).
func TestH0Calibration(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(21, 22))
	const splits, n, cols = 300, 2000, 4
	chiRej, ksRej, tests := 0, 0, 0
	for range splits {
		a, b := splitHalves(rng, gaussSample(rng, n, cols, -1, 0))
		feats, err := CompareFeatures(ctx, a, b, CompareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range feats {
			tests++
			if f.Chi2.P < 0.05 {
				chiRej++
			}
			if f.KS.P < 0.05 {
				ksRej++
			}
		}
	}
	checkRate(t, "chi2", chiRej, tests, 0.05, 0.02, 0.08)
	checkRate(t, "KS", ksRej, tests, 0.05, 0.02, 0.08)

	const c2stSplits = 400
	rej := 0
	for s := range c2stSplits {
		a, b := splitHalves(rng, gaussSample(rng, 1000, cols, -1, 0))
		r, err := C2ST(ctx, a, b, &Logistic{}, C2STOptions{Seed: uint64(s)})
		if err != nil {
			t.Fatal(err)
		}
		if r.NTest != 500 {
			t.Fatalf("n_te = %d, want 500 (balanced 500 per class, half held out)", r.NTest)
		}
		if r.P < 0.05 {
			rej++
		}
	}
	checkRate(t, "C2ST (logistic)", rej, c2stSplits, 0.05, 0.02, 0.08)
}

// TestPowerMeanShift: a 0.1-sigma shift of feature 2 of 4 in 20k events per
// sample. Expected: chi2 and KS of that feature reject at p < 0.01 (the
// shift is ~10 sigma of the mean difference sqrt(2/20000) = 0.01), the
// other features do not stand out, the C2ST rejects, and the density
// ratio's high tail (where the candidate over-produces) sits at larger x2
// than the low tail.
func TestPowerMeanShift(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(31, 32))
	const n, cols, shifted = 20000, 4, 2
	a := gaussSample(rng, n, cols, -1, 0)
	b := gaussSample(rng, n, cols, shifted, 0.1)
	a.Names = []string{"f0", "f1", "f2", "f3"}
	b.Names = a.Names
	cmp, err := Compare(ctx, a, b, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cmp.Features {
		t.Logf("%s: chi2 %.1f/%d p %.3g  KS D %.4f p %.3g  KL %.2e  chi2dist %.2e", f.Name, f.Chi2.Chi2, f.Chi2.Dof, f.Chi2.P, f.KS.D, f.KS.P, f.KL, f.Chi2Distance)
	}
	f2 := cmp.Features[shifted]
	if f2.Chi2.P >= 0.01 || f2.KS.P >= 0.01 {
		t.Errorf("shifted feature not detected: chi2 p %g, KS p %g", f2.Chi2.P, f2.KS.P)
	}
	if cmp.WorstFeature != "f2" {
		t.Errorf("worst feature %s, want f2", cmp.WorstFeature)
	}
	if d := f2.MeanB - f2.MeanA; math.Abs(d-0.1) > 5*math.Sqrt(2.0/n) {
		t.Errorf("mean difference %g, want 0.1", d)
	}
	for j, f := range cmp.Features {
		if j != shifted && f.KL > f2.KL {
			t.Errorf("unshifted %s has larger KL (%g) than the shifted one (%g)", f.Name, f.KL, f2.KL)
		}
	}

	r, err := C2ST(ctx, a, b, &Logistic{}, C2STOptions{Seed: 1, TailQuantile: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("C2ST: acc %.4f p %.3g (log10 %.1f) AUC %.4f n_te %d, logloss raw %.5f cal %.5f, Platt %+v",
		r.Accuracy, r.P, r.Log10P, r.AUC, r.NTest, r.LogLossRaw, r.LogLossCalibrated, r.Calibration)
	if r.P >= 0.01 {
		t.Errorf("C2ST p = %g, want < 0.01", r.P)
	}
	// Expected AUC for a 0.1-sigma shift in one Gaussian: Phi(0.1/sqrt 2) = 0.528.
	if math.Abs(r.AUC-0.528) > 0.015 {
		t.Errorf("AUC %g, want 0.528 +- 0.015", r.AUC)
	}
	hi, lo := r.TailMeans.High[shifted], r.TailMeans.Low[shifted]
	t.Logf("x2 mean: high-r tail %.3f, low-r tail %.3f, all %.3f (%d events per tail)", hi, lo, r.TailMeans.All[shifted], len(r.HighTail))
	// With 200 events per tail, the tails of a linear logit in x2 sit ~2.3
	// sigma out on either side; demand a separation of at least 2.
	if hi-lo < 2 {
		t.Errorf("density-ratio tails not enriched along the shift: high %g low %g", hi, lo)
	}
	if len(r.HighTail) != 200 || len(r.LowTail) != 200 {
		t.Errorf("tail sizes %d/%d, want 1%% of 20000", len(r.HighTail), len(r.LowTail))
	}
	for k := 1; k < len(r.HighTail); k++ {
		if r.HighTail[k].LogRatio > r.HighTail[k-1].LogRatio || r.LowTail[k].LogRatio < r.LowTail[k-1].LogRatio {
			t.Fatal("tails not ordered from the extreme inwards")
		}
	}
	// The listed (sample, row) pairs point at the events the tail means were
	// computed from.
	refRows, candRows := TailRows(r.HighTail)
	var sum float64
	for _, i := range refRows {
		sum += a.Row(i)[shifted]
	}
	for _, i := range candRows {
		sum += b.Row(i)[shifted]
	}
	if got := sum / float64(len(r.HighTail)); math.Abs(got-hi) > 1e-9 {
		t.Errorf("tail rows give x2 mean %g, tail means say %g", got, hi)
	}
	if len(candRows) <= len(refRows) {
		t.Errorf("high-r tail should hold more candidate (%d) than reference (%d) events", len(candRows), len(refRows))
	}
	// Calibration must not make the held-out log loss worse than the raw
	// classifier by more than noise.
	if r.LogLossCalibrated > r.LogLossRaw+1e-3 {
		t.Errorf("calibrated log loss %g > raw %g", r.LogLossCalibrated, r.LogLossRaw)
	}
	for _, v := range []any{cmp, r} {
		if _, err := json.Marshal(v); err != nil {
			t.Errorf("results must encode as JSON: %v", err)
		}
	}
}
