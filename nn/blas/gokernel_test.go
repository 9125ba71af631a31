package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// goKernelGemm runs Sgemm with the portable kernel (goTileWith) on the
// threads goroutines the Go backend would use: it stands in for the wiring
// into Go.sgemm, with the same argument checks, the same BLAS special cases
// and the same tile counter. plan, when not nil, replaces goPlan, so that
// tests can cut C in other tiles.
type goKernelGemm struct {
	threads int
	mk      *goMicro
	plan    func(m, n, k int) tilePlan
}

func (g goKernelGemm) Name() string {
	return fmt.Sprintf("gokernel4x%d_%d", g.mk.nr, g.threads)
}

func (g goKernelGemm) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g.SgemmRanged(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil, nil)
}

func (g goKernelGemm) SgemmRanged(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bSpan, cSpan []Span) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	var p tilePlan
	switch {
	case g.plan != nil:
		p = g.plan(m, n, k)
	case g.mk == goDefaultMicro:
		p = (&Go{threads: g.threads}).goPlan(m, n, k)
	default:
		p = (&Go{threads: g.threads}).planKernel(m, n, k, goMR, g.mk.nr, goMCMax, roundUp(128, g.mk.nr), goKCMax)
	}
	j := new(job)
	j.set(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, p)
	j.bSpan, j.cSpan = bSpan, cSpan
	work := func() {
		for {
			t := int(j.next.Add(1) - 1)
			if t >= j.tiles {
				return
			}
			i0 := (t / j.tilesN) * p.mc
			c0 := (t % j.tilesN) * p.nc
			j.goTileWith(g.mk, i0, min(p.mc, m-i0), c0, min(p.nc, n-c0))
		}
	}
	// Helpers as goroutines of their own (the caller works too), so that
	// three threads really share the tiles.
	var wg sync.WaitGroup
	for range g.threads - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}

// goKernelImpls are both micro-kernels (the one of this target and the
// other, so that each is tested on every machine), serial and on three
// goroutines.
func goKernelImpls() []goKernelGemm {
	var out []goKernelGemm
	for _, mk := range []*goMicro{&goMicro4x3, &goMicro4x4} {
		for _, th := range []int{1, 3} {
			out = append(out, goKernelGemm{threads: th, mk: mk})
		}
	}
	return out
}

// tinyTiles cuts C in tiles of one block of nr columns and 4 or 8 rows
// (mixed by shape), the most different tiling from goPlan's.
func tinyTiles(nr int) func(m, n, k int) tilePlan {
	return func(m, n, k int) tilePlan {
		return tilePlan{mc: goMR * (1 + (m+n)%2), nc: nr, kc: min(k, goKCMax)}
	}
}

func TestGoKernelAllShapes(t *testing.T) {
	for _, g := range goKernelImpls() {
		checkAllShapes(t, g)
	}
}

// goLargeShapes go past one k slice (k > goKCMax, up to the MAF's batch of
// 4096 as dW's k), one tile (n > goNCMax, m > goMCMax) and the MAF shapes.
var goLargeShapes = []struct {
	tA, tB  bool
	m, n, k int
}{
	{false, false, 512, 128, 28},
	{false, true, 512, 28, 128},
	{true, false, 128, 56, 4096},
	{false, false, 300, 257, 600},
	{true, true, 70, 1100, 530},
	{false, true, 1, 1000, 700},
	{true, false, 1000, 1, 300},
	{false, false, 5, 3, 2000},
	{true, false, 129, 131, 257},
}

