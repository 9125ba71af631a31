package blas

import (
	"math"
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
	if len(impls) == 0 {
		t.Skip("no AVX kernels on this machine")
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
