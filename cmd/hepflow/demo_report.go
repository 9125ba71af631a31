package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"hepflow/data"
	"hepflow/model"
	"hepflow/nn/blas"
	"hepflow/report"
	"hepflow/validate"
	"hepflow/validate/suite"
)

// demoHeadline are the validation numbers of the demo, printed and stored
// in summary.json and the report's metrics.json.
type demoHeadline struct {
	Report  string               `json:"report"`
	Compare suite.CompareSummary `json:"compare"`
	Anomaly suite.AnomalySummary `json:"anomaly"`
	Latent  suite.LatentSummary  `json:"latent"`
	Seconds float64              `json:"report_seconds"`
}

// demoReport writes the full validation report of the demo into dir (shown
// to the user as shown, where it will be once the demo's folder is in
// place): generated against held-out real background (features,
// correlations, lepton_pT vs m_lv, the HIGGS cuts, classifier test and
// density-ratio tails), the latent check of the held-out events and the
// anomaly ROC of real signal against held-out background.
func demoReport(ctx context.Context, dir, shown string, m *model.Model, test, gen, sig *data.Table, threads int, seed uint64, g blas.Gemm) (demoHeadline, error) {
	start := time.Now()
	h := demoHeadline{Report: filepath.Join(shown, report.HTMLName)}
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

// printDemoHeadline prints the validation numbers: every feature's
// p-values, then the classifier test, the anomaly AUC and the latent check.
func printDemoHeadline(w io.Writer, h demoHeadline) {
	c := h.Compare
	fmt.Fprintf(w, "  generated vs held-out real (%d vs %d events):\n", c.NCandidate, c.NReference)
	fmt.Fprintf(w, "    %-26s %10s %10s\n", "feature", "chi2 p", "KS p")
	for _, f := range c.Features {
		fmt.Fprintf(w, "    %-26s %10.3g %10.3g\n", f.Name, f.Chi2P, f.KSP)
	}
	fmt.Fprintf(w, "    %d of %d features with chi2 p < 0.05 (about %.1f expected if the generator were perfect); worst %s, Bonferroni p = %.3g\n",
		c.PBelow005, len(c.Features), 0.05*float64(len(c.Features)), c.WorstFeature, c.BonferroniP)
	for _, cut := range c.Cuts {
		fmt.Fprintf(w, "    cut %s: pass %.3f real vs %.3f generated (pull %+.1f)\n", cut.Name, cut.PassReference, cut.PassCandidate, cut.Pull)
	}
	if t := c.C2ST; t != nil {
		fmt.Fprintf(w, "  classifier two-sample test: accuracy %.3f, AUC %.3f, p = %.3g (n_test %d)\n", t.Accuracy, t.AUC, t.P, t.NTest)
	}
	a := h.Anomaly
	fmt.Fprintf(w, "  anomaly detection, -log p(x): AUC %.3f for %d real signal vs %d held-out background events\n", a.AUC, a.NSignal, a.NBackground)
	l := h.Latent
	fmt.Fprintf(w, "  latent check: |z|² vs χ²(%d) KS p = %.3g (mean %.2f), smallest per-dimension KS p = %.3g\n", l.Dim, l.Norm2P, l.Norm2Mean, l.MinDimP)
	fmt.Fprintf(w, "  report             %s (%.1f s)\n", h.Report, h.Seconds)
}
