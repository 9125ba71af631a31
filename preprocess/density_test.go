package preprocess

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func logNormal(y float64) float64 { return -0.5*y*y - 0.5*math.Log(2*math.Pi) }

func normalCDF(y float64) float64 { return 0.5 * math.Erfc(-y/math.Sqrt2) }

// betaSample draws from Beta(a, b) for integer a, b (order statistics of uniforms).
func betaSample(rng *rand.Rand, a, b int) float64 {
	var ga, gb float64
	for range a {
		ga -= math.Log(1 - rng.Float64())
	}
	for range b {
		gb -= math.Log(1 - rng.Float64())
	}
	return ga / (ga + gb)
}

// TestDensityNormalizes: with p_y = N(0,1), exp(log p_y(y(x)) + logdet(x))
// must be a probability density in x, integrating to 1 over the whole line
// (the tails beyond a logit's range included). The x grid is the inverse
// map of a uniform grid in y over [-12, 12], so it resolves the decades near
// the edges; the trapezoid weights come from the x spacing alone, so a
// log-Jacobian that disagrees with the map shows.
func TestDensityNormalizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	const rows = 3000
	cases := []struct {
		name string
		opt  Options
		draw func() float64
	}{
		{"beta(2,5) on [3,10], asinh", Options{}, func() float64 { return 3 + 7*betaSample(rng, 2, 5) }},
		{"beta(2,5) on [3,10], logit", Options{Scaling: ScalingLogit}, func() float64 { return 3 + 7*betaSample(rng, 2, 5) }},
		{"beta(2,5), seed (exact range)", Options{Scaling: ScalingSeed}, func() float64 { return 3 + 7*betaSample(rng, 2, 5) }},
		{"student-t(3), asinh", Options{}, func() float64 {
			return rng.NormFloat64() / math.Sqrt((math.Pow(rng.NormFloat64(), 2)+math.Pow(rng.NormFloat64(), 2)+math.Pow(rng.NormFloat64(), 2))/3)
		}},
		{"truncated normal, logit", Options{Margin: 0.05, Scaling: ScalingLogit}, func() float64 {
			for {
				if v := rng.NormFloat64(); v > -1 && v < 2.5 {
					return v
				}
			}
		}},
		{"periodic uniform", Options{Periodic: []string{"x"}}, func() float64 { return math.Pi * (2*rng.Float64() - 1) }},
	}
	for _, tc := range cases {
		x := make([]float64, rows)
		for i := range x {
			x[i] = tc.draw()
		}
		s, err := Fit(x, rows, []string{"x"}, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		const n = 200000
		yg := make([]float64, n)
		for k := range yg {
			yg[k] = -12 + 24*float64(k)/(n-1)
		}
		grid := make([]float64, n)
		s.ToData64(grid, yg, n)
		y, ld := make([]float64, n), make([]float64, n)
		if err := s.ToLatent64(y, grid, n, ld, nil); err != nil {
			t.Fatal(err)
		}
		var integral float64
		for k := 1; k < n; k++ {
			f0, f1 := math.Exp(logNormal(y[k-1])+ld[k-1]), math.Exp(logNormal(y[k])+ld[k])
			integral += 0.5 * (f0 + f1) * (grid[k] - grid[k-1])
		}
		t.Logf("%s: integral of the pulled-back N(0,1) density = %.9f", tc.name, integral)
		if math.Abs(integral-1) > 1e-6 || !slices.IsSorted(grid) {
			t.Errorf("%s: density integrates to %.9f, want 1", tc.name, integral)
		}
	}
}

// TestDiscreteMass: for a discrete column, exp(log p_y(y) + logdet) averaged
// over the noise v is the mass p_y gives the level's bin less its guard
// slivers, Phi(y(v->1)) - Phi(y(v=0)); and the masses sum to 1 less the
// slivers.
func TestDiscreteMass(t *testing.T) {
	levels := []float64{-1, 0, 2, 7}
	weights := []int{5, 1, 3, 1}
	var train []float64
	for l, w := range weights {
		for range 100 * w {
			train = append(train, levels[l])
		}
	}
	s, err := Fit(train, len(train), []string{"q"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k := s.Columns()[0].Kind; k != KindDiscrete {
		t.Fatalf("kind %s, want discrete", k)
	}
	const n = 1 << 14
	nodes := make([]float64, n)
	for k := range nodes {
		nodes[k] = (float64(k) + 0.5) / n
	}
	var total float64
	for _, lv := range levels {
		x := make([]float64, n)
		for k := range x {
			x[k] = lv
		}
		y, ld := make([]float64, n), make([]float64, n)
		if err := s.ToLatent64(y, x, n, ld, fixedRand(nodes...)); err != nil {
			t.Fatal(err)
		}
		var mid float64
		for k := range y {
			mid += math.Exp(logNormal(y[k]) + ld[k])
		}
		mid /= n
		ylo, _ := latent1(t, s, lv, 0)
		yhi, _ := latent1(t, s, lv, 1-1.0/(1<<53))
		want := normalCDF(yhi) - normalCDF(ylo)
		t.Logf("level %v: mass %.9f, Phi difference %.9f", lv, mid, want)
		if math.Abs(mid-want) > 1e-6*want {
			t.Errorf("level %v: averaged exp(log p) = %.9f, want %.9f", lv, mid, want)
		}
		total += mid
	}
	// The slivers hold about 2*DequantGuard of the mass.
	if !(total < 1 && total > 1-4*DequantGuard) {
		t.Errorf("level masses sum to %.9f, want in (1-%g, 1)", total, 4*DequantGuard)
	}
}
