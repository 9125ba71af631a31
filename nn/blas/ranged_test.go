package blas

import (
	"math/rand/v2"
	"testing"
)

// TestSgemmRanged: with op(B) zero outside random spans, SgemmRanged gives
// the backend's own dense product on the wanted entries bit for bit
// (skipped terms are exact zeros) and matches the float64 reference there, and the helper falls back to Sgemm on
// backends without hints.
func TestSgemmRanged(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	impls := append([]Gemm{NewGo(1), NewGo(2)}, avx512Impls(t, 1, 2)...)
	impls = append(impls, avx2Impls(t, 1, 2)...)
	impls = append(impls, neonImpls(t, 1, 2)...)
	if o, err := LoadOpenBLAS(1); err == nil {
		impls = append(impls, o)
	}
	cases := 0
	for _, impl := range impls {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, sz := range [][3]int{{37, 70, 45}, {128, 128, 128}, {13, 33, 500}, {5, 3, 2}} {
					m, n, k := sz[0], sz[1], sz[2]
					ab := alphaBetas[cases%len(alphaBetas)]
					g := newCase(rng, tA, tB, m, n, k, ab[0], ab[1], cases%2)
					bSpan, cSpan := randomSpans(rng, n, k), randomSpans(rng, n, m)
					// Zero op(B) outside its spans.
					for j := range n {
						for p := range k {
							if p >= int(bSpan[j].Lo) && p < int(bSpan[j].Hi) {
								continue
							}
							if tB {
								g.b[j*g.ldb+p] = 0
							} else {
								g.b[p*g.ldb+j] = 0
							}
						}
					}
					dense := append([]float32(nil), g.c...)
					impl.Sgemm(tA, tB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, dense, g.ldc)
					got := append([]float32(nil), g.c...)
					SgemmRanged(impl, tA, tB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc, bSpan, cSpan)
					for j := range n {
						for i := int(cSpan[j].Lo); i < int(cSpan[j].Hi); i++ {
							e := i*g.ldc + j
							if got[e] != dense[e] {
								t.Fatalf("%s %v: C(%d,%d) = %v, dense product %v", impl.Name(), g.desc(), i, j, got[e], dense[e])
							}
						}
					}
					// Against the float64 reference on the wanted entries.
					want, scale := refSgemm(tA, tB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
					for j := range n {
						for i := int(cSpan[j].Lo); i < int(cSpan[j].Hi); i++ {
							d := float64(got[i*g.ldc+j]) - want[i*n+j]
							if d*d > (tolerance(k)*scale[i*n+j]+1e-30)*(tolerance(k)*scale[i*n+j]+1e-30) {
								t.Fatalf("%s %v: C(%d,%d) = %v, want %v", impl.Name(), g.desc(), i, j, got[i*g.ldc+j], want[i*n+j])
							}
						}
					}
					cases++
				}
			}
		}
	}
}

// randomSpans draws n spans within [0, size): some empty, some full, the
// rest random.
func randomSpans(rng *rand.Rand, n, size int) []Span {
	s := make([]Span, n)
	for j := range s {
		switch rng.IntN(5) {
		case 0:
			s[j] = Span{Lo: int32(size), Hi: 0}
		case 1:
			s[j] = Span{Lo: 0, Hi: int32(size)}
		default:
			a, b := rng.IntN(size+1), rng.IntN(size+1)
			s[j] = Span{Lo: int32(min(a, b)), Hi: int32(max(a, b))}
		}
	}
	return s
}
