package preprocess

import (
	"math"
	"testing"
)

// goldenScaler is one continuous column with round parameters, so that the
// expected values below can be computed by hand (here: with mpmath at 40
// digits from the formulas in doc.go): range [0, 2], mean 0.5, std 2, beta 1e-6.
func goldenScaler(t *testing.T) *Scaler {
	t.Helper()
	s, err := newScaler(1e-6, DequantGuard, []Column{{Name: "x", Kind: KindContinuous, Min: 0, Max: 2, Mean: 0.5, Std: 2}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGoldenValues pins the map to independently computed numbers: the seed's
// recipe inside the range (a clip of +beta instead of +beta/2, a missing 1-beta
// or a wrong standardization fails at x = 0 and x = 2) and the tails outside.
func TestGoldenValues(t *testing.T) {
	s := goldenScaler(t)
	for _, g := range []struct{ x, y, ld float64 }{
		{0.5, -0.7993054776676104, 0.28768040578516982},
		{0, -7.5043286192620472, 13.122362877403954},
		{2, 7.0043286192620472, 13.122362877403954},
		{1.9999, 4.6967438552786473, 8.5072933518872348},
		{2.02, 7.0968718779546671, 0.22314265131360476}, // 1% of the width beyond
		{-1, -8.5964310105318023, 0.004986546435916997}, // half the width below
		{1e6, 1013.8145152282996, -13.814516223300043},  // far: slope 4 per width, then past CapY = 1000 the log cap
	} {
		y, ld := latent1(t, s, g.x, 0)
		if math.Abs(y-g.y) > 1e-12*math.Abs(g.y) || math.Abs(ld-g.ld) > 1e-10 {
			t.Errorf("x = %v: y = %.17g, logdet = %.17g; want %.17g, %.17g", g.x, y, ld, g.y, g.ld)
		}
		back := []float64{0}
		s.ToData64(back, []float64{g.y}, 1)
		if math.Abs(back[0]-g.x) > 1e-9*max(1, math.Abs(g.x)) {
			t.Errorf("inverse of y = %v: %.17g, want %v", g.y, back[0], g.x)
		}
	}
}

// TestTails: the map is continuous with a continuous slope at the range's
// edges, strictly increasing over the whole line, exactly invertible there,
// its log-Jacobian matches finite differences, the slope beyond the range
// never falls below the logit's smallest one inside (4 per width, at the
// centre), and an event just outside lands close to the edge in y.
func TestTails(t *testing.T) {
	s := goldenScaler(t)
	const lo, hi, w = 0.0, 2.0, 2.0
	for _, edge := range []float64{lo, hi} {
		dir := 1.0
		if edge == lo {
			dir = -1
		}
		yIn, ldIn := latent1(t, s, edge, 0)
		for _, eps := range []float64{1e-16, 1e-14} {
			yOut, ldOut := latent1(t, s, edge+dir*eps*w, 0)
			if !(dir*(yOut-yIn) >= 0) || math.Abs(yOut-yIn) > 1e-6 || math.Abs(ldOut-ldIn) > 1e-3 {
				t.Errorf("edge %v, %g beyond: y %v -> %v, logdet %v -> %v: want a continuous, increasing map with a continuous slope", edge, eps, yIn, yOut, ldIn, ldOut)
			}
		}
		// Slope beyond never below 4 raw units per c unit (a width of the
		// range times 1-beta): logdet >= log(4 a/std), std = 2. The rise is
		// at most (kappa log(s e/kappa) + 4 e)/std <= 0.25 + 2e.
		a := (1 - 1e-6) / w
		for _, e := range []float64{1e-3, 1, 100} { // y below CapY
			y, ld := latent1(t, s, edge+dir*e*w, 0)
			if ld < math.Log(4*a/2)-1e-12 || dir*(y-yIn) > (0.25+2*e)*(1+1e-12) {
				t.Errorf("edge %v, %g widths beyond: y %v (edge %v), logdet %v: want slope >= 4/width and a rise <= 0.1 + 4 e raw", edge, e, y, yIn, ld)
			}
		}
		// 1% of the width beyond: within 0.1 (standardized) of the edge.
		if y, _ := latent1(t, s, edge+dir*0.01*w, 0); math.Abs(y-yIn) > 0.1 {
			t.Errorf("edge %v, 1%% beyond: y %v, edge %v", edge, y, yIn)
		}
	}

	prev := math.Inf(-1)
	for k := -60; k <= 60; k++ {
		// x from -1e12 to 1e12 through the range, log-spaced away from it.
		x := 1.0 + math.Copysign(math.Pow(10, math.Abs(float64(k))/5)-1, float64(k))
		y, ld := latent1(t, s, x, 0)
		if !(y > prev) || !finite(y) || !finite(ld) {
			t.Fatalf("x = %g: y = %v, logdet %v after y = %v: want finite and increasing", x, y, ld, prev)
		}
		prev = y
		back := []float64{0}
		s.ToData64(back, []float64{y}, 1)
		if math.Abs(back[0]-x) > 1e-9*max(1, math.Abs(x)) {
			t.Errorf("round trip of %g gives %.17g", x, back[0])
		}
		h := 1e-5 * max(1, math.Abs(x-1))
		if x > lo-h && x < lo+h || x > hi-h && x < hi+h {
			continue
		}
		yp, _ := latent1(t, s, x+h, 0)
		ym, _ := latent1(t, s, x-h, 0)
		fd := (yp - ym) / (2 * h)
		if rel := math.Abs(math.Exp(ld)-fd) / fd; rel > 1e-5 {
			t.Errorf("x = %g: exp(logdet) = %g, finite difference %g (rel %.2g)", x, math.Exp(ld), fd, rel)
		}
	}
}
