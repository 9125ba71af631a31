package preprocess

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// fitSA fits one column of n draws with the asinh scaling and returns a
// one-column scaler and its column.
func fitSA(t *testing.T, n int, draw func(*rand.Rand) float64) (*Scaler, Column) {
	t.Helper()
	rng := rand.New(rand.NewPCG(9, 9))
	x := make([]float64, n)
	for i := range x {
		x[i] = draw(rng)
	}
	s, err := Fit(x, n, []string{"x"}, Options{Scaling: ScalingAsinh})
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Columns()[0]
}

// TestSinhArcsinhMaps: the unbounded and positive maps are C1 at the
// junctions with their linear continuations, strictly increasing over the
// whole line, exactly invertible, their log-Jacobian matches finite
// differences inside and beyond the fitted range, and a positive column's
// inverse stays above its shift for any y.
func TestSinhArcsinhMaps(t *testing.T) {
	cases := []struct {
		name string
		kind Kind
		draw func(*rand.Rand) float64
	}{
		{"gaussian", KindUnbounded, func(r *rand.Rand) float64 { return 3 + 2*r.NormFloat64() }},
		{"student-t(3)", KindUnbounded, func(r *rand.Rand) float64 {
			c := 0.0
			for range 3 {
				g := r.NormFloat64()
				c += g * g
			}
			return r.NormFloat64() / math.Sqrt(c/3)
		}},
		{"pT above a cut", KindPositive, func(r *rand.Rand) float64 { return 25 + 30*r.ExpFloat64() }},
		{"mass from 0", KindPositive, func(r *rand.Rand) float64 { return 40 * r.ExpFloat64() * r.ExpFloat64() }},
	}
	for _, tc := range cases {
		s, c := fitSA(t, 3000, tc.draw)
		if c.Kind != tc.kind {
			t.Fatalf("%s: kind %s, want %s", tc.name, c.Kind, tc.kind)
		}
		w := c.Max - c.Min
		for _, edge := range []float64{c.Min, c.Max} {
			y0, l0 := latent1(t, s, edge, 0)
			step := 1e-9 * w
			if tc.kind == KindPositive {
				step = 1e-9 * (c.Min - c.Shift)
			}
			for _, dx := range []float64{-step, step} {
				y1, l1 := latent1(t, s, edge+dx, 0)
				if math.Abs(y1-y0) > 1e-6 || math.Abs(l1-l0) > 1e-5 || (y1-y0)*dx < 0 {
					t.Errorf("%s: at the junction %v%+g: y %v -> %v, logdet %v -> %v: want C1 and increasing", tc.name, edge, dx, y0, y1, l0, l1)
				}
			}
		}
		prev := math.Inf(-1)
		for k := -40; k <= 40; k++ {
			// From far below to far above, log-spaced away from the range.
			mid := (c.Min + c.Max) / 2
			x := mid + math.Copysign(w*(math.Pow(10, math.Abs(float64(k))/8)-1)/4, float64(k))
			y, ld := latent1(t, s, x, 0)
			if !(y > prev) || math.IsNaN(ld) || math.IsInf(ld, 0) {
				t.Fatalf("%s: x = %g: y %v after %v, logdet %v: want finite and increasing", tc.name, x, y, prev, ld)
			}
			prev = y
			back := []float64{0}
			s.ToData64(back, []float64{y}, 1)
			if math.Abs(back[0]-x) > 1e-8*max(w, math.Abs(x)) {
				t.Errorf("%s: round trip of %g gives %.17g", tc.name, x, back[0])
			}
			h := 1e-6 * max(w, math.Abs(x-mid))
			if tc.kind == KindPositive && x < c.Shift+positiveGuard*(c.Min-c.Shift)+h && x > c.Shift-h {
				continue // around the guard's C1 junction, far sharper than h
			}
			if math.Abs(x-c.Min) < 2*h || math.Abs(x-c.Max) < 2*h {
				continue
			}
			yp, _ := latent1(t, s, x+h, 0)
			ym, _ := latent1(t, s, x-h, 0)
			fd := (yp - ym) / (2 * h)
			if rel := math.Abs(math.Exp(ld)-fd) / fd; rel > 1e-5 {
				t.Errorf("%s: x = %g: exp(logdet) %g, finite difference %g (rel %.2g)", tc.name, x, math.Exp(ld), fd, rel)
			}
		}
		if tc.kind == KindPositive {
			// 8 standard deviations below the lowest training value: still
			// above the shift.
			yMin, _ := latent1(t, s, c.Min+(c.Min-c.Shift), 0) // the training minimum
			for _, y := range []float64{yMin - 3, yMin - 8} {
				back := []float64{0}
				s.ToData64(back, []float64{y}, 1)
				if !(back[0] > c.Shift) {
					t.Errorf("%s: y = %g generates %v, below the shift %v", tc.name, y, back[0], c.Shift)
				}
			}
		}
		if tc.kind == KindPositive {
			// Below the shift (impossible for a true pT or mass) the density
			// is small but of the order of the far upper tail's, not absurd.
			yb, ldb := latent1(t, s, c.Shift-0.1*w, 0)
			if math.Abs(yb) > 50 || ldb < -50 {
				t.Errorf("%s: a tenth of the width below the shift: y %v, logdet %v", tc.name, yb, ldb)
			}
		}
		// Far samples land a modest distance out: y = 30 (30 sigma) is
		// within a few hundred widths.
		back := []float64{0}
		s.ToData64(back, []float64{30}, 1)
		if !(back[0] < c.Max+300*w) {
			t.Errorf("%s: y = 30 generates %v, range [%v, %v]", tc.name, back[0], c.Min, c.Max)
		}
	}
}

// TestSinhArcsinhJSON: the new kinds survive the model file's JSON bit for
// bit, and their corrupt forms are refused.
func TestSinhArcsinhJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const rows = 2000
	x := make([]float64, 0, 2*rows)
	for range rows {
		x = append(x, rng.NormFloat64(), 20+10*rng.ExpFloat64())
	}
	s, err := Fit(x, rows, []string{"eta", "pt"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Scaler
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	y1, y2, l1, l2 := make([]float64, 2*rows), make([]float64, 2*rows), make([]float64, rows), make([]float64, rows)
	s.ToLatent64(y1, x, rows, l1, nil)
	back.ToLatent64(y2, x, rows, l2, nil)
	for i := range y1 {
		if y1[i] != y2[i] {
			t.Fatalf("value %d maps to %v before and %v after JSON", i, y1[i], y2[i])
		}
	}
	good := string(b)
	if !strings.Contains(good, `"kind":"unbounded"`) || !strings.Contains(good, `"kind":"positive"`) {
		t.Fatalf("JSON %s: want an unbounded and a positive column", good)
	}
	for _, tc := range []struct{ from, to, want string }{
		{`"kind":"positive",`, `"kind":"unbounded",`, "shift for positive"},
		{`"kind":"unbounded",`, `"kind":"positive",`, "shift for positive"},
		{`"scale":`, `"scalex":`, "unknown field"},
		{`"shift":`, `"shift":1e9,"x":`, "unknown field"},
	} {
		bad := strings.Replace(good, tc.from, tc.to, 1)
		var loaded Scaler
		err := json.Unmarshal([]byte(bad), &loaded)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s: error %v, want one mentioning %q", tc.from, tc.to, err, tc.want)
		}
	}
}
