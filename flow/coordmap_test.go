package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// mapCase builds a fresh CoordMap; the maps alone get the same checks as
// the transforms, directly on their batched interface.
type mapCase struct {
	name  string
	build func() CoordMap
}

func allMaps() []mapCase {
	return []mapCase{
		{"affine", func() CoordMap { return NewAffine(DefaultScaleBound) }},
		{"spline/K=8/B=5", func() CoordMap { return NewSplineMap(testSpline(8, 5)) }},
		{"spline/K=4/B=2", func() CoordMap { return NewSplineMap(testSpline(4, 2)) }},
		{"spline/K=16/B=3", func() CoordMap { return NewSplineMap(testSpline(16, 3)) }},
	}
}

// mapBatch draws x (some outside a spline's interval) and raw parameters:
// N(0, 1) logits make bin widths differ by e^+-2 or so, a spline far from
// the identity whose narrowest bins (~0.05) are still wide against the
// finite-difference steps below, which float32 needs at ~1e-3.
func mapBatch(m CoordMap, seed uint64, n, rows int) (x, theta []float32) {
	rng := rand.New(rand.NewPCG(seed, 77))
	x = make([]float32, rows*n)
	for i := range x {
		x[i] = float32(2.5 * rng.NormFloat64())
	}
	theta = make([]float32, rows*n*m.ParamsPerCoord())
	amp := 1.0
	if _, ok := m.(*Affine); ok {
		amp = 4 // raw log-scales well into the soft bound, where dalpha/da is far from 1
	}
	for i := range theta {
		theta[i] = float32(amp * rng.NormFloat64())
	}
	return x, theta
}

// transposed returns, for coordinate i, the parameters of every row laid
// out as DataColumn takes them (parameter p of row r at p*stride + r).
func transposed(theta []float32, p, n, i, rows, stride int) []float32 {
	out := make([]float32, p*stride)
	for r := 0; r < rows; r++ {
		for k := 0; k < p; k++ {
			out[k*stride+r] = theta[r*p*n+k*n+i]
		}
	}
	return out
}

func TestMapProperties(t *testing.T) {
	const n, rows = 5, 9
	for _, mc := range allMaps() {
		t.Run(mc.name, func(t *testing.T) {
			m := mc.build()
			p := m.ParamsPerCoord()
			x, theta := mapBatch(m, 1, n, rows)
			z, ld := make([]float32, rows*n), make([]float64, rows)
			m.Latent(z, x, theta, n, rows, ld)

			// Round trip through Data and, coordinate by coordinate, DataColumn.
			back, ldD := make([]float32, rows*n), make([]float64, rows)
			m.Data(back, z, theta, n, rows, ldD)
			ldC := make([]float64, rows)
			for i := 0; i < n; i++ {
				stride := rows + 3
				zc, xc := make([]float32, rows), make([]float32, rows)
				for r := range zc {
					zc[r] = z[r*n+i]
				}
				m.DataColumn(xc, zc, transposed(theta, p, n, i, rows, stride), stride, rows, ldC)
				for r := range xc {
					if xc[r] != back[r*n+i] {
						t.Fatalf("x[%d,%d]: DataColumn %g, Data %g", r, i, xc[r], back[r*n+i])
					}
				}
			}
			for i := range x {
				// Tolerance from the map's conditioning: z's float32 rounding over the slope.
				slope := fdSlope(m, x, theta, n, rows, i)
				tol := 1e-5 + 4*6e-8*math.Max(1, math.Abs(float64(z[i])))/slope
				if math.Abs(float64(back[i]-x[i])) > tol {
					t.Errorf("x[%d] = %g, Data(Latent(x)) = %g (slope %.3g)", i, x[i], back[i], slope)
				}
			}
			for r := range ld {
				if ldD[r] != ldC[r] || math.Abs(ld[r]+ldD[r]) > 1e-4*math.Max(1, math.Abs(ld[r])) {
					t.Errorf("row %d: log-dets Latent %g, Data %g, DataColumn %g", r, ld[r], ldD[r], ldC[r])
				}
			}

			// Log-det against finite differences of z (the map is diagonal).
			// A central difference of float32 z with step h is off by about
			// z's rounding over 2h; relative to a slope s that is a log
			// error of 4*6e-8*|z|/(2h s), and 1e-4 more for the step itself.
			for r := 0; r < rows; r++ {
				var fd, tol float64
				for i := r * n; i < (r+1)*n; i++ {
					s := fdSlope(m, x, theta, n, rows, i)
					fd += math.Log(s)
					tol += 4*6e-8*math.Max(1, math.Abs(float64(z[i])))/(2*1e-3*s) + 1e-4
				}
				if math.Abs(fd-ld[r]) > tol {
					t.Errorf("row %d: log-det %g, finite differences %g (tolerance %.2g)", r, ld[r], fd, tol)
				}
			}

			// Gradients of L = sum G z + sum c logdet against finite differences.
			rng := rand.New(rand.NewPCG(3, 3))
			G, c := make([]float32, rows*n), make([]float64, rows)
			for i := range G {
				G[i] = float32(rng.NormFloat64())
			}
			for r := range c {
				c[r] = rng.NormFloat64()
			}
			loss := func() float64 {
				zz, ll := make([]float32, rows*n), make([]float64, rows)
				m.Latent(zz, x, theta, n, rows, ll)
				var s float64
				for i := range zz {
					s += float64(G[i]) * float64(zz[i])
				}
				for r := range ll {
					s += c[r] * ll[r]
				}
				return s
			}
			m.Latent(z, x, theta, n, rows, ld)
			gx, gth := make([]float32, rows*n), make([]float32, len(theta))
			m.Backward(gx, gth, G, c, n, rows)
			check := func(what string, v *float32, an float32) {
				const h = 1e-3
				old := *v
				*v = old + h
				lp := loss()
				*v = old - h
				lm := loss()
				*v = old
				fd := (lp - lm) / (float64(old+h) - float64(old-h))
				if math.Abs(float64(an)-fd) > 2e-2*math.Abs(fd)+2e-3 {
					t.Errorf("%s: backward %g, finite differences %g", what, an, fd)
				}
			}
			for i := range x {
				check(fmt.Sprintf("dL/dx[%d]", i), &x[i], gx[i])
			}
			for i := range theta {
				check(fmt.Sprintf("dL/dtheta[%d]", i), &theta[i], gth[i])
			}
			// Backward without gx gives the same parameter gradients.
			m.Latent(z, x, theta, n, rows, ld)
			gth2 := make([]float32, len(theta))
			m.Backward(nil, gth2, G, c, n, rows)
			for i := range gth {
				if gth[i] != gth2[i] {
					t.Fatalf("dL/dtheta[%d]: %g with gx, %g without", i, gth[i], gth2[i])
				}
			}
		})
	}
}

// fdSlope is dz_i/dx_i by central differences of Latent (float64 of float32 steps).
func fdSlope(m CoordMap, x, theta []float32, n, rows, i int) float64 {
	const h = 1e-3
	xp, xm := append([]float32(nil), x...), append([]float32(nil), x...)
	xp[i] += h
	xm[i] -= h
	zp, zm, ld := make([]float32, len(x)), make([]float32, len(x)), make([]float64, rows)
	m.Latent(zp, xp, theta, n, rows, ld)
	m.Latent(zm, xm, theta, n, rows, ld)
	return float64(zp[i]-zm[i]) / float64(xp[i]-xm[i])
}
