package blas

import (
	"errors"
	"runtime"
)

// Tiling of the AVX2 path, the AVX-512 path's with ymm registers: the
// micro-kernel computes 6 x 16 blocks of C (12 accumulators of 8 lanes)
// straight from A and B as stored. Only a transposed B is copied, once per
// call, and the last n%16 columns of op(B), into a strip 16 wide padded with
// zeros, so that the kernels' k loops need no masked loads (on AVX2 they
// cost an extra uop on the FMA ports); 8-column kernels serve that strip
// when it has at most 8 columns. The k slices are the AVX-512 path's, and every element is
// computed with the same operations in the same order, so the two paths
// give the same bits.
const (
	avx2MR = 6  // rows of C per kernel call (at most)
	avx2NR = 16 // columns of C per kernel call (at most)
	// Tiles of at most avx2WideRows rows go to kernels avx2WideCols[rows]
	// columns wide (8 to 12 independent accumulators instead of 2 to 6).
	avx2WideRows = 3
	avx2MCMax    = 96
	avx2NCMax    = 128
	avx2KCMax    = avxKCMax
)

var avx2WideCols = [avx2WideRows + 1]int{0, 64, 32, 32}

// avx2Masks holds the lane masks of partial column blocks: for a block of
// w columns the kernels read the masks of vector v (columns 8v..8v+7) at
// avx2Masks[64-w+8v:], which is -1 (lane on) exactly for 8v+lane < w.
var avx2Masks = func() (m [128]int32) {
	for i := range 64 {
		m[i] = -1
	}
	return m
}()

// ErrNoAVX2 is returned by NewAVX2 on a CPU (or OS) without AVX2 and FMA,
// or when $HEPFLOW_CPU (vec.EnvCPU) is generic.
var ErrNoAVX2 = errors.New("blas: this CPU or OS does not support AVX2 and FMA (or HEPFLOW_CPU rules them out)")

// HasAVX2 reports whether NewAVX2 can be used on this machine (with
// HEPFLOW_CPU=generic it cannot, as on a CPU without AVX2).
func HasAVX2() bool { return hasAVX2 }

// NewAVX2 returns the Go Gemm with its tiles computed by AVX2+FMA assembly
// micro-kernels (blocks of up to 6 x 16) and the hints of SgemmRanged used:
// the AVX-512 path for CPUs without AVX-512 (most laptops, AMD Zen 2 and 3),
// with the same results to the last bit. threads <= 0 means
// runtime.GOMAXPROCS(0).
func NewAVX2(threads int) (*Go, error) {
	if !hasAVX2 {
		return nil, ErrNoAVX2
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	g := NewGo(threads)
	g.avx2 = true
	return g, nil
}

// avx2Mask is the mask argument of the kernels for a block of w of its
// cols columns: nil for a whole block.
func avx2Mask(w, cols int) *int32 {
	if w == cols {
		return nil
	}
	return &avx2Masks[64-w]
}

// tileAVX2 is tileAVX with the AVX2 kernels: the rows x cols tile of C at
// (i0, c0), one k slice at a time, beta on the first slice only; per block
// of 16 columns k runs only over the rows of op(B) that the B spans leave
// non-zero, and only the row blocks the C spans want are computed.
func (j *job) tileAVX2(i0, rows, c0, cols int) {
	rs, cs := j.lda, 1
	if j.transA {
		rs, cs = 1, j.lda
	}
	b, ldb := j.b, j.ldb
	if j.transB {
		b, ldb = j.bt, j.n
	}
	beta := j.beta
	for p0 := 0; p0 < j.k; p0 += j.plan.kc {
		kc := min(j.plan.kc, j.k-p0)
		if rows <= avx2WideRows && j.bSpan == nil && j.cSpan == nil {
			wc := avx2WideCols[rows]
			for c := c0; c < c0+cols; c += wc {
				w := min(wc, c0+cols-c)
				avx2WideKernels[rows](kc, &j.a[i0*rs+p0*cs], rs, cs, &b[p0*ldb+c], ldb, &j.c[i0*j.ldc+c], j.ldc, j.alpha, beta, avx2Mask(w, wc), beta != 0)
			}
			beta = 1
			continue
		}
		for c := c0; c < c0+cols; c += avx2NR {
			w := min(avx2NR, c0+cols-c)
			iLo, iHi, pLo, pHi, ok := j.rangedBlock(c, w, i0, rows, p0, kc, beta)
			if !ok {
				continue
			}
			kernels, mask := &avx2Kernels, (*int32)(nil)
			bp, ldbc := &b[pLo*ldb+c], ldb
			if w < avx2NR {
				// The last columns of C (tiles are whole blocks of 16
				// columns, so c is n&^15): B from the padded strip.
				bp, ldbc, mask = &j.tb[pLo*avx2NR], avx2NR, avx2Mask(w, avx2NR)
				if w <= 8 {
					kernels, mask = &avx2Kernels8, avx2Mask(w, 8)
				}
			}
			// Skipped terms are exact zeros, so the result is the dense one
			// to the last bit.
			for i := iLo; i < iHi; i += avx2MR {
				r := min(avx2MR, iHi-i)
				kernels[r](pHi-pLo, &j.a[i*rs+pLo*cs], rs, cs, bp, ldbc, &j.c[i*j.ldc+c], j.ldc, j.alpha, beta, mask, beta != 0)
			}
		}
		beta = 1
	}
}

// packTail stores the last n%16 columns of op(B) in j.tb, k rows of 16 with
// zeros after the last column, for the kernels that read B in whole
// blocks. It runs after packB, once per call, before the tiles share it.
func (j *job) packTail() {
	n16, k := j.n&^(avx2NR-1), j.k
	w := j.n - n16
	if cap(j.tb) < k*avx2NR {
		j.tb = make([]float32, k*avx2NR)
	}
	tb := j.tb[:k*avx2NR]
	src, ld := j.b, j.ldb
	if j.transB {
		src, ld = j.bt, j.n
	}
	for p := range k {
		row := tb[p*avx2NR : (p+1)*avx2NR]
		copy(row, src[p*ld+n16:p*ld+n16+w])
		clear(row[w:])
	}
}
