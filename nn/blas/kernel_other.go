//go:build !amd64 || purego

package blas

// hasAVX512 is false off amd64 (or with the purego tag): NewAVX512 refuses.
const hasAVX512 = false

func kernel12x32(k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mask uint32, accum bool) {
	panic("blas: AVX-512 kernel called on a build without it")
}
