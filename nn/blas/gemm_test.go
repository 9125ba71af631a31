package blas

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

var oddSizes = []int{1, 2, 3, 7, 17, 33, 65, 129}

var alphaBetas = [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {2.5, -1}, {0.75, 0.25}}

// implementations returns the Gemms under test: pure Go serial and
// parallel, the AVX-512, AVX2 and NEON kernels serial and parallel when the
// CPU has them, and OpenBLAS when present. With -short (the emulated arm64
// run of .ci/arm64, where each configuration costs seconds) it keeps one
// pure-Go configuration and the kernels serial and with three threads.
func implementations(t *testing.T) []Gemm {
	if testing.Short() {
		impls := []Gemm{NewGo(2)}
		impls = append(impls, goTileImpls(2)...)
		impls = append(impls, avx512Impls(t, 1, 3)...)
		impls = append(impls, avx2Impls(t, 1, 3)...)
		impls = append(impls, neonImpls(t, 1, 3)...)
		if o, err := LoadOpenBLAS(2); err == nil {
			impls = append(impls, o)
		} else if requireEnv() {
			t.Fatalf("HEPFLOW_REQUIRE_OPENBLAS=1 but: %v", err)
		}
		return impls
	}
	impls := []Gemm{NewGo(1), NewGo(2), NewGo(3)}
	impls = append(impls, goTileImpls(1, 3)...)
	impls = append(impls, avx512Impls(t, 1, 2, 3)...)
	impls = append(impls, avx2Impls(t, 1, 2, 3)...)
	impls = append(impls, neonImpls(t, 1, 2, 3)...)
	if o, err := LoadOpenBLAS(2); err == nil {
		impls = append(impls, o)
	} else if requireEnv() {
		t.Fatalf("HEPFLOW_REQUIRE_OPENBLAS=1 but: %v", err)
	}
	return impls
}

// goTileImpls returns Go Gemms whose tiles go to the portable kernel of
// gokernel.go where NewGo's go to gonum (amd64), so that every backend test
// covers the kernel's wiring on every architecture.
func goTileImpls(threads ...int) []Gemm {
	if !gonumTiles {
		return nil
	}
	var gs []Gemm
	for _, th := range threads {
		g := NewGo(th)
		g.gonum = false
		gs = append(gs, g)
	}
	return gs
}

// checkAllShapes runs every transpose combination over the cross product of
// odd sizes, with strides and alpha/beta varying from case to case.
func checkAllShapes(t *testing.T, impl Gemm) {
	rng := rand.New(rand.NewPCG(1, 2))
	worst, cases := 0.0, 0
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range oddSizes {
				for _, n := range oddSizes {
					for _, k := range oddSizes {
						ab := alphaBetas[cases%len(alphaBetas)]
						g := newCase(rng, tA, tB, m, n, k, ab[0], ab[1], cases%3)
						worst = max(worst, g.run(t, impl))
						cases++
					}
				}
			}
		}
	}
	t.Logf("%s: %d cases, worst error/scale %.3g", impl.Name(), cases, worst)
}

func TestGoAllShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: gonum's portable loops are slow under emulation; TestLargeShapes and the other tests still run them")
	}
	for _, th := range []int{1, 2} {
		checkAllShapes(t, NewGo(th))
	}
}

func TestAVX512AllShapes(t *testing.T) {
	for _, g := range avx512Impls(t, 1, 2) {
		checkAllShapes(t, g)
	}
}

// TestAVX512EveryRowCount reaches each of the 12 row-block kernels, with
// full and partial column blocks, every transpose and beta zero or not.
func TestAVX512EveryRowCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for _, g := range avx512Impls(t, 1) {
		cases := 0
		for m := 1; m <= 2*avxMR+1; m++ {
			for _, n := range []int{5, 32, 45} {
				for _, k := range []int{1, 13} {
					ab := alphaBetas[cases%len(alphaBetas)]
					c := newCase(rng, cases%2 == 0, cases%3 == 0, m, n, k, ab[0], ab[1], cases%2)
					c.run(t, g)
					cases++
				}
			}
		}
	}
}

func TestAVX2AllShapes(t *testing.T) {
	for _, g := range avx2Impls(t, 1, 2) {
		checkAllShapes(t, g)
	}
}

