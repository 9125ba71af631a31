package flow

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

func randBatch(rng *rand.Rand, rows, d int) []float32 {
	x := make([]float32, rows*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// fdLogAbsDet returns log|det dz/dx| of row r (context row c) by central
// differences of t.ToLatent.
func fdLogAbsDet(t Transform, x, c []float32, r int, h float64) float64 {
	d := t.Dim()
	row := append([]float32(nil), x[r*d:r*d+d]...)
	J := mat.NewDense(d, d, nil)
	zp, zm := make([]float32, d), make([]float32, d)
	ld := make([]float64, 1)
	for j := 0; j < d; j++ {
		xp := append([]float32(nil), row...)
		xm := append([]float32(nil), row...)
		xp[j] += float32(h)
		xm[j] -= float32(h)
		hj := float64(xp[j]) - float64(xm[j]) // the step float32 really took
		t.ToLatent(zp, xp, c, 1, ld)
		t.ToLatent(zm, xm, c, 1, ld)
		for i := 0; i < d; i++ {
			J.Set(i, j, (float64(zp[i])-float64(zm[i]))/hj)
		}
	}
	var lu mat.LU
	lu.Factorize(J)
	v, _ := lu.LogDet()
	return v
}

func near(a, b, rel, abs float64) bool {
	return math.Abs(a-b) <= abs+rel*math.Max(math.Abs(a), math.Abs(b))
}
