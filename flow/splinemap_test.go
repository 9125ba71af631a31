package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// splineBatch is a batch for SplineMap: rows x n inputs (inside and outside
// the interval, at its ends and near a knot) with raw parameters of the
// given spread, laid out as a CoordMap wants them.
type splineBatch struct {
	s       RQSpline
	n, rows int
	x, th   []float32
}

func newSplineBatch(rng *rand.Rand, s RQSpline, n, rows int, spread float64) splineBatch {
	c := splineBatch{s: s, n: n, rows: rows}
	c.th = make([]float32, rows*n*s.ParamsPerCoord())
	for i := range c.th {
		c.th[i] = float32(spread * rng.NormFloat64())
	}
	c.x = make([]float32, rows*n)
	for i := range c.x {
		c.x[i] = float32(1.2 * s.B * (2*rng.Float64() - 1))
	}
	// The ends, just inside them, and (rounded) a knot of its own coordinate.
	c.x[0] = float32(-s.B)
	if len(c.x) > 3 {
		c.x[1], c.x[2] = float32(s.B), math.Nextafter32(float32(s.B), 0)
		kn := s.newKnots()
		w := s.ParamsPerCoord() * n
		fill(s, kn, c.th[3/n*w:(3/n+1)*w], 3%n, n)
		c.x[3] = float32(kn.cx[s.K/2])
	}
	return c
}

// row returns coordinate i of row r's parameters, one coordinate block.
func (c splineBatch) row(th []float32, r, i int) []float64 {
	p := c.s.ParamsPerCoord()
	out := make([]float64, p)
	for q := range out {
		out[q] = float64(th[r*p*c.n+q*c.n+i])
	}
	return out
}