// TestAVX2EveryRowCount reaches each of the 6 row-block kernels of 16 and
// of 8 columns and the three wide ones, with full and partial column blocks
// (the masked epilogues and the wide kernels' masked loops), every
// transpose and beta zero or not.
func TestAVX2EveryRowCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	for _, g := range avx2Impls(t, 1) {
		cases := 0
		for m := 1; m <= 2*avx2MR+1; m++ {
			for _, n := range []int{5, 16, 24, 32, 45, 64, 70} {
				for _, k := range []int{1, 13} {
					for _, ab := range [][2]float32{{1, 0}, alphaBetas[1+cases%(len(alphaBetas)-1)]} {
						c := newCase(rng, cases%2 == 0, cases%3 == 0, m, n, k, ab[0], ab[1], cases%2)
						c.run(t, g)
						cases++
					}
				}
			}
		}
	}
}

func TestNEONAllShapes(t *testing.T) {
	for _, g := range neonImpls(t, 1, 2) {
		checkAllShapes(t, g)
	}
}

// TestNEONEveryRowCount reaches each of the 6 row-block kernels of 16
// columns and the three wide ones, with whole and partial column blocks
// (the partial ones through the block on the stack, and columns left after
// the wide blocks), every transpose and beta zero or not.
func TestNEONEveryRowCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	for _, g := range neonImpls(t, 1) {
		cases := 0
		for m := 1; m <= 2*neonMR+1; m++ {
			for _, n := range []int{5, 16, 24, 32, 45, 64, 70, 100} {
				for _, k := range []int{1, 13} {
					for _, ab := range [][2]float32{{1, 0}, alphaBetas[1+cases%(len(alphaBetas)-1)]} {
						c := newCase(rng, cases%2 == 0, cases%3 == 0, m, n, k, ab[0], ab[1], cases%2)
						c.run(t, g)
						cases++
					}
				}
			}
		}
	}
}

// neonImpls returns NEON Gemms with the given thread counts, or none (with
// a log line) off arm64.
func neonImpls(t *testing.T, threads ...int) []Gemm {
	t.Helper()
	var out []Gemm
	for _, th := range threads {
		g, err := NewNEON(th)
		if err != nil {
			t.Logf("NEON path not tested: %v", err)
			return nil
		}
		out = append(out, g)
	}
	return out
}

// avx2Impls returns AVX2 Gemms with the given thread counts, or none (with
// a log line) on a CPU without AVX2 and FMA.
func avx2Impls(t *testing.T, threads ...int) []Gemm {
	t.Helper()
	var out []Gemm
	for _, th := range threads {
		g, err := NewAVX2(th)
		if err != nil {
			t.Logf("AVX2 path not tested: %v", err)
			return nil
		}
		out = append(out, g)
	}
	return out
}

// avx512Impls returns AVX-512 Gemms with the given thread counts, or none
// (with a log line) on a CPU without AVX-512.
func avx512Impls(t *testing.T, threads ...int) []Gemm {
	t.Helper()
	var out []Gemm
	for _, th := range threads {
		g, err := NewAVX512(th)
		if err != nil {
			t.Logf("AVX-512 path not tested: %v", err)
			return nil
		}
		out = append(out, g)
	}
	return out
}

func TestOpenBLASAllShapes(t *testing.T) {
	checkAllShapes(t, requireOpenBLAS(t))
}

