package validate

import (
	"math"
	"math/big"
	"testing"

	"gonum.org/v1/gonum/mathext"
)

// TestBinomialExactEnumeration compares with exact rational sums
// sum_{j>=k} C(n,j) / 2^n for every k and n <= 60.
func TestBinomialExactEnumeration(t *testing.T) {
	for n := 0; n <= 60; n++ {
		den := new(big.Int).Lsh(big.NewInt(1), uint(n))
		for k := -1; k <= n+1; k++ {
			num := new(big.Int)
			for j := max(k, 0); j <= n; j++ {
				num.Add(num, new(big.Int).Binomial(int64(n), int64(j)))
			}
			want, _ := new(big.Rat).SetFrac(num, den).Float64()
			got, lp := BinomialHalfSurvival(k, n)
			if math.Abs(got-want) > 1e-13*math.Max(want, 1e-300) && math.Abs(got-want) > 1e-15 {
				t.Fatalf("P(X>=%d | n=%d) = %.17g, want %.17g", k, n, got, want)
			}
			if want > 0 && math.Abs(lp-math.Log(want)) > 1e-12*math.Max(1, math.Abs(lp)) {
				t.Fatalf("log P(X>=%d | n=%d) = %g, want %g", k, n, lp, math.Log(want))
			}
		}
	}
}

// TestBinomialLargeN checks n = 1e6 against exact values (50-digit sums of
// exact binomial coefficients, computed once with Python's integers), the
// regularised incomplete beta function I_{1/2}(k, n-k+1) to its own
// accuracy, and the extreme k = n, whose probability 2^-n underflows but
// whose log is exact.
func TestBinomialLargeN(t *testing.T) {
	const n = 1000000
	exact := []struct {
		k int
		p float64
	}{
		{500000, 5.003989421806658750445436227984564972989e-01},
		{499000, 9.77303832045327891542e-01},
		{500500, 1.58897345681652757410e-01},
		{501000, 2.28041499326910417078e-02},
		{501500, 1.35432765302987844110e-03},
		{502500, 2.88127081887030186299e-07},
		{505000, 7.69077752195367557217e-24},
	}
	for _, c := range exact {
		got, lp := BinomialHalfSurvival(c.k, n)
		if math.Abs(got-c.p) > 1e-12*c.p {
			t.Errorf("k=%d: %.16g, exact %.16g (rel %.1e)", c.k, got, c.p, math.Abs(got-c.p)/c.p)
		}
		if math.Abs(lp-math.Log(c.p)) > 1e-12*math.Max(1, math.Abs(lp)) {
			t.Errorf("k=%d: log p %.16g, exact %.16g", c.k, lp, math.Log(c.p))
		}
		if ib := mathext.RegIncBeta(float64(c.k), float64(n-c.k+1), 0.5); math.Abs(got-ib) > 1e-8*ib {
			t.Errorf("k=%d: %.15g, incomplete beta %.15g", c.k, got, ib)
		}
	}
	p, lp := BinomialHalfSurvival(n, n)
	if p != 0 || math.Abs(lp-(-n*math.Ln2)) > 1e-6 {
		t.Errorf("P(X = n) = %g, log %g, want 0 and %g", p, lp, -n*math.Ln2)
	}
}
