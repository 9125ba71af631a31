package validate

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func TestKolmogorovSurvival(t *testing.T) {
	// Tabulated: Q(1.36) = 0.0495 and Q(1.63) = 0.0099 (the 5% and 1%
	// critical values), Q(1) = 0.2700.
	for _, c := range []struct{ l, q float64 }{{1.36, 0.0495}, {1.63, 0.0099}, {1.0, 0.2700}} {
		if got := KolmogorovSurvival(c.l); math.Abs(got-c.q) > 1e-4 {
			t.Errorf("Q(%g) = %.5f, want %.4f", c.l, got, c.q)
		}
	}
	// Both branches against the defining alternating series summed far out
	// (it converges, slowly, also for small lambda).
	for _, l := range []float64{0.3, 0.5, 0.8, 1.1, 1.18, 1.5, 2.5} {
		var want float64
		for k := 1; k < 2000; k++ {
			want += 2 * math.Pow(-1, float64(k-1)) * math.Exp(-2*float64(k*k)*l*l)
		}
		if got := KolmogorovSurvival(l); math.Abs(got-want) > 1e-12 {
			t.Errorf("Q(%g) = %.15f, series %.15f", l, got, want)
		}
	}
}

// bruteKS is sup |F_A - F_B| evaluated at every data point.
func bruteKS(a, wa, b, wb []float64) float64 {
	ecdf := func(x, w []float64, v float64) float64 {
		var s, t float64
		for i, xi := range x {
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			t += wi
			if xi <= v {
				s += wi
			}
		}
		return s / t
	}
	var d float64
	for _, v := range append(append([]float64{}, a...), b...) {
		d = math.Max(d, math.Abs(ecdf(a, wa, v)-ecdf(b, wb, v)))
	}
	return d
}

func TestKSStatisticMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 100 {
		na, nb := 1+rng.IntN(30), 1+rng.IntN(30)
		a, b := make([]float64, na), make([]float64, nb)
		var wa, wb []float64
		if trial%2 == 1 {
			wa, wb = make([]float64, na), make([]float64, nb)
		}
		for i := range a {
			a[i] = float64(rng.IntN(8)) // ties
			if wa != nil {
				wa[i] = rng.Float64() + 0.1
			}
		}
		for i := range b {
			b[i] = float64(rng.IntN(8))
			if wb != nil {
				wb[i] = rng.Float64() + 0.1
			}
		}
		got := KSTest(a, wa, b, wb).D
		if want := bruteKS(a, wa, b, wb); math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: D = %g, want %g", trial, got, want)
		}
	}
}

// TestKSIntegerWeightsEqualDuplicates: weight 2 equals the event twice in the
// statistic (the effective n differs by design: it counts information).
func TestKSIntegerWeightsEqualDuplicates(t *testing.T) {
	a := []float64{0.1, 0.5, 0.7, 1.2}
	wa := []float64{2, 1, 3, 1}
	dup := []float64{0.1, 0.1, 0.5, 0.7, 0.7, 0.7, 1.2}
	b := []float64{0.2, 0.3, 0.9, 1.0, 1.5}
	if x, y := KSTest(a, wa, b, nil).D, KSTest(dup, nil, b, nil).D; math.Abs(x-y) > 1e-15 {
		t.Errorf("weighted D %g != duplicated D %g", x, y)
	}
	if r := KSTest(a, wa, b, nil); math.Abs(r.NEff-(49.0/15*5)/(49.0/15+5)) > 1e-12 {
		t.Errorf("effective n %g", r.NEff)
	}
}

// TestKSOneSampleCalibrated: one-sample KS p-values of N(0,1) draws are
// uniform (rejection rate at 0.05) and a 1.1-sigma scale is caught.
func TestKSOneSampleCalibrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	norm := distuv.Normal{Mu: 0, Sigma: 1}
	const trials, n = 600, 500
	rej := 0
	x := make([]float64, n)
	for range trials {
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		if KSOneSample(x, norm.CDF).P < 0.05 {
			rej++
		}
	}
	checkRate(t, "one-sample KS", rej, trials, 0.05, 0.02, 0.08)
	y := make([]float64, 20000)
	for i := range y {
		y[i] = 1.1 * rng.NormFloat64()
	}
	if p := KSOneSample(y, norm.CDF).P; p > 1e-6 {
		t.Errorf("scale 1.1 not detected: p %g", p)
	}
}
