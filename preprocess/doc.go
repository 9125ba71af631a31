// Package preprocess is hepflow's invertible feature scaling: fitted on the
// training split, stored in the model file, mapping physical events to the
// flow's input space and back exactly, with the log-Jacobian of the map in
// every density. Every real value of a continuous column maps, to a finite
// value with a finite log-Jacobian: the map is a bijection of the whole line.
//
// # The maps, per column kind
//
// KindContinuous, the seed talk's recipe, with fitted range [lo, hi]:
//
//	t = (x - lo)/(hi - lo)        min-max
//	c = t(1-beta) + beta/2        clip, beta = 1e-6
//	y = (logit(c) - mean)/std     logit and standardize
//
// [lo, hi] is the training [min, max] with each end pushed out by the
// spacing of the TailOrder = 10 most extreme training values there (see
// Options.Margin; ScalingSeed uses the exact min and max). Beyond the clip
// edges the logit continues with C1 tails (see clipEdge): at a distance d
// (in widths of the range) it rises by kappa*log(1 + (s-lambda) d/kappa) +
// lambda*d, its slope falling from the edge's s ~ 2/beta to lambda = 4, the
// logit's smallest slope.
//
// KindPeriodic is an angle: as continuous, with [lo, hi] fixed to
// Options.PeriodicRange, [-pi, pi] by default. The map does not wrap angles.
//
// KindUnbounded: y = (asinh((x - Loc)/Scale) - mean)/std on the fitted range
// [Min, Max] (widened as for the logit), continued linearly (C1) beyond it:
// a Johnson SU marginal, linear in the bulk for a large Scale, logarithmic
// in the tails for a small one.
//
// KindPositive, for a column never negative in training (a pT, a mass, a
// missing-energy magnitude): the same with t = log(x - Shift) in place of x
// on [Min, Max] (Shift = 0, or the widened minimum where the column starts
// at a cut; Min halfway between Shift and the smallest training value above
// it). Above Max it continues linearly in x; below Min linearly in t, which
// keeps generated values above Shift, down to a guard far below the data,
// then with a decaying tail in x.
//
// Loc and Scale, and for Options.Scaling auto the choice between the logit
// and these maps, are chosen per column by two-fold held-out likelihood (see
// chooseMap). Every continuous y is finally capped softly at |y| = CapY =
// 1000 (logarithmic growth beyond), so any finite value stays inside float32.
//
// Discrete column with K sorted distinct training values: the value becomes
// its level l in 0..K-1 and is dequantized to t = (l + u)/K with
// u = g + (1-2g)v, v ~ U[0,1) drawn from the caller's generator and
// g = DequantGuard = 1e-4, then clipped, logit'd and standardized as above.
// The inverse takes floor(t*K), clamped to 0..K-1, back to the training value,
// exactly. The guard g keeps u clear of the bin edges by much more than the
// float32 rounding of y, so the round trip through float32 is exact too.
//
// # Log-Jacobian
//
// ToLatent adds, per row, logdet = sum over columns of log|dy_j/ds_j|, where
// s_j = x_j for continuous columns and s_j = v_j (the uniform noise) for
// discrete ones. With p_y the flow's density of y:
//
//	log p(x) = log p_y(y) + logdet
//
// is, for events with only continuous columns, the exact log density in
// physical units. For each discrete column it turns the density into a
// probability: exp(log p_y(y) + logdet) averaged over v is the mass p_y gives
// the level's bin (less the two guard slivers of width g/K), so with v drawn
// at random log p(x) is a one-sample estimate of a lower bound (the
// dequantization bound) of log[ prod P(discrete levels) * density(continuous
// values) ], a density with respect to counting measure on the discrete
// columns and Lebesgue measure on the others.
//
// # Values without a density
//
// Only a value that is NaN or ±Inf, and a value of a discrete column that is
// not one of its training levels (mass zero), have none. ToLatent refuses a
// batch with such a value, with a *DomainError naming row, column, value
// and reason, before writing anything; Check lets callers find and drop (and
// count) such rows. Discrete values equal to a training level up to a
// relative 1e-6 (a float32 round trip) count as that level.
//
// Model files written before the asinh kinds and the tails (JSON version 1)
// load unchanged and gain the tails: only densities that used to be zero
// change.
//
// A fitted Scaler is immutable: apart from UnmarshalJSON its methods may be
// called concurrently, each goroutine with its own *rand.Rand. Rows are
// independent, so callers split big batches across goroutines themselves.
package preprocess
