package report

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"hepflow/data"
	"hepflow/internal/demodata"
	"hepflow/validate"
)

// loadHiggs reads the embedded 5,492-event HIGGS sample split by label.
func loadHiggs(t *testing.T) (bkg, sig validate.Sample) {
	t.Helper()
	b, s, err := demodata.Split(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names := data.HiggsFeatures()
	return validate.Sample{Data: b, Rows: len(b) / 28, Cols: 28, Names: names}, validate.Sample{Data: s, Rows: len(s) / 28, Cols: 28, Names: names}
}

// TestHiggsReport builds the full report for real HIGGS events, background
// as reference and signal as candidate (a "generator" that is badly wrong),
// with 28 features including discrete b-tags and heavy-tailed momenta. Set
// HEPFLOW_REPORT_DIR to keep it.
func TestHiggsReport(t *testing.T) {
	ctx := context.Background()
	bkg, sig := loadHiggs(t)
	dir := t.TempDir()
	if d := os.Getenv("HEPFLOW_REPORT_DIR"); d != "" {
		dir = filepath.Join(d, "higgs")
	}
	bl, err := NewBuilder(dir, "HIGGS: signal vs background", "5,492 real UCI HIGGS events", HistStyle{RefLabel: "background", CandLabel: "signal"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := validate.Compare(ctx, bkg, sig, validate.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bl.AddComparison(c); err != nil {
		t.Fatal(err)
	}
	ha, hb, err := validate.PairHists(bkg, sig, 25, 27, validate.BinningOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bl.AddPair(ha, hb); err != nil {
		t.Fatal(err)
	}
	cut, err := validate.CutInvariance(ctx, "jet1_btag > 1", bkg, sig, func(r []float64) bool { return r[8] > 1 }, validate.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bl.AddCut(cut); err != nil {
		t.Fatal(err)
	}
	r, err := validate.C2ST(ctx, bkg, sig, &validate.Logistic{}, validate.C2STOptions{Seed: 1, TailQuantile: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	if err := bl.AddC2ST(r, bkg, sig, 3); err != nil {
		t.Fatal(err)
	}
	var sigScore, bkgScore []float64
	for i, lab := range r.Holdout.Label {
		if lab == 1 {
			sigScore = append(sigScore, r.Holdout.Score[i])
		} else {
			bkgScore = append(bkgScore, r.Holdout.Score[i])
		}
	}
	roc, err := validate.ROC(sigScore, nil, bkgScore, nil, 300)
	if err != nil {
		t.Fatal(err)
	}
	if err := bl.AddROC("logistic signal score", []NamedROC{{"logistic", roc}}); err != nil {
		t.Fatal(err)
	}
	if err := bl.Write(); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// 28 feature histograms + correlation + pair + cut + 3 tails + roc, PNG and SVG.
	if n := len(ents); n < 2*(28+1+1+1+3+1)+2 {
		t.Errorf("%d files in the report folder", n)
	}
}
