//go:build amd64 && !purego

package flow

import (
	"golang.org/x/sys/cpu"

	"hepflow/nn/vec"
)

// hasSplineVector reports whether the AVX-512 spline kernel can run: the
// CPU has AVX-512 F, DQ and VL and $HEPFLOW_CPU allows AVX-512.
var hasSplineVector = vec.CPU() >= vec.AVX512 && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL

// useSplineVector selects it; tests flip it to compare the two paths.
var useSplineVector = hasSplineVector

// splineLatentVector is splineKernel.latent's body in AVX-512 assembly.
//
//go:noescape
func splineLatentVector(a *splineArgs)

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
