package demo

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"hepflow/data"
	"hepflow/model"
	"hepflow/nn/blas"
	"hepflow/report"
	"hepflow/validate"
	"hepflow/workflow/suite"
)

// Headline are the validation numbers of the demo, printed and stored in
// summary.json and the report's metrics.json.
type Headline struct {
	Report  string               `json:"report"`
	Compare suite.CompareSummary `json:"compare"`
	Anomaly suite.AnomalySummary `json:"anomaly"`
	Latent  suite.LatentSummary  `json:"latent"`
	Seconds float64              `json:"report_seconds"`
}

// writeReport writes the full validation report of the demo into dir
// (shown to the user as shown, where it will be once the demo's folder is
// in place): generated against held-out real background (features,
// correlations, lepton_pT vs m_lv, the HIGGS cuts, classifier test and
// density-ratio tails), the latent check of the held-out events and the
// anomaly ROC of real signal against held-out background.
func writeReport(ctx context.Context, dir, shown string, m *model.Model, test, gen, sig *data.Table, threads int, seed uint64, g blas.Gemm) (Headline, error) {
	start := time.Now()
	h := Headline{Report: filepath.Join(shown, report.HTMLName)}
	cols := m.Columns()
	ref, err := suite.SampleOf(test, cols, nil)
	if err != nil {
		return h, err
	}
	cand, err := suite.SampleOf(gen, cols, nil)
	if err != nil {
		return h, err
	}
	signal, err := suite.SampleOf(sig, cols, nil)
	if err != nil {
		return h, err
	}
	b, err := report.NewBuilder(dir, "hepflow demo: a MAF trained on real HIGGS background",
		fmt.Sprintf("reference: %d held-out real background events; candidate: %d generated events; signal: %d real signal events; %d features",
			ref.Rows, cand.Rows, signal.Rows, len(cols)),
		report.HistStyle{RefLabel: "real (held-out)", CandLabel: "generated", RatioLabel: "gen/real"})
	if err != nil {
		return h, err
	}
	cfg := suite.CompareConfig{Cuts: suite.HiggsCuts(ref), Pairs: suite.DefaultPairs(cols), Workers: threads,
		Classifier: &validate.MLP{Seed: seed, Gemm: g}, C2ST: validate.C2STOptions{Seed: seed}}
	if h.Compare, err = suite.Compare(ctx, b, ref, cand, cfg); err != nil {
		return h, err
	}
	if h.Anomaly, err = suite.Anomaly(ctx, b, m, ref, signal, suite.AnomalyConfig{Seed: seed}); err != nil {
		return h, err
	}
	if h.Latent, err = suite.Latent(b, m, ref, 0, seed); err != nil {
		return h, err
	}
	h.Seconds = time.Since(start).Seconds()
	b.SetMetric("headline", h)
	return h, b.Write()
}
