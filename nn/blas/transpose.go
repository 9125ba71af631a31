package blas

import "fmt"

// Transpose writes dst[j*ldd+i] = src[i*lds+j] for i < m, j < n: the n x m
// transpose of the m x n matrix in src. With AVX-512 it gathers 16 rows of
// src per row of dst, with AVX2 it transposes 8 x 8 blocks in registers;
// otherwise it copies 16 x 16 blocks, so that each row of dst is written a
// cache line at a time (row strides of a multiple of 4 KiB otherwise keep
// evicting the lines being written).
func Transpose(dst []float32, ldd int, src []float32, lds, m, n int) {
	if m <= 0 || n <= 0 {
		return
	}
	if ldd < m || lds < n || len(dst) < (n-1)*ldd+m || len(src) < (m-1)*lds+n {
		panic(fmt.Sprintf("blas: transpose of %d x %d with lds %d (len %d) into ldd %d (len %d)", m, n, lds, len(src), ldd, len(dst)))
	}
	if hasAVX512 {
		var idx [16]int32
		for i := range idx {
			idx[i] = int32(i * lds)
		}
		for i := 0; i < m; i += 16 {
			w := min(16, m-i)
			transpose16(&dst[i], &src[i*lds], lds, ldd, n, &idx, uint16(uint32(1)<<w-1))
		}
		return
	}
	if hasAVX2 {
		transposeAVX2(dst, ldd, src, lds, m, n)
		return
	}
	transposeGo(dst, ldd, src, lds, m, n)
}

// transposeAVX2 is Transpose by 8 x 8 blocks in registers, the edges of
// fewer than 8 rows or columns by the Go loop; the arguments are checked.
func transposeAVX2(dst []float32, ldd int, src []float32, lds, m, n int) {
	m8, n8 := m&^7, n&^7
	if n8 > 0 {
		for i := 0; i < m8; i += 8 {
			transpose8AVX2(&dst[i], &src[i*lds], lds, ldd, n8)
		}
	}
	if n8 < n && m8 > 0 {
		transposeGo(dst[n8*ldd:], ldd, src[n8:], lds, m8, n-n8)
	}
	if m8 < m {
		transposeGo(dst[m8:], ldd, src[m8*lds:], lds, m-m8, n)
	}
}

func transposeGo(dst []float32, ldd int, src []float32, lds, m, n int) {
	const bs = 16
	for i0 := 0; i0 < m; i0 += bs {
		i1 := min(i0+bs, m)
		for j0 := 0; j0 < n; j0 += bs {
			for j := j0; j < min(j0+bs, n); j++ {
				row := dst[j*ldd+i0 : j*ldd+i1]
				for i := range row {
					row[i] = src[(i0+i)*lds+j]
				}
			}
		}
	}
}
