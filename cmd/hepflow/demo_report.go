package main

import (
	"fmt"
	"hepflow/workflow/demo"
	"io"
)

// printDemoHeadline prints the validation numbers: every feature's
// p-values, then the classifier test, the anomaly AUC and the latent check.
func printDemoHeadline(w io.Writer, h demo.Headline) {
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
