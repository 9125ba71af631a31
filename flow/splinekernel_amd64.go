//go:build amd64 && !purego

package flow

import (
	"golang.org/x/sys/cpu"

	"hepflow/nn/vec"
)

// hasSplineAVX512 reports whether the AVX-512 spline kernels can run: the
// CPU has AVX-512 F, DQ and VL and $HEPFLOW_CPU allows AVX-512.
// hasSplineAVX2 is the same for the AVX2 kernels.
var (
	hasSplineAVX512 = vec.CPU() >= vec.AVX512 && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL
	hasSplineAVX2   = vec.CPU() >= vec.AVX2
	hasSplineVector = hasSplineAVX512 || hasSplineAVX2
)

// useSplineVector selects the vector kernels, useSplineAVX512 the AVX-512
// ones among them; tests flip them to compare the paths.
var (
	useSplineVector = hasSplineVector
	useSplineAVX512 = hasSplineAVX512
)

// splineLatentVector is splineKernel.latent's body in AVX-512 assembly.
//
//go:noescape
func splineLatentVector(a *splineArgs)

// splineLatentAVX2 is splineLatentVector on four lanes, for the first
// a.cnt&^3 coordinates.
//
//go:noescape
func splineLatentAVX2(a *splineArgs)

// splinePrepareVector is splineKernel.prepare's body in AVX-512 assembly.
//
//go:noescape
func splinePrepareVector(e *float64, theta *float32, lt, cnt, rows int, c *splineConsts) uint32

// splineBackwardVector is splineKernel.backward's body in AVX-512 assembly.
//
//go:noescape
func splineBackwardVector(a *splineBackArgs)

// splineInverseVector is splineKernel.inverse's body in AVX-512 assembly.
//
//go:noescape
func splineInverseVector(a *splineInvArgs)

// splineMax0Vector is the assembly's max(v, 0), exposed for the tests.
//
//go:noescape
func splineMax0Vector(dst, src *[8]float64)

// splinePrepareAVX2 is splinePrepareVector on four lanes, for the first
// cnt&^3 values of each row.
//
//go:noescape
func splinePrepareAVX2(e *float64, theta *float32, lt, cnt, rows int, c *splineConsts) uint32

// splineBackwardAVX2 is splineBackwardVector on four lanes, for the first
// a.n&^3 coordinates.
//
//go:noescape
func splineBackwardAVX2(a *splineBackArgs)

// splineInverseAVX2 is splineInverseVector on four lanes, for the first
// a.cnt&^3 coordinates.
//
//go:noescape
func splineInverseAVX2(a *splineInvArgs)

// splineMax0AVX2 is the AVX2 assembly's max(v, 0), exposed for the tests.
//
//go:noescape
func splineMax0AVX2(dst, src *[8]float64)
