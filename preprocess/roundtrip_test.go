package preprocess

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRoundTripRandom(t *testing.T) {
	const rows = 4000
	x := testData(rows, 1)
	s, err := Fit(x, rows, testCols, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []Kind{KindPositive, KindContinuous, KindPeriodic, KindDiscrete, KindPositive, KindDiscrete}
	for j, c := range s.Columns() {
		if c.Kind != kinds[j] {
			t.Errorf("column %q: kind %s, want %s", c.Name, c.Kind, kinds[j])
		}
	}
	d := s.Dim()
	y32 := make([]float32, rows*d)
	y64 := make([]float64, rows*d)
	ld32, ld64 := make([]float64, rows), make([]float64, rows)
	if err := s.ToLatent(y32, x, rows, ld32, rand.New(rand.NewPCG(7, 7))); err != nil {
		t.Fatal(err)
	}
	if err := s.ToLatent64(y64, x, rows, ld64, rand.New(rand.NewPCG(7, 7))); err != nil {
		t.Fatal(err)
	}
	noLogdet := make([]float32, rows*d)
	if err := s.ToLatent(noLogdet, x, rows, nil, rand.New(rand.NewPCG(7, 7))); err != nil {
		t.Fatal(err)
	}
	for i := range y32 {
		if noLogdet[i] != y32[i] {
			t.Fatalf("entry %d: y %v without logdet, %v with", i, noLogdet[i], y32[i])
		}
		if y32[i] != float32(y64[i]) {
			t.Fatalf("entry %d: float32 path %v, float64 path %v", i, y32[i], y64[i])
		}
	}
	for i := range ld32 {
		if ld32[i] != ld64[i] {
			t.Fatalf("row %d: logdet %v (float32 path) != %v (float64 path)", i, ld32[i], ld64[i])
		}
	}
	back32 := make([]float64, rows*d)
	back64 := make([]float64, rows*d)
	s.ToData(back32, y32, rows)
	s.ToData64(back64, y64, rows)
	cols := s.Columns()
	worst32, worst64 := make([]float64, d), make([]float64, d)
	for i := range rows {
		for j, c := range cols {
			k := i*d + j
			if c.Kind == KindDiscrete {
				if back32[k] != x[k] || back64[k] != x[k] {
					t.Fatalf("row %d, %s: discrete %v came back as %v (float32) / %v (float64)", i, c.Name, x[k], back32[k], back64[k])
				}
				continue
			}
			// Relative to |x|, but no finer than 1e-2 of the range: a value
			// near zero only has the range's absolute precision.
			scale := max(math.Abs(x[k]), 1e-2*(c.Max-c.Min))
			worst32[j] = max(worst32[j], math.Abs(back32[k]-x[k])/scale)
			worst64[j] = max(worst64[j], math.Abs(back64[k]-x[k])/scale)
		}
	}
	for j, c := range cols {
		t.Logf("%-5s worst relative round-trip error: float32 y %.2g, float64 y %.2g", c.Name, worst32[j], worst64[j])
		if worst32[j] > 1e-5 || worst64[j] > 1e-12 {
			t.Errorf("column %q: round-trip error %g (float32 y), %g (float64 y); want <= 1e-5, 1e-12", c.Name, worst32[j], worst64[j])
		}
	}
}

// TestDiscreteExactAtBinEdges drives the dequantization noise to both ends of
// its interval for every level, where float32 rounding of y is most likely to
// cross into a neighbouring bin, for K from 2 to MaxLevels and skewed level
// frequencies (which push the standardization mean far from zero).
func TestDiscreteExactAtBinEdges(t *testing.T) {
	edges := []float64{0, 0.5, 1 - 1.0/(1<<53)}
	for _, k := range []int{2, 3, 10, 57, MaxLevels} {
		for _, skew := range []int{0, 1, k - 1} {
			levels := make([]float64, k)
			for l := range levels {
				levels[l] = float64(l)*0.37 - 1.3
			}
			// Training: every level once, then many copies of level skew.
			var train []float64
			train = append(train, levels...)
			for range 50 * k {
				train = append(train, levels[skew])
			}
			s, err := Fit(train, len(train), []string{"q"}, Options{Discrete: []string{"q"}})
			if err != nil {
				t.Fatal(err)
			}
			rows := k * len(edges)
			x := make([]float64, 0, rows)
			var noise []float64
			for l := range levels {
				for _, e := range edges {
					x = append(x, levels[l])
					noise = append(noise, e)
				}
			}
			y := make([]float32, rows)
			if err := s.ToLatent(y, x, rows, make([]float64, rows), fixedRand(noise...)); err != nil {
				t.Fatal(err)
			}
			back := make([]float64, rows)
			s.ToData(back, y, rows)
			for i := range x {
				if back[i] != x[i] {
					t.Fatalf("K=%d, skew %d: level value %v with noise %v came back as %v", k, skew, x[i], noise[i], back[i])
				}
			}
		}
	}
}

// TestFloat32LevelAccepted: a discrete value that went through float32 (a
// Parquet file, say) is recognised as its training level and maps back to the
// exact training value.
func TestFloat32LevelAccepted(t *testing.T) {
	const rows = 600
	x := testData(rows, 3)
	s, err := Fit(x, rows, testCols, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	row := append([]float64(nil), x[:len(testCols)]...)
	row[3] = float64(float32(btagLevels[1]))
	if row[3] == btagLevels[1] {
		t.Fatal("test value should differ from the level in float64")
	}
	y := make([]float32, len(row))
	if err := s.ToLatent(y, row, 1, make([]float64, 1), rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	back := make([]float64, len(row))
	s.ToData(back, y, 1)
	if back[3] != btagLevels[1] {
		t.Errorf("float32-rounded b-tag came back as %v, want %v", back[3], btagLevels[1])
	}
}
