package blas

import (
	"errors"
	"runtime"
)

// Tiling of the NEON path (arm64), the AVX2 path's shape: the micro-kernel
// computes 6 x 16 blocks of C (24 accumulators of 4 lanes, of the 32 vector
// registers) straight from A and B as stored, and tiles of at most
// neonWideRows rows go to kernels neonWideCols[rows] columns wide (16 or 24
// accumulators instead of 4 to 12), for the MAF inverse's short products.
// Only a transposed B is copied, once per call, and the last n%16 columns
// of op(B), into the AVX2 path's strip 16 wide padded with zeros (packTail):
// NEON has no masked loads or stores, so a partial block of C goes through a
// 6 x 16 block on the stack. The k slices are the AVX-512 path's and each
// element gets the same operations in the same order (a fused multiply-add
// per term in k order, times alpha, a fused multiply-add of beta*C), so the
// results are those of the AVX kernels to the last bit, and they depend
// neither on the number of threads nor on how the rows are split into
// calls.
const (
	neonMR = 6  // rows of C per kernel call (at most)
	neonNR = 16 // columns of C per kernel call (at most)
	// Tiles of at most neonWideRows rows (and no span hints) go to the
	// wide kernels.
	neonWideRows = 3
	neonMCMax    = 96
	neonNCMax    = 128
	neonKCMax    = avxKCMax
)

// neonNR must be avx2NR: the two paths share packTail's strip.
var _ = [1]struct{}{}[neonNR-avx2NR]

var neonWideCols = [neonWideRows + 1]int{0, 64, 32, 32}

// ErrNoNEON is returned by NewNEON off arm64 (or with the purego build
// tag), or when $HEPFLOW_CPU (vec.EnvCPU) is generic.
var ErrNoNEON = errors.New("blas: NEON kernels need arm64 (and HEPFLOW_CPU not generic)")

// HasNEON reports whether NewNEON can be used on this machine (with
// HEPFLOW_CPU=generic it cannot).
func HasNEON() bool { return hasNEON }

// NewNEON returns the Go Gemm with its tiles computed by NEON assembly
// micro-kernels (blocks of up to 6 x 16, fused multiply-adds) and the hints
// of SgemmRanged used: the arm64 counterpart of NewAVX2, with the same
// results to the last bit. threads <= 0 means runtime.GOMAXPROCS(0).
func NewNEON(threads int) (*Go, error) {
	if !hasNEON {
		return nil, ErrNoNEON
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	g := NewGo(threads)
	g.neon = true
	return g, nil
}

// tileNEON is tileAVX2 with the NEON kernels: the rows x cols tile of C at
// (i0, c0), one k slice at a time, beta on the first slice only; per block
// of 16 columns k runs only over the rows of op(B) that the B spans leave
// non-zero, and only the row blocks the C spans want are computed.
func (j *job) tileNEON(i0, rows, c0, cols int) {
	rs, cs := j.lda, 1
	if j.transA {
		rs, cs = 1, j.lda
	}
	b, ldb := j.b, j.ldb
	if j.transB {
		b, ldb = j.bt, j.n
	}
	// The block of C of the last columns (fewer than 16), which the
	// kernels always write whole.
	var part [neonMR * neonNR]float32
	beta := j.beta
	for p0 := 0; p0 < j.k; p0 += j.plan.kc {
		kc := min(j.plan.kc, j.k-p0)
		c := c0
		if rows <= neonWideRows && j.bSpan == nil && j.cSpan == nil {
			// Whole wide blocks; the columns left go by 16 below.
			wc := neonWideCols[rows]
			for ; c+wc <= c0+cols; c += wc {
				neonWideKernels[rows](kc, &j.a[i0*rs+p0*cs], rs, cs, &b[p0*ldb+c], ldb, &j.c[i0*j.ldc+c], j.ldc, j.alpha, beta, beta != 0)
			}
		}
		for ; c < c0+cols; c += neonNR {
			w := min(neonNR, c0+cols-c)
			iLo, iHi, pLo, pHi, ok := j.rangedBlock(c, w, i0, rows, p0, kc, beta)
			if !ok {
				continue
			}
			// Skipped terms are exact zeros, so the result is the dense one
			// to the last bit.
			for i := iLo; i < iHi; i += neonMR {
				r := min(neonMR, iHi-i)
				a := &j.a[i*rs+pLo*cs]
				if w == neonNR {
					neonKernel16(r, pHi-pLo, a, rs, cs, &b[pLo*ldb+c], ldb, &j.c[i*j.ldc+c], j.ldc, j.alpha, beta, beta != 0)
					continue
				}
				// The last columns of C (tiles are whole blocks of 16
				// columns, so c is n&^15): B from the padded strip, C
				// through part.
				if beta != 0 {
					for ii := range r {
						copy(part[ii*neonNR:ii*neonNR+w], j.c[(i+ii)*j.ldc+c:])
					}
				}
				neonKernel16(r, pHi-pLo, a, rs, cs, &j.tb[pLo*neonNR], neonNR, &part[0], neonNR, j.alpha, beta, beta != 0)
				for ii := range r {
					copy(j.c[(i+ii)*j.ldc+c:(i+ii)*j.ldc+c+w], part[ii*neonNR:])
				}
			}
		}
		beta = 1
	}
}
