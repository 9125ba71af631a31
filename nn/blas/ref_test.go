package blas

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// refSgemm is the float64 reference: C = alpha*op(A)*op(B) + beta*C, with
// beta == 0 ignoring C. It also returns, per element, the scale the rounding
// error of a float32 computation is proportional to:
// |alpha| * sum_p |op(A)_ip op(B)_pj| + |beta| |C_ij|.
func refSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, scale []float64) {
	want = make([]float64, m*n)
	scale = make([]float64, m*n)
	opA := func(i, p int) float64 {
		if transA {
			return float64(a[p*lda+i])
		}
		return float64(a[i*lda+p])
	}
	opB := func(p, j int) float64 {
		if transB {
			return float64(b[j*ldb+p])
		}
		return float64(b[p*ldb+j])
	}
	for i := range m {
		for j := range n {
			var s, sa float64
			if alpha != 0 {
				for p := range k {
					x := opA(i, p) * opB(p, j)
					s += x
					sa += math.Abs(x)
				}
			}
			v := float64(alpha) * s
			sc := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
				sc += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j], scale[i*n+j] = v, sc
		}
	}
	return want, scale
}

// gemmCase is one randomly filled Sgemm problem. Padding beyond each row
// (ld > row length) holds NaN, so reading it poisons the result, and C's
// padding must come back untouched.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

const padMark = float32(-12345.5)

func newCase(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32, pad int) *gemmCase {
	g := &gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	aRows, aCols := m, k
	if transA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if transB {
		bRows, bCols = n, k
	}
	g.lda, g.ldb, g.ldc = max(1, aCols)+pad, max(1, bCols)+pad, max(1, n)+pad
	g.a = fillPadded(rng, aRows, aCols, g.lda, float32(math.NaN()))
	g.b = fillPadded(rng, bRows, bCols, g.ldb, float32(math.NaN()))
	g.c = fillPadded(rng, m, n, g.ldc, padMark)
	return g
}

// fillPadded makes a rows x cols matrix with row stride ld, values uniform
// in [-1, 1), and mark in the padding.
func fillPadded(rng *rand.Rand, rows, cols, ld int, mark float32) []float32 {
	x := make([]float32, rows*ld)
	for i := range rows {
		for j := range ld {
			if j < cols {
				x[i*ld+j] = float32(2*rng.Float64() - 1)
			} else {
				x[i*ld+j] = mark
			}
		}
	}
	return x
}

// tolerance is the allowed |got-want|/scale: 1e-5 for short sums, growing
// linearly with k like the worst-case float32 accumulation error (k * 2^-24).
func tolerance(k int) float64 { return 1e-5 * (1 + float64(k)/64) }

// run computes the case with impl and checks it against the reference,
// returning the largest error relative to the scale.
func (g *gemmCase) run(t *testing.T, impl Gemm) float64 {
	t.Helper()
	want, scale := refSgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
	c := append([]float32(nil), g.c...)
	impl.Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	tol := tolerance(g.k)
	worst := 0.0
	for i := range g.m {
		for j := range g.ldc {
			got := c[i*g.ldc+j]
			if j >= g.n {
				if got != padMark {
					t.Fatalf("%s %+v: C padding (%d,%d) changed to %v", impl.Name(), g.desc(), i, j, got)
				}
				continue
			}
			w, s := want[i*g.n+j], scale[i*g.n+j]
			d := math.Abs(float64(got) - w)
			if !(d <= tol*s+1e-30) {
				t.Fatalf("%s %v: C(%d,%d) = %v, want %v (err %.3g, allowed %.3g)", impl.Name(), g.desc(), i, j, got, w, d, tol*s)
			}
			if s > 0 {
				worst = max(worst, d/s)
			}
		}
	}
	return worst
}

func (g *gemmCase) desc() []any {
	return []any{"tA", g.transA, "tB", g.transB, "m", g.m, "n", g.n, "k", g.k, "alpha", g.alpha, "beta", g.beta, "ld", g.lda, g.ldb, g.ldc}
}

// requireOpenBLAS loads OpenBLAS or skips; with HEPFLOW_REQUIRE_OPENBLAS=1
// (set by CI after installing it) a missing library fails the test instead.
func requireOpenBLAS(t testing.TB) *OpenBLAS {
	t.Helper()
	o, err := LoadOpenBLAS(2)
	if err != nil {
		if os.Getenv("HEPFLOW_REQUIRE_OPENBLAS") == "1" {
			t.Fatalf("HEPFLOW_REQUIRE_OPENBLAS=1 but: %v", err)
		}
		t.Skipf("OpenBLAS not available: %v", err)
	}
	return o
}
