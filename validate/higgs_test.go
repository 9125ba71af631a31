package validate

import (
	"context"
	"testing"

	"hepflow/data"
	"hepflow/internal/demodata"
)

// loadHiggs reads the embedded 5,492-event HIGGS sample split by label.
func loadHiggs(t *testing.T) (bkg, sig Sample) {
	t.Helper()
	b, s, err := demodata.Split(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names := data.HiggsFeatures()
	return Sample{Data: b, Rows: len(b) / 28, Cols: 28, Names: names}, Sample{Data: s, Rows: len(s) / 28, Cols: 28, Names: names}
}

// TestHiggsRealData: on real HIGGS events the b-tags are binned per value,
// two random halves of the background agree, and background vs signal
// differ where the physics says (m_bb, m_wwbb) and for the classifier test.
func TestHiggsRealData(t *testing.T) {
	ctx := context.Background()
	bkg, sig := loadHiggs(t)
	if bkg.Rows != 2568 || sig.Rows != 2924 {
		t.Fatalf("read %d background and %d signal events, want 2568 and 2924", bkg.Rows, sig.Rows)
	}
	rng := newRand(71)
	h1, h2 := splitHalves(rng, bkg)
	c, err := Compare(ctx, h1, h2, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range []int{8, 12, 16, 20} {
		if f := c.Features[j]; !f.Discrete || len(f.HistA.Values) != 3 {
			t.Errorf("%s: discrete %v with %d values, want 3 levels", f.Name, f.Discrete, len(f.HistA.Values))
		}
	}
	// Under H0 the Bonferroni-corrected minimum p exceeds 0.001 with
	// probability 0.999.
	if q := c.MinChi2P * 28; q < 1e-3 {
		t.Errorf("two halves of the background differ: %s p = %g", c.WorstFeature, c.MinChi2P)
	}
	c, err = Compare(ctx, bkg, sig, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range []int{25, 27} {
		if f := c.Features[j]; f.Chi2.P > 1e-6 || f.KS.P > 1e-6 {
			t.Errorf("%s: background vs signal chi2 p %g, KS p %g; want < 1e-6", f.Name, f.Chi2.P, f.KS.P)
		}
	}
	r, err := C2ST(ctx, bkg, sig, &Logistic{}, C2STOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("background vs signal: C2ST acc %.3f AUC %.3f p %.3g (n_te %d)", r.Accuracy, r.AUC, r.P, r.NTest)
	if r.P > 1e-6 || r.AUC < 0.6 {
		t.Errorf("C2ST does not separate signal from background: acc %g AUC %g p %g", r.Accuracy, r.AUC, r.P)
	}
}
