package blas

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// parMinWork is the m*n*k below which Sgemm stays on the calling
// goroutine: waking a helper costs a few microseconds, about what 64k
// multiply-adds take.
const parMinWork = 64 * 1024

// Go is the pure-Go Gemm (no cgo): C is cut into tiles shared among Threads
// goroutines, and each tile, one k slice at a time, is computed by AVX-512,
// AVX2 or NEON assembly kernels (NewAVX512, NewAVX2, NewNEON, see
// avx512.go, avx2.go and neon.go) or, for NewGo, by gonum's serial Sgemm on
// amd64 (SSE loops) and by the portable packed, register-blocked kernel of
// gokernel.go elsewhere (see gonumTiles). All but the gonum tiles use the
// hints of SgemmRanged and, like OpenBLAS, let a NaN or Inf in op(B) facing
// a zero in op(A) reach C; gonum skips such terms. It is safe for concurrent
// use and allocates nothing per call once warmed up.
type Go struct {
	threads int
	avx     bool // tiles go to the AVX-512 kernels (NewAVX512) instead of gokernel.go's
	avx2    bool // tiles go to the AVX2 kernels (NewAVX2)
	neon    bool // tiles go to the NEON kernels (NewNEON)
	gonum   bool // NewGo's tiles go to gonum (gonumTiles), not to gokernel.go
	// jobs hands work to threads-1 helper goroutines; nil when threads == 1.
	// The helpers hold only the channel, so a Go that becomes unreachable is
	// collected and its cleanup closes the channel, ending them.
	jobs chan *job

	mu   sync.Mutex
	free []*job // reusable per-call state, so steady-state calls do not allocate
}

// NewGo returns a pure-Go Gemm that splits large products across threads
// goroutines; threads <= 0 means runtime.GOMAXPROCS(0).
func NewGo(threads int) *Go {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	g := &Go{threads: threads, gonum: gonumTiles}
	if threads > 1 {
		g.jobs = make(chan *job, threads-1)
		for range threads - 1 {
			go helper(g.jobs)
		}
		runtime.AddCleanup(g, func(ch chan *job) { close(ch) }, g.jobs)
	}
	return g
}

// Name reports the implementation: "go", "avx512" for NewAVX512, "avx2"
// for NewAVX2 or "neon" for NewNEON.
func (g *Go) Name() string {
	switch {
	case g.avx:
		return "avx512"
	case g.avx2:
		return "avx2"
	case g.neon:
		return "neon"
	}
	return "go"
}

// Threads is the number of goroutines a large Sgemm is split across.
func (g *Go) Threads() int { return g.threads }

// helper runs tiles of whatever job it is handed until the channel closes.
func helper(jobs <-chan *job) {
	for j := range jobs {
		j.work()
		j.wg.Done()
	}
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C; see Gemm.
func (g *Go) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil, nil)
}

// SgemmRanged is Sgemm that skips the blocks the spans show to be zero or
// unwanted (see Ranged). The gonum tiles compute everything.
func (g *Go) SgemmRanged(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bSpan, cSpan []Span) {
	if (bSpan != nil && len(bSpan) != n) || (cSpan != nil && len(cSpan) != n) {
		panic(fmt.Sprintf("blas: %d B spans and %d C spans for n=%d", len(bSpan), len(cSpan), n))
	}
	if g.usesGonum() {
		bSpan, cSpan = nil, nil
	}
	g.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bSpan, cSpan)
}

func (g *Go) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bSpan, cSpan []Span) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		// Reference BLAS semantics: A and B are not read, so NaNs there
		// do not reach C.
		scaleC(m, n, beta, c, ldc)
		return
	}
	j := g.getJob()
	j.set(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, g.plan(m, n, k))
	j.avx, j.avx2, j.neon, j.gonum, j.bSpan, j.cSpan = g.avx, g.avx2, g.neon, g.usesGonum(), bSpan, cSpan
	if (g.avx || g.avx2 || g.neon) && transB {
		j.packB() // once per call, before the tiles share it
	}
	if (g.avx2 || g.neon) && n%avx2NR != 0 {
		j.packTail()
	}
	if g.jobs != nil {
		// The channel holds threads-1 entries, so these sends only wait
		// while other concurrent calls have filled it; helpers always drain
		// it because a job they are handed late just finds no tiles left.
		for range min(g.threads-1, j.tiles-1) {
			j.wg.Add(1)
			g.jobs <- j
		}
	}
	j.work()
	j.wg.Wait()
	j.release()
	g.putJob(j)
}

