package validate

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gaussSample draws rows x cols independent N(0,1) values, shifting column
// shiftCol by shift (shiftCol < 0: none).
func gaussSample(rng *rand.Rand, rows, cols, shiftCol int, shift float64) Sample {
	s := Sample{Data: make([]float64, rows*cols), Rows: rows, Cols: cols}
	for i := range s.Data {
		s.Data[i] = rng.NormFloat64()
		if i%cols == shiftCol {
			s.Data[i] += shift
		}
	}
	return s
}

// splitHalves splits a sample's rows at random into two halves.
func splitHalves(rng *rand.Rand, s Sample) (Sample, Sample) {
	p := rng.Perm(s.Rows)
	return s.Subset(p[:s.Rows/2]), s.Subset(p[s.Rows/2:])
}

// checkRate asserts that k rejections out of n tests at level alpha lie in
// [lo, hi] and that the interval is at least 2.5 binomial sigmas wide on
// each side of alpha, so the test is not luck.
func checkRate(t *testing.T, what string, k, n int, alpha, lo, hi float64) {
	t.Helper()
	sd := math.Sqrt(alpha * (1 - alpha) / float64(n))
	if alpha-lo < 2.5*sd || hi-alpha < 2.5*sd {
		t.Fatalf("%s: %d trials too few for the interval [%g, %g] (sd %.4f)", what, n, lo, hi, sd)
	}
	rate := float64(k) / float64(n)
	t.Logf("%s: rejection rate %.4f (%d/%d), binomial sd %.4f", what, rate, k, n, sd)
	if rate < lo || rate > hi {
		t.Errorf("%s: rejection rate %.4f outside [%g, %g]", what, rate, lo, hi)
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed+1)) }
