// Package report turns validate results into figures (gonum/plot, PNG and
// SVG) and a self-contained HTML report with a metrics.json beside it.
//
// The figures are HEP-style: step histograms with sqrt(sum w^2) error bars
// and a candidate/reference ratio panel, 2D histograms side by side, a
// correlation-difference heat map, ROC curves, the latent |z|^2 against
// chi2(D), and density-ratio tail histograms. Every file is written
// atomically (temporary file in the same folder, fsync, rename), so a
// report directory never holds half-written files.
package report
