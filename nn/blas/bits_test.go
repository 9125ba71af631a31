package blas

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// sameBits fails the test at the first element of C (m x n, stride ldc)
// where got and want differ in any bit.
func sameBits(t *testing.T, what string, got, want []float32, m, n, ldc int) {
	t.Helper()
	for i := range m {
		for j := range n {
			e := i*ldc + j
			if math.Float32bits(got[e]) != math.Float32bits(want[e]) {
				t.Fatalf("%s: C(%d,%d) = %v, want %v bit for bit", what, i, j, got[e], want[e])
			}
		}
	}
}

// TestAVX2MatchesAVX512: the two kernel families compute each element with
// the same operations in the same order, so on a CPU with both they give
// the same bits, dense and ranged, whatever the threads.
func TestAVX2MatchesAVX512(t *testing.T) {
	if !HasAVX512() || !HasAVX2() {
		t.Skip("needs both the AVX-512 and the AVX2 kernels")
	}
	rng := rand.New(rand.NewPCG(40, 41))
	shapes := [][3]int{{1, 1, 1}, {3, 200, 7}, {5, 70, 45}, {13, 33, 500}, {37, 129, 65}, {512, 128, 28}, {512, 28, 128}, {128, 56, 512}, {70, 1100, 530}}
	for _, th := range []int{1, 3} {
		x512, _ := NewAVX512(th)
		x2, _ := NewAVX2(th)
		cases := 0
		for _, sz := range shapes {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				m, n, k := sz[0], sz[1], sz[2]
				ab := alphaBetas[cases%len(alphaBetas)]
				g := newCase(rng, tr[0], tr[1], m, n, k, ab[0], ab[1], cases%2)
				c512 := append([]float32(nil), g.c...)
				c2 := append([]float32(nil), g.c...)
				x512.Sgemm(g.transA, g.transB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c512, g.ldc)
				x2.Sgemm(g.transA, g.transB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c2, g.ldc)
				sameBits(t, "dense", c2, c512, m, n, g.ldc)
				// Ranged, with only the B hints so that every entry is wanted.
				bSpan := randomSpans(rng, n, k)
				g.zeroOutside(bSpan)
				c512 = append(c512[:0], g.c...)
				c2 = append(c2[:0], g.c...)
				x512.SgemmRanged(g.transA, g.transB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c512, g.ldc, bSpan, nil)
				x2.SgemmRanged(g.transA, g.transB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c2, g.ldc, bSpan, nil)
				sameBits(t, "ranged", c2, c512, m, n, g.ldc)
				cases++
			}
		}
	}
}

// TestRowsIndependentOfCall: a row of C gets the same bits whether it is
// computed in one call over all rows or in calls over parts of them of any
// size and offset (the flow's workers each multiply their own rows), with
// one thread or several, dense and ranged, on the kernels' backends.
func TestRowsIndependentOfCall(t *testing.T) {
	impls := append(avx512Impls(t, 1, 3), avx2Impls(t, 1, 3)...)
	impls = append(impls, neonImpls(t, 1, 3)...)
	if len(impls) == 0 {
		t.Skip("no AVX or NEON kernels on this machine")
	}
	rng := rand.New(rand.NewPCG(42, 43))
	for _, impl := range impls {
		r := impl.(Ranged)
		for _, sz := range [][3]int{{200, 128, 28}, {97, 56, 128}, {300, 28, 128}, {64, 70, 45}, {41, 5, 3}} {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
				m, n, k := sz[0], sz[1], sz[2]
				g := newCase(rng, tr[0], tr[1], m, n, k, 1, 0.5, 1)
				var bSpan []Span
				if rng.IntN(2) == 0 {
					bSpan = randomSpans(rng, n, k)
					g.zeroOutside(bSpan)
				}
				whole := append([]float32(nil), g.c...)
				r.SgemmRanged(g.transA, g.transB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, whole, g.ldc, bSpan, nil)
				parts := append([]float32(nil), g.c...)
				for r0 := 0; r0 < m; {
					rows := min(m-r0, 1+rng.IntN(40))
					var a []float32
					if g.transA {
						a = g.a[r0:]
					} else {
						a = g.a[r0*g.lda:]
					}
					r.SgemmRanged(g.transA, g.transB, rows, n, k, g.alpha, a, g.lda, g.b, g.ldb, g.beta, parts[r0*g.ldc:], g.ldc, bSpan, nil)
					r0 += rows
				}
				sameBits(t, impl.Name(), parts, whole, m, n, g.ldc)
			}
		}
	}
}

