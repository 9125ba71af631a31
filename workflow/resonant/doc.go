// Package resonant generates a synthetic benchmark for resonant anomaly
// detection (CATHODE-style weakly supervised searches) whose densities, and
// so whose optimal classifier, are known in closed form.
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
