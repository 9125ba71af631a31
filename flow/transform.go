// Package flow holds hepflow's normalizing flows: the Transform interface with
// explicit directions, the transforms themselves (MAF blocks built on MADE,
// RealNVP affine couplings, permutations), base distributions and the Flow that
// composes them. It works on float32 batches and knows nothing of files.
//
// Directions are always named: ToLatent maps data x to the base space z (used
// for densities and training), ToData maps z back to x (used for sampling).
// Each returns log|det J| of the direction it computes, per row, by adding it to
// a caller-provided float64 slice, so a composition needs no temporary.
package flow

import "hepflow/nn"

// Transform is one invertible, batch-wise map of Dim() features.
//
// ToLatent leaves in the transform's workspace what Backward needs (and keeps
// a reference to x): a Backward call refers to the latest ToLatent call, and x
// must not change in between. A Transform is not safe for concurrent use.
type Transform interface {
	// Dim is the number of features.
	Dim() int
	// ToLatent writes z = T(x) for rows x Dim() inputs and adds log|det dz/dx| to logdet.
	ToLatent(z, x []float32, rows int, logdet []float64)
	// ToData writes x = T^-1(z) and adds log|det dx/dz| to logdet.
	ToData(x, z []float32, rows int, logdet []float64)
	// Backward takes gz = dL/dz and gld[r] = dL/dlogdet[r] for the latest
	// ToLatent call, accumulates dL/dparams into the params' gradients and,
	// when gx is not nil, writes dL/dx. gz is not modified.
	Backward(gx, gz []float32, gld []float64, rows int)
	// Params are the trainable tensors (none for a permutation).
	Params() []*nn.Param
}