// TestThreadsAgree: each kernel family gives the same bits with one thread
// as with several (the tiles change with the thread count, the k slices
// and each element's operations do not), dense and ranged, on products
// large enough to be split.
func TestThreadsAgree(t *testing.T) {
	families := []func(int) (*Go, error){NewAVX512, NewAVX2, NewNEON}
	rng := rand.New(rand.NewPCG(44, 45))
	tested := 0
	for _, newGemm := range families {
		one, err := newGemm(1)
		if err != nil {
			continue
		}
		tested++
		for _, th := range []int{2, 3, 5} {
			many, _ := newGemm(th)
			for _, sz := range [][3]int{{512, 128, 28}, {97, 56, 900}, {300, 70, 128}, {3, 1100, 530}, {128, 130, 512}} {
				for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
					m, n, k := sz[0], sz[1], sz[2]
					g := newCase(rng, tr[0], tr[1], m, n, k, 0.75, 0.25, 1)
					var bSpan []Span
					if rng.IntN(2) == 0 {
						bSpan = randomSpans(rng, n, k)
						g.zeroOutside(bSpan)
					}
					c1 := append([]float32(nil), g.c...)
					cn := append([]float32(nil), g.c...)
					one.SgemmRanged(g.transA, g.transB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c1, g.ldc, bSpan, nil)
					many.SgemmRanged(g.transA, g.transB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, cn, g.ldc, bSpan, nil)
					sameBits(t, fmt.Sprintf("%s threads=%d %v", one.Name(), th, g.desc()), cn, c1, m, n, g.ldc)
				}
			}
		}
	}
	if tested == 0 {
		t.Skip("no AVX or NEON kernels on this machine")
	}
}

// zeroOutside zeroes op(B) outside the spans, so that they are true hints.
func (g *gemmCase) zeroOutside(bSpan []Span) {
	for j := range g.n {
		for p := range g.k {
			if p >= int(bSpan[j].Lo) && p < int(bSpan[j].Hi) {
				continue
			}
			if g.transB {
				g.b[j*g.ldb+p] = 0
			} else {
				g.b[p*g.ldb+j] = 0
			}
		}
	}
}

// fma32 is the float32 fused multiply-add x*y + z with one rounding (the
// kernels' FMA instructions): the product of two float32 is exact in
// float64, and big.Float rounds the exact sum once to 24 bits. (The test
// data stays far from float32's subnormals, which big.Float lacks.)
func fma32(x, y, z float32) float32 {
	var p, s big.Float
	p.SetPrec(53).SetFloat64(float64(x) * float64(y))
	s.SetPrec(24).SetMode(big.ToNearestEven).Add(&p, new(big.Float).SetFloat64(float64(z)))
	f, _ := s.Float32()
	return f
}

// kernelModel is what every assembly kernel family computes for C(i, j):
// per k slice of avxKCMax, a fused multiply-add per term in k order from
// +0, times alpha, then beta*C fused in (beta on the first slice, 1 after;
// C not read when beta is 0).
func kernelModel(g *gemmCase, i, j int) float32 {
	opA := func(p int) float32 {
		if g.transA {
			return g.a[p*g.lda+i]
		}
		return g.a[i*g.lda+p]
	}
	opB := func(p int) float32 {
		if g.transB {
			return g.b[j*g.ldb+p]
		}
		return g.b[p*g.ldb+j]
	}
	c, beta := g.c[i*g.ldc+j], g.beta
	for p0 := 0; p0 < g.k; p0 += avxKCMax {
		var acc float32
		for p := p0; p < min(p0+avxKCMax, g.k); p++ {
			acc = fma32(opA(p), opB(p), acc)
		}
		acc *= g.alpha
		if beta != 0 {
			acc = fma32(c, beta, acc)
		}
		c, beta = acc, 1
	}
	return c
}

// TestKernelsMatchModel: each kernel family present (AVX-512, AVX2 on
// amd64; NEON on arm64) gives kernelModel's bits, so the families agree
// with each other across machines, not only on one CPU, and with one
// thread or several. The shapes reach the edge blocks, the wide kernels
// and several k slices.
func TestKernelsMatchModel(t *testing.T) {
	var impls []*Go
	for _, newGemm := range []func(int) (*Go, error){NewAVX512, NewAVX2, NewNEON} {
		for _, th := range []int{1, 3} {
			if g, err := newGemm(th); err == nil {
				impls = append(impls, g)
			}
		}
	}
	if len(impls) == 0 {
		t.Skip("no AVX or NEON kernels on this machine")
	}
	shapes := [][3]int{{1, 70, 13}, {2, 33, 5}, {3, 100, 400}, {7, 17, 3}, {5, 37, 800}, {20, 16, 129}}
	rng := rand.New(rand.NewPCG(46, 47))
	cases := 0
	for _, sz := range shapes {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			ab := alphaBetas[cases%len(alphaBetas)]
			g := newCase(rng, tr[0], tr[1], sz[0], sz[1], sz[2], ab[0], ab[1], cases%2)
			want := make([]float32, g.m*g.n)
			for i := range g.m {
				for j := range g.n {
					want[i*g.n+j] = kernelModel(g, i, j)
				}
			}
			for _, impl := range impls {
				got := append([]float32(nil), g.c...)
				impl.Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc)
				for i := range g.m {
					for j := range g.n {
						if e, w := got[i*g.ldc+j], want[i*g.n+j]; math.Float32bits(e) != math.Float32bits(w) {
							t.Fatalf("%s threads=%d %v: C(%d,%d) = %v, model %v", impl.Name(), impl.Threads(), g.desc(), i, j, e, w)
						}
					}
				}
			}
			cases++
		}
	}
}
