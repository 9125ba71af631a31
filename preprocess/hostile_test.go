package preprocess

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFitHostileColumns: columns that used to panic or produce invalid maps
// fit cleanly or fail with an error, under every scaling.
func TestFitHostileColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	normal := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		return x
	}
	huge := normal(300)
	huge[17] = 1.7e308
	denormal := normal(300)
	for i := range denormal {
		denormal[i] = math.Abs(denormal[i]) + 1
	}
	denormal[5] = 5e-324
	spiky := make([]float64, 400000) // zero but for 40 values
	for i := 0; i < 40; i++ {
		spiky[i*9973] = float64(i + 1)
	}
	mostly := normal(2000) // 90% one value
	for i := range mostly {
		if i%10 != 0 {
			mostly[i] = 3
		}
	}
	for _, tc := range []struct {
		name    string
		x       []float64
		wantErr string // "" means it must fit; else it fits or fails saying so
	}{
		{"a value of 1.7e308", huge, "too wide"},
		{"a denormal minimum", denormal, ""},
		{"400k zeros and 40 values", spiky, ""},
		{"90% one value", mostly, ""},
		{"three rows", []float64{1, 2, 4}, ""},
		{"two rows", []float64{-1, 5}, ""},
	} {
		for _, sc := range []string{ScalingAuto, ScalingAsinh, ScalingLogit, ScalingSeed} {
			opt := Options{Scaling: sc, MaxDiscreteLevels: -1}
			s, err := Fit(tc.x, len(tc.x), []string{"v"}, opt)
			if tc.wantErr != "" && err != nil {
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("%s, %s: error %v, want one mentioning %q", tc.name, sc, err, tc.wantErr)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s, %s: %v", tc.name, sc, err)
				continue
			}
			// Every training value and a few absurd ones map to finite
			// values with finite log-Jacobians and come back.
			for _, v := range append([]float64{tc.x[0], tc.x[len(tc.x)-1], 0, -1, 1e39, -1e39, 1e300, -1e300}, tc.x[:min(len(tc.x), 50)]...) {
				y, ld := []float64{0}, []float64{0}
				if err := s.ToLatent64(y, []float64{v}, 1, ld, nil); err != nil {
					t.Fatalf("%s, %s: x = %g: %v", tc.name, sc, v, err)
				}
				if math.IsNaN(y[0]) || math.IsInf(y[0], 0) || math.IsNaN(ld[0]) || math.IsInf(ld[0], 0) || math.Abs(y[0]) > float64(math.MaxFloat32) {
					t.Errorf("%s, %s: x = %g maps to y = %g, logdet %g", tc.name, sc, v, y[0], ld[0])
				}
			}
		}
	}
}
