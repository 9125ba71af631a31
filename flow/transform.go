// Package flow holds hepflow's normalizing flows: the Transform interface with
// explicit directions, the transforms themselves (MAF blocks built on MADE,
// RealNVP affine couplings, permutations), base distributions and the Flow that
// composes them. It works on float32 batches and knows nothing of files.
//
// Directions are always named: ToLatent maps data x to the base space z (used
// for densities and training), ToData maps z back to x (used for sampling).
// Each returns log|det J| of the direction it computes, per row, by adding it to
// a caller-provided float64 slice, so a composition needs no temporary.
//
// Every transform takes an optional context batch c (rows x the context size,
// aligned with the events; nil for an unconditional flow): a conditional flow
// models p(x | c). Transforms without a conditioner ignore it.
package flow

import "hepflow/nn"

// Transform is one invertible, batch-wise map of Dim() features.
//
// ToLatent leaves in the transform's workspace what Backward needs (and keeps
// references to x and c): a Backward call refers to the latest ToLatent call,
// x and c must not change in between, and no ToData call may come between
// them. A Transform is not safe for concurrent use.
type Transform interface {
	// Dim is the number of features.
	Dim() int
	// ToLatent writes z = T(x) for rows x Dim() inputs given context c and
	// adds log|det dz/dx| to logdet.
	ToLatent(z, x, c []float32, rows int, logdet []float64)
	// ToData writes x = T^-1(z) given context c and adds log|det dx/dz| to logdet.
	ToData(x, z, c []float32, rows int, logdet []float64)
	// Backward takes gz = dL/dz and gld[r] = dL/dlogdet[r] for the latest
	// ToLatent call, accumulates dL/dparams into the params' gradients and,
	// when gx is not nil, writes dL/dx. gz is not modified.
	Backward(gx, gz []float32, gld []float64, rows int)
	// Params are the trainable tensors (none for a permutation).
	Params() []*nn.Param
}