// tilePlan is how one Sgemm is cut: C in mc x nc tiles, k in kc slices.
type tilePlan struct{ mc, nc, kc int }

// plan picks tile sizes for the kernel family (planKernel: whole
// micro-blocks, at least two tiles per thread where the product is big
// enough).
func (g *Go) plan(m, n, k int) tilePlan {
	if g.avx {
		return g.planKernel(m, n, k, avxMR, avxNR, avxMCMax, avxNCMax, avxKCMax)
	}
	if g.avx2 {
		return g.planKernel(m, n, k, avx2MR, avx2NR, avx2MCMax, avx2NCMax, avx2KCMax)
	}
	if g.neon {
		return g.planKernel(m, n, k, neonMR, neonNR, neonMCMax, neonNCMax, neonKCMax)
	}
	if g.usesGonum() {
		return g.gonumPlan(m, n, k)
	}
	return g.goPlan(m, n, k)
}

// usesGonum reports whether the tiles go to gonum.
func (g *Go) usesGonum() bool { return g.gonum && !g.avx && !g.avx2 && !g.neon }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func (g *Go) getJob() *job {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := len(g.free); n > 0 {
		j := g.free[n-1]
		g.free = g.free[:n-1]
		return j
	}
	return new(job)
}

func (g *Go) putJob(j *job) {
	g.mu.Lock()
	g.free = append(g.free, j)
	g.mu.Unlock()
}

// job is the state of one Sgemm call shared by the caller and its helpers.
type job struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	plan           tilePlan
	tilesN, tiles  int
	avx, avx2      bool
	neon           bool
	gonum          bool      // the tiles go to gonum (Go.usesGonum)
	bt             []float32 // op(B) stored k x n when an AVX path transposes it
	tb             []float32 // the last n%16 columns of op(B), padded to 16 (AVX2 and NEON paths)
	bSpan, cSpan   []Span    // structure hints of SgemmRanged

	next atomic.Int64 // next tile index to claim
	wg   sync.WaitGroup
}

func (j *job) set(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, p tilePlan) {
	j.transA, j.transB = transA, transB
	j.m, j.n, j.k = m, n, k
	j.alpha, j.beta = alpha, beta
	j.a, j.b, j.c = a, b, c
	j.lda, j.ldb, j.ldc = lda, ldb, ldc
	j.plan = p
	j.tilesN = ceilDiv(n, p.nc)
	j.tiles = ceilDiv(m, p.mc) * j.tilesN
	j.next.Store(0)
}

// release drops the references to the caller's matrices so a pooled job
// does not keep them alive.
func (j *job) release() { j.a, j.b, j.c, j.bSpan, j.cSpan = nil, nil, nil, nil, nil }

// work claims and computes tiles until none are left.
func (j *job) work() {
	p := j.plan
	for {
		t := int(j.next.Add(1) - 1)
		if t >= j.tiles {
			return
		}
		i0 := (t / j.tilesN) * p.mc
		j0 := (t % j.tilesN) * p.nc
		j.tile(i0, min(p.mc, j.m-i0), j0, min(p.nc, j.n-j0))
	}
}

// tile computes the rows x cols tile of C at (i0, j0), one k slice at a
// time so the slices of A and B it reads stay in cache; beta applies to the
// first slice only.
func (j *job) tile(i0, rows, j0, cols int) {
	if j.avx {
		j.tileAVX(i0, rows, j0, cols)
		return
	}
	if j.avx2 {
		j.tileAVX2(i0, rows, j0, cols)
		return
	}
	if j.neon {
		j.tileNEON(i0, rows, j0, cols)
		return
	}
	if j.gonum {
		j.tileGonum(i0, rows, j0, cols)
		return
	}
	j.goTile(i0, rows, j0, cols)
}
