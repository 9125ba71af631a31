package preprocess

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNoiseGivenEqualsRNG: ToLatentNoise and DequantizeNoise, given the
// numbers DrawNoise drew and applied chunk by chunk, give the bits that
// ToLatent and Dequantize give with the rng on the whole batch.
func TestNoiseGivenEqualsRNG(t *testing.T) {
	const rows = 1000
	x := testData(rows, 3)
	s, err := Fit(x, rows, testCols, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	d, k := s.Dim(), s.NoisePerRow()
	if k != 2 { // btag and njet are discrete
		t.Fatalf("%d noise numbers per row, want 2", k)
	}
	want, wantLD := make([]float32, rows*d), make([]float64, rows)
	if err := s.ToLatent(want, x, rows, wantLD, rand.New(rand.NewPCG(9, 9))); err != nil {
		t.Fatal(err)
	}
	u := make([]float64, rows*k)
	s.DrawNoise(u, rand.New(rand.NewPCG(9, 9)))
	got, gotLD := make([]float32, rows*d), make([]float64, rows)
	for lo := 0; lo < rows; lo += 137 {
		n := min(137, rows-lo)
		if err := s.ToLatentNoise(got[lo*d:(lo+n)*d], x[lo*d:(lo+n)*d], n, gotLD[lo:lo+n], u[lo*k:(lo+n)*k]); err != nil {
			t.Fatal(err)
		}
	}
	same := func(what string, a, b []float32, la, lb []float64) {
		t.Helper()
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s: y[%d] = %v, want %v", what, i, a[i], b[i])
			}
		}
		for i := range la {
			if math.Float64bits(la[i]) != math.Float64bits(lb[i]) {
				t.Fatalf("%s: logdet[%d] = %v, want %v", what, i, la[i], lb[i])
			}
		}
	}
	same("ToLatentNoise", got, want, gotLD, wantLD)

	// Dequantize on top of ToLatentContinuous, both ways.
	base, baseLD := make([]float32, rows*d), make([]float64, rows)
	if err := s.ToLatentContinuous(base, x, rows, baseLD); err != nil {
		t.Fatal(err)
	}
	want, wantLD = append([]float32(nil), base...), append([]float64(nil), baseLD...)
	if err := s.Dequantize(want, x, rows, wantLD, rand.New(rand.NewPCG(4, 4))); err != nil {
		t.Fatal(err)
	}
	s.DrawNoise(u, rand.New(rand.NewPCG(4, 4)))
	got, gotLD = append([]float32(nil), base...), append([]float64(nil), baseLD...)
	for lo := 0; lo < rows; lo += 300 {
		n := min(300, rows-lo)
		if err := s.DequantizeNoise(got[lo*d:(lo+n)*d], x[lo*d:(lo+n)*d], n, gotLD[lo:lo+n], u[lo*k:(lo+n)*k]); err != nil {
			t.Fatal(err)
		}
	}
	same("DequantizeNoise", got, want, gotLD, wantLD)

	// DequantizeLevels from the discrete columns alone.
	disc := s.DiscreteColumns()
	v := make([]float64, 0, rows*len(disc))
	for i := range rows {
		for _, j := range disc {
			v = append(v, x[i*d+j])
		}
	}
	got, gotLD = append([]float32(nil), base...), append([]float64(nil), baseLD...)
	if err := s.DequantizeLevels(got, v, rows, gotLD, u); err != nil {
		t.Fatal(err)
	}
	same("DequantizeLevels", got, want, gotLD, wantLD)
	v[3] = 0.5 // not a b-tag level
	if err := s.DequantizeLevels(got, v, rows, gotLD, u); err == nil {
		t.Fatal("an unseen level was accepted")
	}
}
