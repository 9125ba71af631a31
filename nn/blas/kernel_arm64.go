//go:build !purego

package blas

import (
	"golang.org/x/sys/cpu"

	"hepflow/nn/vec"
)

// hasNEON reports whether the NEON micro-kernels (kernel_arm64.s, generated
// by internal/kernelgen) may run: Advanced SIMD is part of every AArch64
// CPU, but the check keeps an emulator or OS without it honest, and
// $HEPFLOW_CPU (vec.EnvCPU) can rule the kernels out.
var hasNEON = cpu.ARM64.HasASIMD && vec.Allowed(vec.NEON)

// neonBuilt says this build has the NEON kernels, so that a test can tell a
// CPU without them from a build without them.
const neonBuilt = true

// neonKernelFunc computes one block of rows x cols of C (both fixed per
// function); see kernel_arm64.s. It reads a[i*rs + p*cs] for i < rows,
// p < k, and b[p*ldb + j] for j < cols, and writes all of C's block (reading
// it first when accum is set); the caller guarantees the reads and writes
// are in bounds.
type neonKernelFunc func(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)

// neonWideKernels[r] handles blocks of r <= neonWideRows rows and
// neonWideCols[r] columns.
var neonWideKernels = [neonWideRows + 1]neonKernelFunc{nil, neonKernel1x64, neonKernel2x32, neonKernel3x32}

// neonKernel16 runs the kernel for blocks of r rows and 16 columns. It is a
// switch of direct calls rather than a table of functions so that escape
// analysis sees the kernels' noescape: tileNEON passes a C block on its
// stack, which an indirect call would move to the heap on every tile.
func neonKernel16(r, k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool) {
	switch r {
	case 1:
		neonKernel1x16(k, a, rs, cs, b, ldb, c, ldc, alpha, beta, accum)
	case 2:
		neonKernel2x16(k, a, rs, cs, b, ldb, c, ldc, alpha, beta, accum)
	case 3:
		neonKernel3x16(k, a, rs, cs, b, ldb, c, ldc, alpha, beta, accum)
	case 4:
		neonKernel4x16(k, a, rs, cs, b, ldb, c, ldc, alpha, beta, accum)
	case 5:
		neonKernel5x16(k, a, rs, cs, b, ldb, c, ldc, alpha, beta, accum)
	case 6:
		neonKernel6x16(k, a, rs, cs, b, ldb, c, ldc, alpha, beta, accum)
	default:
		panic("blas: NEON kernel for an impossible row count")
	}
}

//go:noescape
func neonKernel1x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)

//go:noescape
func neonKernel2x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)

//go:noescape
func neonKernel3x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)

//go:noescape
func neonKernel4x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)

//go:noescape
func neonKernel5x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)

//go:noescape
func neonKernel6x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)

//go:noescape
func neonKernel1x64(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)

//go:noescape
func neonKernel2x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)

//go:noescape
func neonKernel3x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)
