package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExp64 checks Exp64 against math.Exp over the range its callers use,
// and the clamp and NaN rules.
func TestExp64(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var worst float64
	for range 200000 {
		a := -745 + 1454*rng.Float64() // [-745, 709]
		want := math.Exp(max(a, -700))
		worst = max(worst, math.Abs(Exp64(a)/want-1))
	}
	if worst > 5e-16 {
		t.Errorf("Exp64 off by %g (relative) from math.Exp", worst)
	}
	if v := Exp64(math.Inf(-1)); v != math.Exp(-700) {
		t.Errorf("Exp64(-Inf) = %g, want e^-700", v)
	}
	if v := Exp64(math.NaN()); !math.IsNaN(v) {
		t.Errorf("Exp64(NaN) = %g", v)
	}
}

// TestExpInPlace64Paths: the assembly and the Go loop give the same bits,
// for every length (tails included) and every kind of input.
func TestExpInPlace64Paths(t *testing.T) {
	if !hasAVX512 && !hasNEON {
		t.Skip("no AVX-512 or NEON here (or HEPFLOW_CPU caps it): only the Go path runs")
	}
	top := levels()[len(levels())-1]
	rng := rand.New(rand.NewPCG(2, 2))
	special := []float64{0, -0.0, 1, -1, -700, -700.0000001, -699.9999, 709, math.Inf(-1), math.NaN(), -1e300, 1e-300, math.SmallestNonzeroFloat64}
	for n := 0; n <= 70; n++ {
		x := make([]float64, n)
		for i := range x {
			if rng.IntN(4) == 0 {
				x[i] = special[rng.IntN(len(special))]
			} else {
				x[i] = 60 * rng.NormFloat64()
			}
		}
		a, b := append([]float64(nil), x...), append([]float64(nil), x...)
		atLevel(Generic, func() { ExpInPlace64(a) })
		atLevel(top, func() { ExpInPlace64(b) })
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
				t.Fatalf("n=%d, x[%d] = %g: Go %v (%#x), %v %v (%#x)", n, i, x[i], a[i], math.Float64bits(a[i]), top, b[i], math.Float64bits(b[i]))
			}
			if e := Exp64(x[i]); math.Float64bits(e) != math.Float64bits(a[i]) && !math.IsNaN(e) {
				t.Fatalf("ExpInPlace64 differs from Exp64 at %g", x[i])
			}
		}
	}
}
