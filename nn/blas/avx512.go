package blas

import (
	"errors"
	"runtime"
)

// Tiling of the AVX-512 path. The micro-kernel computes 12 x 32 blocks of C
// straight from A and B as stored (A is read by broadcasts along either of
// its strides, B by rows), so only a transposed B is copied, once per call.
const (
	avxMR = 12 // rows of C per kernel call (at most)
	avxNR = 32 // columns of C per kernel call (at most)
	// Tiles of at most avxWideRows rows go to kernels 64 columns wide,
	// which have enough independent accumulators to keep the FMA units
	// busy (the MAF inverse's products are 2-5 rows by thousands).
	avxWideRows = 3
	avxMCMax    = 96
	avxNCMax    = 128
	avxKCMax    = 384
)

// ErrNoAVX512 is returned by NewAVX512 on a CPU (or OS) without AVX-512F,
// or when $HEPFLOW_CPU (vec.EnvCPU) caps the level below it.
var ErrNoAVX512 = errors.New("blas: this CPU or OS does not support AVX-512 (or HEPFLOW_CPU rules it out)")

// HasAVX512 reports whether NewAVX512 can be used on this machine (with
// HEPFLOW_CPU=avx2 or generic it cannot, as on a CPU without AVX-512).
func HasAVX512() bool { return hasAVX512 }

// NewAVX512 returns the Go Gemm with its tiles computed by AVX-512 assembly
// micro-kernels (blocks of up to 12 x 32, fused multiply-adds) instead of
// gonum's SSE loops, and the hints of SgemmRanged used. On CPUs with
// full-width AVX-512 units it runs close to twice as fast as OpenBLAS's AVX2
// kernels. threads <= 0 means runtime.GOMAXPROCS(0).
func NewAVX512(threads int) (*Go, error) {
	if !hasAVX512 {
		return nil, ErrNoAVX512
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	g := NewGo(threads)
	g.avx = true
	return g, nil
}

// planKernel is plan for the assembly kernels: tiles are whole mr x nr
// micro-blocks, at most mcMax x ncMax, k in slices of at most kcMax; with
// several threads tiles are halved until there are two per thread.
func (g *Go) planKernel(m, n, k, mr, nr, mcMax, ncMax, kcMax int) tilePlan {
	p := tilePlan{mc: min(roundUp(m, mr), mcMax), nc: min(roundUp(n, nr), ncMax), kc: min(k, kcMax)}
	if g.threads == 1 || m*n*k < parMinWork {
		return p
	}
	want := 2 * g.threads
	for ceilDiv(m, p.mc)*ceilDiv(n, p.nc) < want {
		switch {
		case p.mc > mr:
			p.mc = max(mr, roundUp(ceilDiv(p.mc, 2), mr))
		case p.nc > nr:
			p.nc = max(nr, roundUp(ceilDiv(p.nc, 2), nr))
		default:
			return p
		}
	}
	return p
}

func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// packB stores op(B) = B^T as a k x n row-major matrix in j.bt, so that
// the kernel can load rows of it.
func (j *job) packB() {
	k, n := j.k, j.n
	if cap(j.bt) < k*n {
		j.bt = make([]float32, k*n)
	}
	bt := j.bt[:k*n]
	Transpose(bt, n, j.b, j.ldb, n, k)
}

// tileAVX computes the rows x cols tile of C at (i0, c0) with the AVX-512
// kernels, one k slice at a time; beta applies to the first slice only.
// Per block of 32 columns it runs k only over the rows of op(B) that the
// B spans leave non-zero, and only the row blocks the C spans want.
func (j *job) tileAVX(i0, rows, c0, cols int) {
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
		if rows <= avxWideRows && j.bSpan == nil && j.cSpan == nil {
			for c := c0; c < c0+cols; c += 2 * avxNR {
				w := min(2*avxNR, c0+cols-c)
				mask := uint64(1)<<w - 1 // all ones for w == 64: Go shifts past the width give 0
				wideKernels[rows](kc, &j.a[i0*rs+p0*cs], rs, cs, &b[p0*ldb+c], ldb, &j.c[i0*j.ldc+c], j.ldc, j.alpha, beta, mask, beta != 0)
			}
			beta = 1
			continue
		}
		for c := c0; c < c0+cols; c += avxNR {
			w := min(avxNR, c0+cols-c)
			iLo, iHi, pLo, pHi, ok := j.rangedBlock(c, w, i0, rows, p0, kc, beta)
			if !ok {
				continue
			}
			mask := uint32(uint64(1)<<w - 1)
			bp := &b[pLo*ldb+c]
			// Skipped terms are exact zeros, so the result is the dense one
			// to the last bit.
			for i := iLo; i < iHi; i += avxMR {
				r := min(avxMR, iHi-i)
				kernels[r](pHi-pLo, &j.a[i*rs+pLo*cs], rs, cs, bp, ldb, &j.c[i*j.ldc+c], j.ldc, j.alpha, beta, mask, beta != 0)
			}
		}
		beta = 1
	}
}
