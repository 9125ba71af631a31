//go:build !arm64 || purego

package blas

// hasNEON is false off arm64 (or with the purego tag): NewNEON refuses.
const hasNEON = false

// neonBuilt says this build lacks the NEON kernels (see kernel_arm64.go).
const neonBuilt = false

// neonKernelFunc matches kernel_arm64.go; the tables are empty here, and
// never used because NewNEON refuses to build a Gemm that would use them.
type neonKernelFunc func(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool)

var neonWideKernels [neonWideRows + 1]neonKernelFunc

func neonKernel16(r, k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, accum bool) {
	panic("blas: NEON kernel called on a build without it")
}
