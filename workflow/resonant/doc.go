// Package resonant runs resonant anomaly detection with conditional flows:
// CATHODE (a flow p(x | m) fitted on the sidebands of a resonant variable m,
// sampled in the signal region, and a k-fold classifier of real against
// sampled signal-region events), ANODE (the ratio of a signal-region density
// to the interpolated sideband one) and the supervised reference they are
// measured against, graded by ROC, SIC and background rejection when the
// truth is known.
//
// It also generates a synthetic benchmark for these searches whose
// densities, and so whose optimal classifier, are known in closed form.
//
// Each event has a resonant variable m and four features x1..x4. Background
// m falls smoothly (a truncated exponential on [MassLo, MassHi]) and the
// features are multivariate normal given m, with means linear in m, a fixed
// correlation matrix and a spread of x3 that grows with m. Signal is a
// narrow resonance in m (normal, SignalMass ± SignalWidth) that stands out
// in x1 and x2 only: x3 and x4 are distributed as the background's at the
// same m. Synthetic.Generate draws a labelled table; LogDensityBackground,
// LogDensitySignal and OptimalScore give the exact densities and the
// likelihood ratio, the ideal against which a trained anomaly detector is
// measured.
package resonant