// TestGoKernelLargeShapes checks the large shapes against the float64
// reference, every alpha/beta including beta = 0 with NaN in C, which must
// not reach the result.
func TestGoKernelLargeShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(50, 51))
	for _, g := range goKernelImpls() {
		for i, s := range goLargeShapes {
			for _, ab := range [][2]float32{{1, 0}, alphaBetas[1+i%(len(alphaBetas)-1)]} {
				c := newCase(rng, s.tA, s.tB, s.m, s.n, s.k, ab[0], ab[1], i%2)
				if c.beta == 0 {
					fillC(c, float32(math.NaN()))
				}
				worst := c.run(t, g)
				t.Logf("%s %v: worst error/scale %.3g", g.Name(), c.desc(), worst)
			}
		}
	}
}

// fillC sets every entry of C (not its padding) to v.
func fillC(c *gemmCase, v float32) {
	for i := range c.m {
		for j := range c.n {
			c.c[i*c.ldc+j] = v
		}
	}
}

// TestGoKernelSameBitsAnyTiling: the kernel's result does not depend on
// the tiling or the number of goroutines: one thread with goPlan's tiles,
// three threads with goPlan's parallel tiles and three threads with tiles
// of a single block give the same bits, dense and ranged, for every
// transpose, odd shapes, several k slices, and beta = 0 over NaN.
func TestGoKernelSameBitsAnyTiling(t *testing.T) {
	rng := rand.New(rand.NewPCG(52, 53))
	shapes := [][3]int{{1, 1, 1}, {3, 200, 7}, {5, 70, 45}, {13, 33, 500}, {37, 129, 65}, {512, 128, 28}, {512, 28, 128}, {128, 56, 512}, {70, 301, 530}}
	for _, mk := range []*goMicro{&goMicro4x3, &goMicro4x4} {
		impls := []goKernelGemm{
			{threads: 1, mk: mk},
			{threads: 3, mk: mk},
			{threads: 3, mk: mk, plan: tinyTiles(mk.nr)},
		}
		cases := 0
		for _, sz := range shapes {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				m, n, k := sz[0], sz[1], sz[2]
				ab := alphaBetas[cases%len(alphaBetas)]
				g := newCase(rng, tr[0], tr[1], m, n, k, ab[0], ab[1], cases%2)
				if g.beta == 0 {
					fillC(g, float32(math.NaN()))
				}
				bSpan := randomSpans(rng, n, k)
				zb := *g
				zb.b = append([]float32(nil), g.b...)
				zb.zeroOutside(bSpan)
				var want, wantRanged []float32
				for _, impl := range impls {
					got := append([]float32(nil), g.c...)
					impl.Sgemm(g.transA, g.transB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc)
					// Ranged, with only the B hints so that every entry is
					// wanted.
					ranged := append([]float32(nil), g.c...)
					impl.SgemmRanged(zb.transA, zb.transB, m, n, k, zb.alpha, zb.a, zb.lda, zb.b, zb.ldb, zb.beta, ranged, zb.ldc, bSpan, nil)
					if want == nil {
						want, wantRanged = got, ranged
						continue
					}
					what := fmt.Sprintf("%s (plan %v) vs 1 thread %v", impl.Name(), impl.plan != nil, g.desc())
					sameBits(t, what, got, want, m, n, g.ldc)
					sameBits(t, what+" ranged", ranged, wantRanged, m, n, g.ldc)
				}
				cases++
			}
		}
	}
}

