package blas

import (
	"runtime"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gonumTiles is whether NewGo's tiles go to gonum's serial Sgemm rather
// than to the portable kernel of gokernel.go: on amd64, where gonum's inner
// loops are SSE assembly. There the kernel, scalar Go, lost end to end
// (standard MAF benchmark, one run each, HEPFLOW_CPU=avx2 --impl go:
// training 10.5k vs 16.3k events/s, log-density 33k vs 43k, sampling 18k
// vs 58k); against gonum's plain Go (-tags noasm, what other architectures
// get) it won training (11.6k vs 6.7-8.4k) and log-density (38-51k vs
// 18-28k) and lost sampling (23-26k vs 29k), whose products are tiny.
const gonumTiles = runtime.GOARCH == "amd64"

// Tiling of the gonum path. Each tile is one call to gonum's serial Sgemm,
// whose inner loops are SSE assembly on amd64: axpy along a row of the tile
// for NN, TN and TT, a dot product along k for NT. gonum splits any call
// spanning four or more 64x64 blocks across fresh goroutines, which
// allocates, so tiles stay within 64x128. Measured single-core speed on the
// MAF shapes (thread CPU time, so other load on the machine does not count):
// the axpy cases run at 20 GFLOP/s with 128-column tiles, 16 with 64 and 12
// with 32, whatever the number of rows (8 to 64) or the k slice (128 to
// 512); the dot case runs at 23 for any tile.
const (
	mcMax = 64
	ncMax = 128
	kcMax = 256
	// The parallel plan cuts rows down to mcMin before it cuts columns,
	// since only short columns cost speed.
	mcMin = 8
	ncMin = 32
)

// gonumPlan picks the gonum path's tile sizes: the largest tiles when
// serial; when parallel, cut rows and then columns until there are at least
// two tiles per thread (or the minimum tile size is reached), so that the
// atomic tile counter can even out the load.
func (g *Go) gonumPlan(m, n, k int) tilePlan {
	p := tilePlan{mc: min(m, mcMax), nc: min(n, ncMax), kc: min(k, kcMax)}
	if g.threads == 1 || m*n*k < parMinWork {
		return p
	}
	want := 2 * g.threads
	for ceilDiv(m, p.mc)*ceilDiv(n, p.nc) < want {
		switch {
		case p.mc > mcMin:
			p.mc = max(mcMin, ceilDiv(p.mc, 2))
		case p.nc > ncMin:
			p.nc = max(ncMin, ceilDiv(p.nc, 2))
		default:
			return p
		}
	}
	return p
}

// tileGonum computes the rows x cols tile of C at (i0, j0) with gonum, one
// k slice at a time; beta applies to the first slice only. Like gonum, it
// skips terms whose op(A) element times alpha is zero, so a NaN or Inf in
// op(B) facing a zero in op(A) does not reach C.
func (j *job) tileGonum(i0, rows, j0, cols int) {
	tA, tB := gblas.NoTrans, gblas.NoTrans
	if j.transA {
		tA = gblas.Trans
	}
	if j.transB {
		tB = gblas.Trans
	}
	c := j.c[i0*j.ldc+j0:]
	beta := j.beta
	for p0 := 0; p0 < j.k; p0 += j.plan.kc {
		kc := min(j.plan.kc, j.k-p0)
		var a, b []float32
		if j.transA {
			a = j.a[p0*j.lda+i0:]
		} else {
			a = j.a[i0*j.lda+p0:]
		}
		if j.transB {
			b = j.b[j0*j.ldb+p0:]
		} else {
			b = j.b[p0*j.ldb+j0:]
		}
		gonum.Implementation{}.Sgemm(tA, tB, rows, cols, kc, j.alpha, a, j.lda, b, j.ldb, beta, c, j.ldc)
		beta = 1
	}
}
