package flow

import (
	"math"
	"math/rand/v2"
	"testing"
)

// splineCase is a block of n coordinates with random raw parameters of the
// given spread (large spreads give narrow bins and steep or flat slopes).
func splineCase(rng *rand.Rand, s RQSpline, n int, spread float64) []float64 {
	theta := make([]float64, s.ParamsPerCoord()*n)
	for i := range theta {
		theta[i] = spread * rng.NormFloat64()
	}
	return theta
}

func to32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// TestSplineProperties is the map table's spline rows: round trip, log-det
// against a float64 central difference, gradients in x and in every raw
// parameter against central differences, monotonicity, continuity at the
// interval's ends, for several bin counts and parameter spreads, inputs
// inside and outside [-B, B].
func TestSplineProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for _, tc := range []struct {
		k      int
		bound  float64
		spread float64
	}{{8, 5, 1}, {8, 5, 3}, {2, 1, 1}, {16, 3, 2}, {4, 5, 0.1}} {
		s, err := NewRQSpline(tc.k, tc.bound)
		if err != nil {
			t.Fatal(err)
		}
		const n = 40
		theta := splineCase(rng, s, n, tc.spread)
		x := make([]float64, n)
		for i := range x {
			x[i] = 1.3 * tc.bound * (2*rng.Float64() - 1) // some outside
		}
		x[0], x[1], x[2] = -tc.bound, tc.bound, math.Nextafter(tc.bound, 0)
		z := make([]float64, n)
		ld := rqsForward(s, s.newKnots(), z, x, theta)
		back := make([]float64, n)
		ldInv := rqsInverse(s, s.newKnots(), back, z, theta)
		var worstRT float64
		for i := range x {
			worstRT = max(worstRT, math.Abs(back[i]-x[i]))
		}
		if worstRT > 1e-9*tc.bound || math.Abs(ld+ldInv) > 1e-7*max(1, math.Abs(ld)) {
			t.Errorf("K=%d B=%g spread %g: round trip off by %g, logdets %v and %v", tc.k, tc.bound, tc.spread, worstRT, ld, ldInv)
		}
		// log-det per coordinate against a central difference.
		const h = 1e-6
		one := func(i int, v float64) (float64, float64) {
			xs := append([]float64(nil), x...)
			xs[i] = v
			zs := make([]float64, n)
			l := rqsForward(s, s.newKnots(), zs, xs, theta)
			return zs[i], l
		}
		for i := range x {
			zp, _ := one(i, x[i]+h)
			zm, _ := one(i, x[i]-h)
			fd := (zp - zm) / (2 * h)
			if !(fd > 0) {
				t.Fatalf("K=%d: not increasing at x = %g (fd %g)", tc.k, x[i], fd)
			}
			xs := []float64{x[i]}
			th := make([]float64, s.ParamsPerCoord())
			for p := range th {
				th[p] = theta[p*n+i]
			}
			l1 := rqsForward(s, s.newKnots(), make([]float64, 1), xs, th)
			// The difference itself carries ~eps*|z|/h = 1e-9 of rounding.
			if math.Abs(math.Exp(l1)-fd) > 1e-5*fd+1e-9 && math.Abs(math.Abs(x[i])-tc.bound) > 2*h {
				t.Errorf("K=%d: x = %g: exp(logdet) %g, finite difference %g", tc.k, x[i], math.Exp(l1), fd)
			}
		}
		// Gradients of L = sum gz z + gld logdet in x and theta.
		gz := make([]float64, n)
		for i := range gz {
			gz[i] = rng.NormFloat64()
		}
		const gld = 0.7
		loss := func(xs, th []float64) float64 {
			zs := make([]float64, n)
			l := rqsForward(s, s.newKnots(), zs, xs, th)
			var v float64
			for i := range zs {
				v += gz[i] * zs[i]
			}
			return v + gld*l
		}
		gx, gth := make([]float64, n), make([]float64, len(theta))
		rqsBackward(s, s.newKnots(), gx, gth, gz, x, theta, gld)
		for i := range x {
			if math.Abs(math.Abs(x[i])-tc.bound) < 1e-4 {
				continue // the derivative jumps at the interval's ends only in its curvature
			}
			xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
			xp[i] += h
			xm[i] -= h
			fd := (loss(xp, theta) - loss(xm, theta)) / (2 * h)
			if math.Abs(gx[i]-fd) > 1e-5*(1+math.Abs(fd)) {
				t.Errorf("K=%d spread %g: dL/dx[%d] = %g, finite difference %g (x = %g)", tc.k, tc.spread, i, gx[i], fd, x[i])
			}
		}
		var worst float64
		for p := range theta {
			tp, tm := append([]float64(nil), theta...), append([]float64(nil), theta...)
			tp[p] += h
			tm[p] -= h
			fd := (loss(x, tp) - loss(x, tm)) / (2 * h)
			worst = max(worst, math.Abs(gth[p]-fd)/(1+math.Abs(fd)))
		}
		if worst > 1e-5 {
			t.Errorf("K=%d B=%g spread %g: parameter gradients off by %g (relative) from finite differences", tc.k, tc.bound, tc.spread, worst)
		}
		// Outside the interval: identity, no log-det, no parameter gradient.
		for i := range x {
			if math.Abs(x[i]) > tc.bound && (z[i] != x[i] || gx[i] != gz[i]) {
				t.Errorf("outside at x = %g: z = %g, dL/dx = %g (gz %g): want the identity", x[i], z[i], gx[i], gz[i])
			}
		}
	}
}

