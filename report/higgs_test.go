package report

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"hepflow/validate"
)

var higgsNames = []string{"lepton_pT", "lepton_eta", "lepton_phi", "missing_energy_magnitude", "missing_energy_phi",
	"jet1_pt", "jet1_eta", "jet1_phi", "jet1_btag", "jet2_pt", "jet2_eta", "jet2_phi", "jet2_btag",
	"jet3_pt", "jet3_eta", "jet3_phi", "jet3_btag", "jet4_pt", "jet4_eta", "jet4_phi", "jet4_btag",
	"m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb"}

// loadHiggs reads the shared HIGGS sample split by label (skips if absent).
func loadHiggs(t *testing.T) (bkg, sig validate.Sample) {
	t.Helper()
	var f *os.File
	var err error
	for _, p := range []string{"../testdata/higgs-sample.csv.gz", "../../shared/data/higgs-sample/higgs-sample.csv.gz"} {
		if f, err = os.Open(p); err == nil {
			break
		}
	}
	if f == nil {
		t.Skip("HIGGS sample not found")
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(gz).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	bkg = validate.Sample{Cols: 28, Names: higgsNames}
	sig = validate.Sample{Cols: 28, Names: higgsNames}
	for i, r := range recs {
		label, err := strconv.ParseFloat(r[0], 64)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		s := &bkg
		if label == 1 {
			s = &sig
		}
		for _, v := range r[1:] {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			s.Data = append(s.Data, x)
		}
		s.Rows++
	}
	return bkg, sig
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