// TestGoKernelRanged: with op(B) zero outside random spans, SgemmRanged
// gives the kernel's dense product on the wanted entries (skipped terms are
// exact zeros; == so that the sign of a zero may differ), matches the
// float64 reference there, and leaves C's padding alone.
func TestGoKernelRanged(t *testing.T) {
	rng := rand.New(rand.NewPCG(54, 55))
	cases := 0
	for _, impl := range goKernelImpls() {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, sz := range [][3]int{{37, 70, 45}, {128, 128, 128}, {13, 33, 500}, {5, 3, 2}, {64, 130, 300}} {
					m, n, k := sz[0], sz[1], sz[2]
					ab := alphaBetas[cases%len(alphaBetas)]
					g := newCase(rng, tA, tB, m, n, k, ab[0], ab[1], 1)
					bSpan, cSpan := randomSpans(rng, n, k), randomSpans(rng, n, m)
					g.zeroOutside(bSpan)
					dense := append([]float32(nil), g.c...)
					impl.Sgemm(tA, tB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, dense, g.ldc)
					got := append([]float32(nil), g.c...)
					impl.SgemmRanged(tA, tB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc, bSpan, cSpan)
					want, scale := refSgemm(tA, tB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
					tol := tolerance(k)
					for j := range n {
						for i := int(cSpan[j].Lo); i < int(cSpan[j].Hi); i++ {
							e := i*g.ldc + j
							if got[e] != dense[e] {
								t.Fatalf("%s %v: C(%d,%d) = %v, dense product %v", impl.Name(), g.desc(), i, j, got[e], dense[e])
							}
							if d := math.Abs(float64(got[e]) - want[i*n+j]); !(d <= tol*scale[i*n+j]+1e-30) {
								t.Fatalf("%s %v: C(%d,%d) = %v, want %v", impl.Name(), g.desc(), i, j, got[e], want[i*n+j])
							}
						}
					}
					for i := range m {
						if got[i*g.ldc+n] != padMark {
							t.Fatalf("%s %v: C padding of row %d changed", impl.Name(), g.desc(), i)
						}
					}
					cases++
				}
			}
		}
	}
}

// TestGoKernelBLASConventions reuses the BLAS conventions of the other
// backends on the kernel's Gemm (beta == 0 over NaN in C through the
// kernel's epilogue; the special cases through the same code as Go.sgemm).
func TestGoKernelBLASConventions(t *testing.T) {
	nan := float32(math.NaN())
	for _, impl := range goKernelImpls() {
		for _, tA := range []bool{false, true} {
			rng := rand.New(rand.NewPCG(5, 6))
			g := newCase(rng, tA, !tA, 9, 5, 4, 1.5, 0, 1)
			fillC(g, nan)
			g.run(t, impl)
		}
		c := []float32{10}
		impl.Sgemm(true, true, 1, 1, 1, 2, []float32{3}, 1, []float32{4}, 1, 0.5, c, 1)
		expectEqual(t, impl.Name()+" 1x1x1", c, []float32{29})
		// A whole block of op(B) known to be zero (columns 0-3 have empty
		// spans, a block for both kernels) under beta = 0 clears NaN in C.
		c = make([]float32, 16)
		for i := range c {
			c[i] = nan
		}
		e, full := Span{Lo: 1, Hi: 0}, Span{Lo: 0, Hi: 1}
		impl.SgemmRanged(false, false, 2, 8, 1, 1, []float32{2, 3}, 1, []float32{0, 0, 0, 0, 1, 2, 3, 4}, 8, 0, c, 8, []Span{e, e, e, e, full, full, full, full}, nil)
		expectEqual(t, impl.Name()+" empty spans, beta 0", c, []float32{0, 0, 0, 0, 2, 4, 6, 8, 0, 0, 0, 0, 3, 6, 9, 12})
	}
}

// TestGoKernelShortOperands: the unsafe loads of the micro-kernels are
// guarded by a length check.
func TestGoKernelShortOperands(t *testing.T) {
	var acc [goMR * goNRWide]float32
	for _, mk := range []*goMicro{&goMicro4x3, &goMicro4x4} {
		for _, sz := range [][2]int{{4*3 - 1, 3 * mk.nr}, {4 * 3, 3*mk.nr - 1}, {0, 0}} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("4x%d: kc=3 with %d and %d packed values did not panic", mk.nr, sz[0], sz[1])
					}
				}()
				kc := 3
				if sz[0] == 0 {
					kc = 0
				}
				mk.kern(kc, make([]float32, sz[0]), make([]float32, sz[1]), &acc)
			}()
		}
	}
}

