//go:build !purego

package blas

import (
	"golang.org/x/sys/cpu"

	"hepflow/nn/vec"
)

// hasAVX2 reports whether the CPU and OS support the AVX2+FMA micro-kernels
// (kernel_avx2_amd64.s, generated with kernel_amd64.s) and $HEPFLOW_CPU
// (vec.EnvCPU) allows them.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && vec.Allowed(vec.AVX2)

// avx2KernelFunc computes one block of rows x cols of C (both fixed per
// function); see kernel_avx2_amd64.s. It reads a[i*rs + p*cs] for
// i < rows, p < k, and b[p*ldb + j] for the columns j < cols, and writes
// them to C; when mask is not nil (a row of avx2Masks) only the columns
// with mask[j] < 0 are read from C and written, and the wide kernels also
// read only those from B. The caller guarantees the reads and writes are in
// bounds.
type avx2KernelFunc func(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

// avx2Kernels[r] handles blocks of r rows and avx2NR columns, and
// avx2Kernels8[r] blocks of r rows and 8 columns (the last columns of C
// when there are at most 8). They read B in whole blocks even when mask is
// not nil.
var (
	avx2Kernels = [avx2MR + 1]avx2KernelFunc{nil, avx2Kernel1x16, avx2Kernel2x16, avx2Kernel3x16,
		avx2Kernel4x16, avx2Kernel5x16, avx2Kernel6x16}
	avx2Kernels8 = [avx2MR + 1]avx2KernelFunc{nil, avx2Kernel1x8, avx2Kernel2x8, avx2Kernel3x8,
		avx2Kernel4x8, avx2Kernel5x8, avx2Kernel6x8}
)

// avx2WideKernels[r] handles blocks of r <= avx2WideRows rows and
// avx2WideCols[r] columns.
var avx2WideKernels = [avx2WideRows + 1]avx2KernelFunc{nil, avx2Kernel1x64, avx2Kernel2x32, avx2Kernel3x32}

//go:noescape
func avx2Kernel1x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel2x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel3x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel4x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel5x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel6x16(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel1x8(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel2x8(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel3x8(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel4x8(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel5x8(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel6x8(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel1x64(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel2x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

//go:noescape
func avx2Kernel3x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

// transpose8AVX2 writes dst[j*ldd + i] = src[i*lds + j] for i < 8 and
// j < n, n a multiple of 8. See transpose_amd64.s.
//
//go:noescape
func transpose8AVX2(dst, src *float32, lds, ldd, n int)