// TestSplineEdgeCases: the peers' known failures, as named cases.
func TestSplineEdgeCases(t *testing.T) {
	s, _ := NewRQSpline(8, 5)
	p := s.ParamsPerCoord()
	t.Run("batch entirely outside the interval", func(t *testing.T) {
		x := []float32{-9, 7, 5, 1e30, -1e30}
		th := make([]float32, p*len(x))
		z := make([]float32, len(x))
		if ld := s.Forward(z, x, th); ld != 0 {
			t.Errorf("log-det %g, want 0", ld)
		}
		gx, gth := make([]float32, len(x)), make([]float32, len(th))
		gz := []float32{1, 2, 3, 4, 5}
		s.Backward(gx, gth, gz, x, th, 1)
		for i := range x {
			if z[i] != x[i] || gx[i] != gz[i] {
				t.Errorf("x = %g: z = %g, gx = %g", x[i], z[i], gx[i])
			}
		}
		for _, g := range gth {
			if g != 0 {
				t.Fatal("parameter gradient from outside the interval")
			}
		}
	})
	t.Run("extreme parameters stay finite (no NaN from the unselected branch)", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		const n = 200
		th := make([]float32, p*n)
		for i := range th {
			th[i] = float32(60 * rng.NormFloat64()) // softmax and softplus saturate
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(12*rng.Float64() - 6)
		}
		z, back := make([]float32, n), make([]float32, n)
		ld := s.Forward(z, x, th)
		ldi := s.Inverse(back, z, th)
		gx, gth := make([]float32, n), make([]float32, len(th))
		s.Backward(gx, gth, z, x, th, 1)
		bad := math.IsNaN(ld) || math.IsInf(ld, 0) || math.IsNaN(ldi)
		for i := range x {
			bad = bad || math.IsNaN(float64(z[i])) || math.IsNaN(float64(back[i])) || math.IsNaN(float64(gx[i]))
		}
		for _, g := range gth {
			bad = bad || math.IsNaN(float64(g)) || math.IsInf(float64(g), 0)
		}
		if bad {
			t.Fatal("NaN or Inf with saturated parameters")
		}
		// Saturated parameters make bins nearly flat (slopes ~1e-6), where
		// float32 z cannot tell x apart: check the round trip in z, the
		// well-conditioned direction there.
		again := make([]float32, n)
		s.Forward(again, back, th)
		for i := range x {
			if d := math.Abs(float64(again[i] - z[i])); d > 1e-3*(1+math.Abs(float64(z[i]))) {
				t.Errorf("x = %g: z = %g, f(f^-1(z)) = %g", x[i], z[i], again[i])
			}
		}
	})
	t.Run("inverse at the knots and the ends (discriminant clamp)", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		th := to32(splineCase(rng, s, 1, 2))
		kn := s.newKnots()
		fill(s, kn, th, 0, 1)
		for _, y := range append([]float64{-5, math.Nextafter(5, 0)}, kn.cy...) {
			x := []float32{0}
			ld := s.Inverse(x, []float32{float32(y)}, th)
			z := []float32{0}
			s.Forward(z, x, th)
			if math.IsNaN(ld) || math.Abs(float64(z[0])-y) > 1e-5 {
				t.Errorf("y = %g: inverse %g maps back to %g (log-det %g)", y, x[0], z[0], ld)
			}
		}
	})
	t.Run("bad configurations", func(t *testing.T) {
		for _, c := range []struct {
			k int
			b float64
		}{{1, 5}, {0, 5}, {8, 0}, {8, -1}, {8, math.Inf(1)}, {8, math.NaN()}, {2000, 5}} {
			if _, err := NewRQSpline(c.k, c.b); err == nil {
				t.Errorf("K=%d B=%g accepted", c.k, c.b)
			}
		}
	})
}
