package preprocess

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFitTransformEqualsFitThenTransform: FitTransform gives FitColumns'
// scaler and ToLatentContinuous's values and log-dets bit for bit, for
// the scalings that pick asinh maps and the seed's logit, with one worker
// and several, on mixed columns (heavy tail, periodic, discrete) and
// values far out in a tail.
func TestFitTransformEqualsFitThenTransform(t *testing.T) {
	const rows = 40000
	x := testData(rows, 8)
	d := len(testCols)
	x[7*d] = 1e6 // far out in pt's tail
	for _, opt := range []Options{testOpts, {Periodic: []string{"phi"}, Scaling: ScalingLogit}, {Periodic: []string{"phi"}, Unbounded: []string{"eta", "mass"}}} {
		for _, workers := range []int{1, 3} {
			want, err := FitColumns(rows, testCols, StridedColumns(x, rows, d), opt, workers)
			if err != nil {
				t.Fatal(err)
			}
			wy, wld := make([]float32, rows*d), make([]float64, rows)
			if err := want.ToLatentContinuous(wy, x, rows, wld); err != nil {
				t.Fatal(err)
			}
			gy, gld := make([]float32, rows*d), make([]float64, rows)
			for i := range gld {
				gld[i] = rand.Float64() // set, not added to
			}
			got, err := FitTransform(rows, testCols, StridedColumns(x, rows, d), opt, workers, gy, gld)
			if err != nil {
				t.Fatal(err)
			}
			wc, gc := want.Columns(), got.Columns()
			kinds := map[Kind]bool{}
			for j := range wc {
				kinds[wc[j].Kind] = true
				if math.Float64bits(wc[j].Mean) != math.Float64bits(gc[j].Mean) || math.Float64bits(wc[j].Std) != math.Float64bits(gc[j].Std) ||
					wc[j].Kind != gc[j].Kind || wc[j].Min != gc[j].Min || wc[j].Max != gc[j].Max || wc[j].Loc != gc[j].Loc || wc[j].Scale != gc[j].Scale {
					t.Fatalf("%+v, %d workers: column %d: %+v, want %+v", opt, workers, j, gc[j], wc[j])
				}
			}
			for i := range wy {
				if math.Float32bits(wy[i]) != math.Float32bits(gy[i]) {
					t.Fatalf("%+v, %d workers: y[%d] = %v, want %v", opt, workers, i, gy[i], wy[i])
				}
			}
			for i := range wld {
				if math.Float64bits(wld[i]) != math.Float64bits(gld[i]) {
					t.Fatalf("%+v, %d workers: logdet[%d] = %v, want %v", opt, workers, i, gld[i], wld[i])
				}
			}
			if opt.Scaling != ScalingLogit && !(kinds[KindPositive] || kinds[KindUnbounded]) {
				t.Fatalf("%+v: no asinh map chosen (%v): the test misses the fused path", opt, kinds)
			}
		}
	}
}
