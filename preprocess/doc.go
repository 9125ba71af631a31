// Package preprocess is hepflow's invertible feature scaling: the seed talk's
// per-column recipe, fitted on the training split, stored in the model file,
// and mapping physical events to the flow's input space and back exactly.
//
// # The map, per column
//
// Continuous column x with fitted range [lo, hi]:
//
//	t = (x - lo)/(hi - lo)        min-max
//	c = t(1-beta) + beta/2        clip, beta = 1e-6
//	y = (logit(c) - mean)/std     logit and standardize
//
// mean and std are those of logit(c) over the training rows. [lo, hi] is the
// training [min, max] with each end pushed out by the spacing of the
// TailOrder = 10 most extreme training values there (see Options.Margin for
// why; Options.ExactRange gives the seed's unwidened range).
//
// Periodic column (an angle): as continuous, with [lo, hi] fixed to
// Options.PeriodicRange, [-pi, pi] by default, instead of the training range.
// The map does not wrap angles (callers give angles inside the range) and
// adds no circular structure; the fixed range only guarantees that every
// angle maps.
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
// s_j = x_j for continuous and periodic columns and s_j = v_j (the uniform
// noise) for discrete ones. With p_y the flow's density of y:
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
// # Values outside the fitted range: the tails
//
// Every finite value of a continuous or periodic column maps, to a finite y
// with a finite log-Jacobian: the scaling is a bijection of the whole real
// line. Inside [lo, hi] it is exactly the recipe above. Beyond an edge, at a
// distance e = (x - hi)(1-beta)/(hi-lo) (or (lo - x)(1-beta)/(hi-lo)) in c
// units, the raw logit continues as
//
//	logit(1-beta/2) + log(1 + s e)    (and its mirror below lo),  s = 1/(beta/2 (1-beta/2))
//
// the mirror image of the logit about the clip edge: C1 there (the density in
// physical units is continuous across the edge) and, at a distance e beyond,
// with the slope the logit has at e inside, so the density just outside is of
// the order of the density just inside. (Continuing the logit linearly with
// its edge slope s ~ 2/beta instead would put an event 1% of the width beyond
// the range some 2e4 raw units out, a log density near -1e8.) The inverse is
// exact on the tails too, so generated values beyond [lo, hi] are the ones
// the flow's tails give. Model files written before the tails existed load
// unchanged and gain them: they only change densities that used to be zero.
//
// The widening of [min, max] at fit time keeps the edges, where the slope of
// the map peaks, beyond the training data (none of 1492 held-out HIGGS events
// with 4000 training events fall outside, against 18 with the exact range).
//
// What still has no density: a value that is NaN or ±Inf, and a value of a
// discrete column that is not one of its training levels (mass zero).
// ToLatent refuses a batch with such a value, with a *DomainError naming row,
// column, value and reason (DomainError.Reason), before writing anything;
// Check lets callers find and drop (and count) such rows. Discrete values
// equal to a training level up to a relative 1e-6 (a float32 round trip)
// count as that level.
//
// A fitted Scaler is immutable: apart from UnmarshalJSON its methods may be
// called concurrently, each goroutine with its own *rand.Rand. Rows are
// independent, so callers split big batches across goroutines themselves.
package preprocess
