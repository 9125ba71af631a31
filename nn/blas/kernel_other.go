//go:build !amd64 || purego

package blas

// hasAVX512 is false off amd64 (or with the purego tag): NewAVX512 refuses.
const hasAVX512 = false

// kernelFunc matches kernel_amd64.go; kernels is empty here, and never
// indexed because NewAVX512 refuses to build a Gemm that would use it.
type kernelFunc func(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool)

var kernels [avxMR + 1]kernelFunc

type wideKernelFunc func(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint64, accum bool)

var wideKernels [avxWideRows + 1]wideKernelFunc

func transpose16(dst, src *float32, ldsrc, ldd, k int, idx *[16]int32, mask uint16) {
	panic("blas: AVX-512 transpose called on a build without it")
}

// hasAVX2 is false off amd64 (or with the purego tag): NewAVX2 refuses.
const hasAVX2 = false

type avx2KernelFunc func(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask *int32, accum bool)

var avx2Kernels, avx2Kernels8 [avx2MR + 1]avx2KernelFunc

var avx2WideKernels [avx2WideRows + 1]avx2KernelFunc

func transpose8AVX2(dst, src *float32, lds, ldd, n int) {
	panic("blas: AVX2 transpose called on a build without it")
}
