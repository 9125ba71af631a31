//go:build !purego

package blas

import (
	"golang.org/x/sys/cpu"

	"hepflow/nn/vec"
)

// hasAVX512 reports whether the CPU and OS support the AVX-512 micro-kernel
// and $HEPFLOW_CPU (vec.EnvCPU) allows it.
var hasAVX512 = cpu.X86.HasAVX512F && vec.Allowed(vec.AVX512)

// kernelFunc computes one block of rows x 32 of C (rows fixed per
// function); see kernel_amd64.s. It reads a[i*rs + p*cs] for i < rows,
// p < k, and b[p*ldb + j] for the columns set in mask; the caller
// guarantees those are in bounds.
type kernelFunc func(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

// wideKernelFunc is kernelFunc for blocks of rows x 64 (mask bit j for
// column j).
type wideKernelFunc func(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint64, accum bool)

// wideKernels[r] handles blocks of r <= avxWideRows rows and 64 columns.
var wideKernels = [avxWideRows + 1]wideKernelFunc{nil, kernel1x64, kernel2x64, kernel3x64}

// kernels[r] handles blocks of r rows.
var kernels = [avxMR + 1]kernelFunc{nil, kernel1x32, kernel2x32, kernel3x32, kernel4x32, kernel5x32, kernel6x32,
	kernel7x32, kernel8x32, kernel9x32, kernel10x32, kernel11x32, kernel12x32}

//go:noescape
func kernel1x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel2x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel3x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel4x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel5x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel6x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel7x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel8x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel9x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel10x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel11x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

//go:noescape
func kernel12x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

// transpose16 writes dst[p*ldd + i] = src[i*ldsrc + p] for p < k and the
// lanes i < 16 set in mask; idx[i] must be i*ldsrc. See transpose_amd64.s.
//
//go:noescape
func transpose16(dst, src *float32, ldsrc, ldd, k int, idx *[16]int32, mask uint16)

//go:noescape
func kernel1x64(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint64, accum bool)

//go:noescape
func kernel2x64(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint64, accum bool)

//go:noescape
func kernel3x64(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint64, accum bool)