// TestGoKernelNoAllocs: after a warm-up call the kernel's tiles allocate
// nothing (the packing buffers come from the free list).
func TestGoKernelNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	g := newCase(rng, true, false, 128, 128, 512, 1, 0, 0)
	p := (&Go{threads: 1}).goPlan(g.m, g.n, g.k)
	j := new(job)
	call := func() {
		j.set(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc, p)
		for t := range j.tiles {
			i0, c0 := (t/j.tilesN)*p.mc, (t%j.tilesN)*p.nc
			j.goTile(i0, min(p.mc, g.m-i0), c0, min(p.nc, g.n-c0))
		}
	}
	call()
	if n := testing.AllocsPerRun(20, call); n != 0 {
		t.Errorf("%v allocations per product", n)
	}
}

// madeMasks are the masks of the standard MAF's MADE (D = 28 inputs, hidden
// [128, 128], 2x28 outputs), built like flow.MADEMasks (which this package
// cannot import): inputs of degree 1..D, hidden units of degree cycling
// 1..D-1 and sorted, outputs of degree j%D+1; hidden layers connect
// deg_out >= deg_in, the output layer deg_out > deg_in. Masks are In x Out.
func madeMasks() (masks [][]bool, sizes []int) {
	const d, h = 28, 128
	deg := [][]int{make([]int, d), make([]int, h), make([]int, h), make([]int, 2*d)}
	for i := range d {
		deg[0][i] = i + 1
	}
	for l := 1; l <= 2; l++ {
		for k := range h {
			deg[l][k] = k%(d-1) + 1
		}
		// k%(d-1)+1 sorted: the degrees in runs, lowest first.
		slices.Sort(deg[l])
	}
	for j := range 2 * d {
		deg[3][j] = j%d + 1
	}
	for l := range 3 {
		in, out := deg[l], deg[l+1]
		m := make([]bool, len(in)*len(out))
		for i, di := range in {
			for j, dj := range out {
				m[i*len(out)+j] = dj > di || (l < 2 && dj == di)
			}
		}
		masks = append(masks, m)
		sizes = append(sizes, len(in))
	}
	return masks, append(sizes, 2*d)
}

// madeSpans returns, for layer l of the MADE, the rows of W set in each
// column (colSpan) and the columns set in each row (rowSpan), as nn.Dense
// computes them.
func madeSpans(l int) (colSpan, rowSpan []Span) {
	masks, sizes := madeMasks()
	in, out := sizes[l], sizes[l+1]
	colSpan, rowSpan = make([]Span, out), make([]Span, in)
	for j := range colSpan {
		colSpan[j] = Span{Lo: int32(in), Hi: 0}
	}
	for i := range rowSpan {
		rowSpan[i] = Span{Lo: int32(out), Hi: 0}
	}
	for i := range in {
		for j := range out {
			if !masks[l][i*out+j] {
				continue
			}
			colSpan[j].Lo, colSpan[j].Hi = min(colSpan[j].Lo, int32(i)), max(colSpan[j].Hi, int32(i+1))
			rowSpan[i].Lo, rowSpan[i].Hi = min(rowSpan[i].Lo, int32(j)), max(rowSpan[i].Hi, int32(j+1))
		}
	}
	return colSpan, rowSpan
}

// mafSpans are the hints nn.Dense passes for shape i of mafShapes (forward,
// dX and dW of layers 1-3, in that order): Y = X W skips by W's column
// spans, dX = dY W^T by its row spans, dW = X^T dY wants only the column
// spans of each column.
func mafSpans(i int) (bSpan, cSpan []Span) {
	colSpan, rowSpan := madeSpans(i % 3)
	switch i / 3 {
	case 0:
		return colSpan, nil
	case 1:
		return rowSpan, nil
	}
	return nil, colSpan
}