// TestLargeShapes covers what the odd sizes do not: several k slices
// (k > kcMax), several column blocks (n > ncMax), the parallel tiling, and
// the MAF benchmark shapes including the transposed backward products.
func TestLargeShapes(t *testing.T) {
	shapes := []struct {
		tA, tB  bool
		m, n, k int
	}{
		{false, false, 512, 128, 28},
		{false, true, 512, 28, 128},  // dX = dY * W^T
		{true, false, 128, 128, 512}, // dW = X^T * dY
		{false, false, 300, 257, 600},
		{true, true, 70, 1100, 530},
		{false, true, 1, 1000, 700},
		{true, false, 1000, 1, 300},
		{false, false, 5, 3, 2000},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, impl := range implementations(t) {
		for i, s := range shapes {
			ab := alphaBetas[i%len(alphaBetas)]
			g := newCase(rng, s.tA, s.tB, s.m, s.n, s.k, ab[0], ab[1], i%2)
			worst := g.run(t, impl)
			t.Logf("%s %v: worst error/scale %.3g", impl.Name(), g.desc(), worst)
		}
	}
}

// TestBLASConventions: beta == 0 overwrites NaN in C; alpha == 0 and k == 0
// only scale C and do not read A or B; m or n == 0 touches nothing.
func TestBLASConventions(t *testing.T) {
	nan := float32(math.NaN())
	for _, impl := range implementations(t) {
		for _, tA := range []bool{false, true} {
			// beta == 0 with NaN in C.
			rng := rand.New(rand.NewPCG(5, 6))
			g := newCase(rng, tA, !tA, 9, 5, 4, 1.5, 0, 1)
			for i := range g.m {
				for j := range g.n {
					g.c[i*g.ldc+j] = nan
				}
			}
			g.run(t, impl)

			// alpha == 0 with NaN in A and B: C = beta*C exactly.
			a := []float32{nan, nan, nan, nan, nan, nan}
			b := []float32{nan, nan, nan, nan, nan, nan}
			c := []float32{1, 2, 3, 4}
			impl.Sgemm(tA, false, 2, 2, 3, 0, a, 3-boolInt(tA), b, 2, 3, c, 2)
			expectEqual(t, impl.Name()+" alpha=0", c, []float32{3, 6, 9, 12})
			c = []float32{1, nan, 3, 4}
			impl.Sgemm(tA, false, 2, 2, 3, 0, a, 3-boolInt(tA), b, 2, 0, c, 2)
			expectEqual(t, impl.Name()+" alpha=0 beta=0", c, []float32{0, 0, 0, 0})
		}

		// k == 0 with empty A and B.
		c := []float32{1, 2, 3, 4, 5, 6}
		impl.Sgemm(false, false, 2, 3, 0, 1, nil, 1, nil, 3, -2, c, 3)
		expectEqual(t, impl.Name()+" k=0", c, []float32{-2, -4, -6, -8, -10, -12})
		c = []float32{nan, 2, 3, 4, 5, nan}
		impl.Sgemm(true, true, 2, 3, 0, 1, nil, 2, nil, 1, 0, c, 3)
		expectEqual(t, impl.Name()+" k=0 beta=0", c, []float32{0, 0, 0, 0, 0, 0})

		// m == 0 or n == 0: nothing happens, even with nil C.
		impl.Sgemm(false, false, 0, 3, 2, 1, nil, 2, make([]float32, 6), 3, 0, nil, 3)
		impl.Sgemm(false, false, 3, 0, 2, 1, make([]float32, 6), 2, nil, 1, 0, nil, 1)

		// 1x1x1.
		c = []float32{10}
		impl.Sgemm(true, true, 1, 1, 1, 2, []float32{3}, 1, []float32{4}, 1, 0.5, c, 1)
		expectEqual(t, impl.Name()+" 1x1x1", c, []float32{29})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func expectEqual(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

// TestBadArguments: both implementations reject inconsistent arguments
// with a panic instead of reading or writing outside the slices.
func TestBadArguments(t *testing.T) {
	ok := func() (a, b, c []float32) { return make([]float32, 6), make([]float32, 12), make([]float32, 8) }
	cases := []struct {
		name string
		call func(g Gemm)
	}{
		{"negative m", func(g Gemm) { a, b, c := ok(); g.Sgemm(false, false, -1, 4, 3, 1, a, 3, b, 4, 0, c, 4) }},
		{"lda too small", func(g Gemm) { a, b, c := ok(); g.Sgemm(false, false, 2, 4, 3, 1, a, 2, b, 4, 0, c, 4) }},
		{"ldb too small for trans", func(g Gemm) { a, b, c := ok(); g.Sgemm(false, true, 2, 4, 3, 1, a, 3, b, 2, 0, c, 4) }},
		{"ldc too small", func(g Gemm) { a, b, c := ok(); g.Sgemm(false, false, 2, 4, 3, 1, a, 3, b, 4, 0, c, 3) }},
		{"a too short", func(g Gemm) { a, b, c := ok(); g.Sgemm(false, false, 2, 4, 3, 1, a[:5], 3, b, 4, 0, c, 4) }},
		{"b too short", func(g Gemm) { a, b, c := ok(); g.Sgemm(false, false, 2, 4, 3, 1, a, 3, b[:11], 4, 0, c, 4) }},
		{"c too short", func(g Gemm) { a, b, c := ok(); g.Sgemm(false, false, 2, 4, 3, 1, a, 3, b, 4, 0, c[:7], 4) }},
		{"ld zero with empty dims", func(g Gemm) { g.Sgemm(false, false, 0, 0, 0, 1, nil, 0, nil, 1, 0, nil, 1) }},
	}
	for _, impl := range implementations(t) {
		for _, tc := range cases {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s %s: no panic", impl.Name(), tc.name)
					}
				}()
				tc.call(impl)
			}()
		}
		// The same shapes with valid arguments do not panic.
		a, b, c := ok()
		impl.Sgemm(false, false, 2, 4, 3, 1, a, 3, b, 4, 0, c, 4)
	}
}

// TestGoMatchesOpenBLAS compares the two backends directly on a training
// sized problem: same results to 1e-5 of the error scale.
func TestGoMatchesOpenBLAS(t *testing.T) {
	o := requireOpenBLAS(t)
	g := NewGo(2)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		c := newCase(rng, tr[0], tr[1], 256, 96, 200, 1, 0.5, 1)
		cg := append([]float32(nil), c.c...)
		co := append([]float32(nil), c.c...)
		g.Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.a, c.lda, c.b, c.ldb, c.beta, cg, c.ldc)
		o.Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.a, c.lda, c.b, c.ldb, c.beta, co, c.ldc)
		_, scale := refSgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.a, c.lda, c.b, c.ldb, c.beta, c.c, c.ldc)
		worst := 0.0
		for i := range c.m {
			for j := range c.n {
				d := math.Abs(float64(cg[i*c.ldc+j]) - float64(co[i*c.ldc+j]))
				worst = max(worst, d/scale[i*c.n+j])
			}
		}
		if worst > 1e-5 {
			t.Errorf("trans %v: go and openblas differ by %.3g of scale", tr, worst)
		}
		t.Logf("trans %v: go vs openblas worst %.3g of scale", tr, worst)
	}
}