// TestSplineMapMatchesGeneric checks SplineMap's batched path (its own
// exponentials, knots by a running sum, one logarithm per row, state cached
// for Backward, closed-form softmax gradients) against the generic
// per-coordinate functions run in float64 on the same float32 inputs: z,
// f^-1(z) from Data and DataColumn, log-dets, dL/dx and every dL/dtheta
// agree to float32 rounding of the outputs, and the log-dets to float64
// rounding.
func TestSplineMapMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	for _, tc := range []struct {
		k       int
		bound   float64
		spread  float64
		n, rows int
	}{{8, 5, 1, 28, 7}, {8, 5, 4, 5, 9}, {2, 1, 1, 3, 5}, {16, 3, 2, 4, 3}, {5, 3, 0.1, 1, 300}, {8, 5, 30, 6, 4}, {8, 5, 100, 6, 4}} {
		s, err := NewRQSpline(tc.k, tc.bound)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("K=%d/B=%g/spread=%g/n=%d", tc.k, tc.bound, tc.spread, tc.n), func(t *testing.T) {
			c := newSplineBatch(rng, s, tc.n, tc.rows, tc.spread)
			n, rows, p := c.n, c.rows, s.ParamsPerCoord()
			if tc.spread >= 100 {
				// Softmax inputs beyond splineExpRange in rows 0 and 2 (widths)
				// and 1 (heights), of coordinates inside the interval: their
				// blocks take the shifted path.
				c.th[0*p*n+2*n+4], c.th[2*p*n+0*n+3] = 900, -2000
				c.th[1*p*n+(s.K+1)*n+2] = 750
				c.x[0*n+4], c.x[2*n+3], c.x[1*n+2] = 0.5, -1, 2
			}
			m := NewSplineMap(s)
			z := make([]float32, rows*n)
			ld := make([]float64, rows)
			for r := range ld {
				ld[r] = float64(r) // Latent adds to it
			}
			m.Latent(z, c.x, c.th, n, rows, ld)
			gz := make([]float32, rows*n)
			for i := range gz {
				gz[i] = float32(rng.NormFloat64())
			}
			gld := make([]float64, rows)
			for r := range gld {
				gld[r] = rng.NormFloat64()
			}
			gx, gth := make([]float32, rows*n), make([]float32, len(c.th))
			for i := range gth {
				gth[i] = float32(math.NaN()) // Backward must write every entry
			}
			// Data between Latent and Backward must not disturb Latent's state.
			back, ldInv := make([]float32, rows*n), make([]float64, rows)
			m.Data(back, z, c.th, n, rows, ldInv)
			m.Backward(gx, gth, gz, gld, n, rows)

			// DataColumn on the transposed parameters of each coordinate.
			col := make([]float32, rows*n)
			ldCol := make([]float64, rows)
			stride := rows + 3
			thT, zc, xc := make([]float32, p*stride), make([]float32, rows), make([]float32, rows)
			for i := 0; i < n; i++ {
				for r := 0; r < rows; r++ {
					zc[r] = z[r*n+i]
					for q := 0; q < p; q++ {
						thT[q*stride+r] = c.th[r*p*n+q*n+i]
					}
				}
				m.DataColumn(xc, zc, thT, stride, rows, ldCol)
				for r := 0; r < rows; r++ {
					col[r*n+i] = xc[r]
				}
			}

			kn := s.newKnots()
			for r := 0; r < rows; r++ {
				ldRef, ldInvRef, ldInvTol := float64(r), 0.0, 0.0
				for i := 0; i < n; i++ {
					raw := c.row(c.th, r, i)
					xv := []float64{float64(c.x[r*n+i])}
					zr := make([]float64, 1)
					ldRef += rqsForward(s, kn, zr, xv, raw)
					if !near(float64(z[r*n+i]), zr[0], 1e-7, 1e-30) {
						t.Errorf("z[%d,%d] = %.9g, generic %.9g (x = %g)", r, i, z[r*n+i], zr[0], xv[0])
					}
					// The inverse of the float32 z, against the generic inverse of the same z.
					zv := []float64{float64(z[r*n+i])}
					xr := make([]float64, 1)
					li := rqsInverse(s, kn, xr, zv, raw)
					ldInvRef += li
					// Rounding of the knots (1e-16 of B) moves x by that over
					// the slope, and log dx/dz by that times its derivative.
					tol := 1e-15 * s.B * math.Exp(li)
					dl := make([]float64, 1)
					rqsBackward(s, kn, dl, make([]float64, p), []float64{0}, xr, raw, 1)
					ldInvTol += 1e-13*(1+math.Abs(li)) + math.Abs(dl[0])*tol
					if !near(float64(back[r*n+i]), xr[0], 1e-7, tol) || !near(float64(col[r*n+i]), xr[0], 1e-7, tol) {
						t.Errorf("x[%d,%d]: Data %.9g, DataColumn %.9g, generic %.9g (z = %g)", r, i, back[r*n+i], col[r*n+i], xr[0], zv[0])
					}
					gxr, gthr := make([]float64, 1), make([]float64, p)
					rqsBackward(s, kn, gxr, gthr, []float64{float64(gz[r*n+i])}, xv, raw, gld[r])
					if !near(float64(gx[r*n+i]), gxr[0], 1e-7, 1e-30) {
						t.Errorf("dL/dx[%d,%d] = %.9g, generic %.9g", r, i, gx[r*n+i], gxr[0])
					}
					// The knots' gradients cancel (gX - gW, and in the softmax
					// gradients): allow float64 rounding of their terms' scale.
					var scale float64
					if v := xv[0]; v >= -s.B && v < s.B {
						fill(s, kn, raw, 0, 1)
						_, gX, gW, gY, gH, _, _ := kn.local(bin(kn.cx, v)).grads(v, float64(gz[r*n+i]), gld[r])
						scale = 2 * s.B * (math.Abs(gX) + math.Abs(gW) + math.Abs(gY) + math.Abs(gH))
					}
					for q, g := range c.row(gth, r, i) {
						if !near(g, gthr[q], 1e-7, 1e-13*scale) {
							t.Errorf("dL/dtheta[%d,%d] parameter %d = %.9g, generic %.9g", r, i, q, g, gthr[q])
						}
					}
				}
				if !near(ld[r], ldRef, 1e-13, 1e-13) {
					t.Errorf("row %d: Latent's log-det %.15g, generic %.15g", r, ld[r], ldRef)
				}
				if !near(ldInv[r], ldInvRef, 0, ldInvTol) || !near(ldCol[r], ldInvRef, 0, ldInvTol) {
					t.Errorf("row %d: Data's log-det %.15g, DataColumn's %.15g, generic %.15g", r, ldInv[r], ldCol[r], ldInvRef)
				}
			}
		})
	}
}

// TestExp64 checks exp64 against math.Exp over its whole argument range and
// at its special values.
func TestExp64(t *testing.T) {
	var worst float64
	for i := 0; i <= 200000; i++ {
		a := -700 + 1400*float64(i)/200000 // the unshifted softmax's range
		if i%3 == 0 {
			a = -float64(i) / 1e5 // dense near 0, where the softmax's values are
		}
		worst = max(worst, math.Abs(exp64(a)/math.Exp(a)-1))
	}
	if worst > 4.5e-16 {
		t.Errorf("exp64 off by %g (relative) from math.Exp", worst)
	}
	if exp64(0) != 1 {
		t.Errorf("exp64(0) = %v", exp64(0))
	}
	for _, a := range []float64{-700, -701, -1e300, math.Inf(-1)} {
		if got := exp64(a); got != exp64(-700) || !(got > 0) {
			t.Errorf("exp64(%g) = %g, want e^-700 = %g", a, got, math.Exp(-700))
		}
	}
	if !math.IsNaN(exp64(math.NaN())) {
		t.Error("exp64(NaN) is not NaN")
	}
}

