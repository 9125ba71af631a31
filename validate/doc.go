// Package validate answers "is the generator any good?": it compares a
// reference sample with a candidate (generated) sample feature by feature
// (binned chi2, Kolmogorov-Smirnov, binned KL and chi2 distance), through
// their correlation matrices, after arbitrary cuts, with a classifier
// two-sample test and the density ratio it implies, checks that a flow's
// latent codes look like N(0, I), and computes ROC curves for anomaly scores.
//
// Samples are plain row-major float64 slices (see Sample) so the package
// depends on no data or model code. All results are plain structs with JSON
// tags, meant to be written to metrics.json. Degenerate inputs (weights
// summing to zero, a constant column) give neutral values (p = 1,
// correlation 0) rather than NaN, so every result encodes as JSON.
// Everything is O(n log n) in the number of events, so it runs on ~1e6
// events x ~30 features.
package validate