// TestGoKernelMADESpans: on the MAF's own masks (weights zero outside them,
// only the wanted gradient entries checked) the ranged product is the dense
// one, for every MAF shape.
func TestGoKernelMADESpans(t *testing.T) {
	rng := rand.New(rand.NewPCG(56, 57))
	impl := goKernelGemm{threads: 2, mk: goDefaultMicro}
	for i, s := range mafShapes(64) {
		g := newCase(rng, s.tA, s.tB, s.m, s.n, s.k, 1, float32(i%2), 0)
		bSpan, cSpan := mafSpans(i)
		if bSpan != nil {
			g.zeroOutside(bSpan)
		}
		dense := append([]float32(nil), g.c...)
		impl.Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, dense, g.ldc)
		got := append([]float32(nil), g.c...)
		impl.SgemmRanged(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc, bSpan, cSpan)
		wanted := 0
		for j := range g.n {
			lo, hi := 0, g.m
			if cSpan != nil {
				lo, hi = int(cSpan[j].Lo), int(cSpan[j].Hi)
			}
			for r := lo; r < hi; r++ {
				if e := r*g.ldc + j; got[e] != dense[e] {
					t.Fatalf("%s: C(%d,%d) = %v, dense %v", s.name, r, j, got[e], dense[e])
				}
				wanted++
			}
		}
		if wanted == 0 {
			t.Fatalf("%s: no wanted entry", s.name)
		}
	}
}

// BenchmarkGoKernel reports GFLOP/s (2mnk per call, the dense count, so
// skipped blocks show as speed) of one thread on the MAF shapes: "gonum"
// is the current Go backend (gonum's serial Sgemm per tile; it ignores the
// hints), "k4xN" the portable kernel with the 4xN micro-kernel (4x3 is
// amd64's, 4x4 the other targets'), "_made" with the MADE's hints.
//
//	go test -run XXX -bench GoKernel ./nn/blas               # gonum with its SSE loops
//	go test -tags noasm -run XXX -bench GoKernel ./nn/blas   # gonum's pure Go, as on arm64
func BenchmarkGoKernel(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	gonumTiles := NewGo(1)
	for _, batch := range []int{512, 4096} {
		for i, s := range mafShapes(batch) {
			g := newCase(rng, s.tA, s.tB, s.m, s.n, s.k, 1, 0, 0)
			bSpan, cSpan := mafSpans(i)
			run := func(name string, f func()) {
				b.Run(s.name+"/"+name, func(b *testing.B) {
					for b.Loop() {
						f()
					}
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
			run("gonum", func() {
				gonumTiles.Sgemm(g.transA, g.transB, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
			})
			for _, mk := range []*goMicro{&goMicro4x3, &goMicro4x4} {
				kern := goKernelGemm{threads: 1, mk: mk}
				name := fmt.Sprintf("k4x%d", mk.nr)
				run(name, func() {
					kern.Sgemm(g.transA, g.transB, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
				})
				run(name+"_made", func() {
					kern.SgemmRanged(g.transA, g.transB, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc, bSpan, cSpan)
				})
			}
		}
	}
}

// BenchmarkGoMicroKernel is the micro-kernel alone on operands in L1, for
// k slices of the MAF's lengths: the ceiling of the tiles' speed.
func BenchmarkGoMicroKernel(b *testing.B) {
	for _, mk := range []*goMicro{&goMicro4x3, &goMicro4x4} {
		for _, kc := range []int{28, 56, 128, 256} {
			b.Run(fmt.Sprintf("4x%d/k%d", mk.nr, kc), func(b *testing.B) {
				a, bp := make([]float32, goMR*kc), make([]float32, mk.nr*kc)
				for i := range a {
					a[i] = float32(i%7) * 0.1
				}
				for i := range bp {
					bp[i] = float32(i%5) * 0.1
				}
				var acc [goMR * goNRWide]float32
				for b.Loop() {
					mk.kern(kc, a, bp, &acc)
				}
				b.ReportMetric(2*float64(goMR*mk.nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