// TestConcurrentCalls: one Go value used from several goroutines at once
// (each call is itself parallel) gives every caller its own correct result.
func TestConcurrentCalls(t *testing.T) {
	impls := append([]Gemm{NewGo(2)}, avx512Impls(t, 2)...)
	impls = append(impls, avx2Impls(t, 2)...)
	impls = append(impls, neonImpls(t, 2)...)
	if o, err := LoadOpenBLAS(2); err == nil {
		impls = append(impls, o)
	}
	for _, impl := range impls {
		var wg sync.WaitGroup
		cases := make([]*gemmCase, 6)
		for i := range cases {
			rng := rand.New(rand.NewPCG(9, uint64(i)))
			cases[i] = newCase(rng, i%2 == 0, i%3 == 0, 100+i, 60+3*i, 90, 1, 0, i%2)
		}
		results := make([][]float32, len(cases))
		for i, g := range cases {
			wg.Go(func() {
				c := append([]float32(nil), g.c...)
				for range 20 {
					impl.Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
				}
				results[i] = c
			})
		}
		wg.Wait()
		for i, g := range cases {
			// Repeating a beta == 0 product is idempotent, so the last
			// result must equal a fresh single call.
			want := append([]float32(nil), g.c...)
			NewGo(1).Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, want, g.ldc)
			for e := range want {
				if d := math.Abs(float64(results[i][e] - want[e])); d > 1e-4 {
					t.Fatalf("%s case %d elem %d: %v vs %v", impl.Name(), i, e, results[i][e], want[e])
				}
			}
		}
	}
}

// TestNoAllocs: after a warm-up call, neither backend allocates per Sgemm,
// so the training step stays allocation-free.
func TestNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	g := newCase(rng, true, false, 128, 128, 512, 1, 0, 0)
	for _, impl := range implementations(t) {
		call := func() {
			impl.Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
		}
		call()
		if n := testing.AllocsPerRun(20, call); n != 0 {
			t.Errorf("%s: %v allocations per Sgemm", impl.Name(), n)
		}
	}
}
