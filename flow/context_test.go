package flow

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestContextChangesTheMap guards against a conditioner that silently drops
// its context (a peer library's D=1 flows did): changing one row's context
// alone must change that row's z or log-det, in both directions, D=1
// included.
func TestContextChangesTheMap(t *testing.T) {
	n := 0
	for _, tc := range allTransforms() {
		if tc.ctx == 0 {
			continue
		}
		n++
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.build(7)
			scramble(tr, 7)
			rows, d := 8, tr.Dim()
			x := randBatch(rand.New(rand.NewPCG(10, 10)), rows, d)
			cb := tc.context(7, rows)
			c2 := append([]float32(nil), cb...)
			c2[3*tc.ctx] += 1
			z1, z2 := make([]float32, rows*d), make([]float32, rows*d)
			l1, l2 := make([]float64, rows), make([]float64, rows)
			tr.ToLatent(z1, x, cb, rows, l1)
			tr.ToLatent(z2, x, c2, rows, l2)
			changed := func(a, b []float32, la, lb []float64) bool {
				for j := 0; j < d; j++ {
					if math.Abs(float64(a[3*d+j]-b[3*d+j])) > 1e-3 {
						return true
					}
				}
				return math.Abs(la[3]-lb[3]) > 1e-3
			}
			if !changed(z1, z2, l1, l2) {
				t.Errorf("ToLatent: a new context left row 3's z %v and log-det %g unchanged", z1[3*d:4*d], l1[3])
			}
			x1, x2 := make([]float32, rows*d), make([]float32, rows*d)
			clear(l1)
			clear(l2)
			tr.ToData(x1, x, cb, rows, l1)
			tr.ToData(x2, x, c2, rows, l2)
			if !changed(x1, x2, l1, l2) {
				t.Errorf("ToData: a new context left row 3's x and log-det unchanged")
			}
		})
	}
	if n < 6 {
		t.Fatalf("only %d conditional cases in the table", n)
	}
}