// TestProdLog: one logarithm of a renormalised product equals the sum of
// the factors' logarithms over float64's range, and 0, Inf and NaN
// factors reach the result.
func TestProdLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	p, want := newProdLog(), 0.0
	for range 1000 {
		f := math.Exp(200 * rng.NormFloat64()) // products far past float64's range
		p.mul(f)
		want += math.Log(f)
	}
	if got := p.log(); !near(got, want, 1e-13, 1e-13) {
		t.Errorf("log of the product %.15g, sum of logs %.15g", got, want)
	}
	for _, tc := range []struct {
		f    float64
		want float64
	}{{0, math.Inf(-1)}, {math.Inf(1), math.Inf(1)}, {math.NaN(), math.NaN()}} {
		p := newProdLog()
		p.mul(3)
		p.mul(tc.f)
		p.mul(0.5)
		if got := p.log(); !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("factor %g: log %g, want %g", tc.f, got, tc.want)
		}
	}
}

// TestSplineMapNaN: a NaN parameter of a coordinate inside the interval
// gives NaN (a broken conditioner must not pass for a finite density), one
// outside leaves the identity and a zero gradient.
func TestSplineMapNaN(t *testing.T) {
	s, _ := NewRQSpline(8, 5)
	p := s.ParamsPerCoord()
	for q := 0; q < p; q++ {
		th := make([]float32, 2*p)
		th[q*2] = float32(math.NaN())   // coordinate 0, inside
		th[q*2+1] = float32(math.NaN()) // coordinate 1, outside
		x := []float32{0.3, 7}
		z, ld := make([]float32, 2), make([]float64, 1)
		m := NewSplineMap(s)
		m.Latent(z, x, th, 2, 1, ld)
		gx, gth := make([]float32, 2), make([]float32, 2*p)
		m.Backward(gx, gth, []float32{1, 1}, []float64{1}, 2, 1)
		back, ldi := make([]float32, 2), make([]float64, 1)
		m.Data(back, []float32{0.3, 7}, th, 2, 1, ldi)
		if q < 2*s.K || q == 2*s.K+3 || q == 2*s.K+4 { // softmaxes, or a derivative at x's bin
			if !math.IsNaN(float64(z[0])) || !math.IsNaN(ld[0]) || !math.IsNaN(float64(back[0])) || !math.IsNaN(ldi[0]) {
				t.Errorf("NaN parameter %d: z = %g, log-det %g, inverse %g, log-det %g", q, z[0], ld[0], back[0], ldi[0])
			}
		}
		if z[1] != 7 || back[1] != 7 || gx[1] != 1 {
			t.Errorf("NaN parameter %d outside: z = %g, inverse %g, dL/dx = %g", q, z[1], back[1], gx[1])
		}
		for j := 0; j < p; j++ {
			if gth[j*2+1] != 0 {
				t.Errorf("NaN parameter %d outside: gradient %g of parameter %d", q, gth[j*2+1], j)
			}
		}
	}
}

// TestExpInPlace: the inlined loop is exp64, bit for bit (NaN aside).
func TestExpInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	a := []float64{0, -700, -800, math.Inf(-1), math.NaN(), 700, -1e-300}
	for range 1000 {
		a = append(a, 50*rng.NormFloat64())
	}
	e := append([]float64(nil), a...)
	expInPlace(e)
	for i, v := range a {
		if w := exp64(v); math.Float64bits(e[i]) != math.Float64bits(w) && !(math.IsNaN(w) && math.IsNaN(e[i])) {
			t.Errorf("exp(%g): loop %g, exp64 %g", v, e[i], w)
		}
	}
}

// TestLog64 checks log64 against math.Log over float64's range, densely
// near 1 (where the spline's slopes and 1 + e^-|u| are), and at its special
// values.
func TestLog64(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var worst float64
	for i := range 1000000 {
		x := math.Exp(100 * rng.NormFloat64())
		switch i % 3 {
		case 0:
			x = 1 + rng.Float64()
		case 1:
			x = 1 + 1e-6*rng.NormFloat64()
		}
		want := math.Log(x)
		worst = max(worst, math.Abs(log64(x)-want)/max(1, math.Abs(want)))
	}
	if worst > 4.5e-16 {
		t.Errorf("log64 off by %g from math.Log (absolute, or relative above 1)", worst)
	}
	for _, x := range []float64{0, -1, 1e-310, math.Inf(1), math.NaN(), math.Inf(-1), 1, 2, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		if got, want := log64(x), math.Log(x); got != want && !(math.IsNaN(got) && math.IsNaN(want)) && !(math.Abs(got-want) <= 4.5e-16*max(1, math.Abs(want))) {
			t.Errorf("log64(%g) = %g, math.Log %g", x, got, want)
		}
	}
}
