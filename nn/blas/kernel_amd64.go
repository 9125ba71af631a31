//go:build !purego

package blas

import "golang.org/x/sys/cpu"

// hasAVX512 reports whether the CPU and OS support the AVX-512 micro-kernel.
var hasAVX512 = cpu.X86.HasAVX512F

// kernel12x32 computes one 12 x 32 tile of C; see kernel_amd64.s. It reads
// a[i*rs + p*cs] for i < 12, p < k, and b[p*ldb + j] for the columns set in
// mask; the caller guarantees those are in bounds.
//
//go:noescape
func kernel12x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)
