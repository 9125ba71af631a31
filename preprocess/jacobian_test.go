package preprocess

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// single returns a one-column scaler with column j's fitted parameters, so
// ToLatent64's logdet is that column's log|dy/ds| alone.
func single(t *testing.T, s *Scaler, j int) *Scaler {
	t.Helper()
	one, err := newScaler(s.beta, s.guard, []Column{s.Columns()[j]})
	if err != nil {
		t.Fatal(err)
	}
	return one
}

// latent1 is y and log|dy/ds| of a one-column scaler at x, with noise v for a
// discrete column.
func latent1(t *testing.T, s *Scaler, x, v float64) (y, ld float64) {
	t.Helper()
	yy, l := []float64{0}, []float64{0}
	if err := s.ToLatent64(yy, []float64{x}, 1, l, fixedRand(v)); err != nil {
		t.Fatal(err)
	}
	return yy[0], l[0]
}

// TestLogDetFiniteDifference checks every column's log|dy/ds| against a
// central difference of the float64 map: in x for continuous and periodic
// columns, in the noise v for discrete ones.
func TestLogDetFiniteDifference(t *testing.T) {
	const rows = 3000
	x := testData(rows, 11)
	s, err := Fit(x, rows, testCols, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for j, c := range s.Columns() {
		one := single(t, s, j)
		worst := 0.0
		for range 200 {
			var fd, ld float64
			if c.Kind == KindDiscrete {
				// v on the 2^-40 grid so fixedRand returns it exactly; the
				// step is a multiple of the grid too.
				v := math.Round((0.01+0.98*rng.Float64())*(1<<40)) / (1 << 40)
				h := 1.0 / (1 << 20)
				lv := c.Levels[rng.IntN(len(c.Levels))]
				yp, _ := latent1(t, one, lv, v+h)
				ym, _ := latent1(t, one, lv, v-h)
				_, ld = latent1(t, one, lv, v)
				fd = (yp - ym) / (2 * h)
			} else {
				// Anywhere in the range, including the margins and near the
				// edges, with a step small against the distance to the edge.
				u := math.Pow(rng.Float64(), 3)
				if rng.IntN(2) == 0 {
					u = 1 - u
				}
				u = 1e-4 + (1-2e-4)*u
				xv := c.Min + u*(c.Max-c.Min)
				h := 1e-4 * min(u, 1-u) * (c.Max - c.Min)
				yp, _ := latent1(t, one, xv+h, 0)
				ym, _ := latent1(t, one, xv-h, 0)
				_, ld = latent1(t, one, xv, 0)
				fd = (yp - ym) / (2 * h)
			}
			rel := math.Abs(math.Exp(ld)-fd) / fd
			worst = max(worst, rel)
		}
		t.Logf("%-5s (%s) worst |exp(logdet) - FD|/FD = %.2g", c.Name, c.Kind, worst)
		if worst > 1e-6 {
			t.Errorf("column %q: log-det disagrees with finite differences by %g relative, want <= 1e-6", c.Name, worst)
		}
	}
}

// TestLogDetSumsColumns: a row's logdet is the sum of its columns' terms and
// y_j depends on x_j only (the Jacobian is diagonal).
func TestLogDetSumsColumns(t *testing.T) {
	const rows = 500
	x := testData(rows, 12)
	s, err := Fit(x, rows, testCols, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	d := s.Dim()
	row := x[:d]
	noise := []float64{0.25, 0.75} // for btag, njet in order
	y, ld := make([]float64, d), []float64{0}
	if err := s.ToLatent64(y, row, 1, ld, fixedRand(noise...)); err != nil {
		t.Fatal(err)
	}
	var sum float64
	k := 0
	for j, c := range s.Columns() {
		v := 0.0
		if c.Kind == KindDiscrete {
			v = noise[k]
			k++
		}
		yj, lj := latent1(t, single(t, s, j), row[j], v)
		if yj != y[j] {
			t.Errorf("column %q: y %v in the full row, %v alone", c.Name, y[j], yj)
		}
		sum += lj
	}
	if math.Abs(sum-ld[0]) > 1e-12*math.Abs(sum) {
		t.Errorf("row logdet %v, sum of column terms %v", ld[0], sum)
	}
	// Perturbing one column moves only its own output.
	for j := range d {
		if s.Columns()[j].Kind == KindDiscrete {
			continue
		}
		moved := append([]float64(nil), row...)
		moved[j] += 1e-3
		y2 := make([]float64, d)
		if err := s.ToLatent64(y2, moved, 1, []float64{0}, fixedRand(noise...)); err != nil {
			t.Fatal(err)
		}
		for k := range d {
			if (k == j) == (y2[k] == y[k]) {
				t.Errorf("perturbing column %d: output %d went from %v to %v", j, k, y[k], y2[k])
			}
		}
	}
}

// TestTrainingStandardized: on the training rows the outputs have mean 0 and
// std 1 per column: exactly (to rounding) for continuous columns, within
// sampling error of the dequantization noise for discrete ones.
func TestTrainingStandardized(t *testing.T) {
	const rows = 5000
	x := testData(rows, 13)
	s, err := Fit(x, rows, testCols, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	d := s.Dim()
	y := make([]float64, rows*d)
	if err := s.ToLatent64(y, x, rows, make([]float64, rows), rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	for j, c := range s.Columns() {
		var s1, s2 float64
		for i := range rows {
			s1 += y[i*d+j]
			s2 += y[i*d+j] * y[i*d+j]
		}
		mean := s1 / rows
		std := math.Sqrt(s2/rows - mean*mean)
		tolMean, tolStd := 1e-9, 1e-9
		if c.Kind == KindDiscrete {
			// Noise only moves y within a level: 5 sigma of a mean of rows
			// draws with variance at most 1.
			tolMean, tolStd = 5/math.Sqrt(rows), 5*math.Sqrt(2.0/rows)
		}
		if math.Abs(mean) > tolMean || math.Abs(std-1) > tolStd {
			t.Errorf("column %q (%s): training y has mean %.3g std %.6g, want 0, 1 within %.2g, %.2g", c.Name, c.Kind, mean, std, tolMean, tolStd)
		}
	}
}

func TestDomainErrors(t *testing.T) {
	const rows = 1000
	x := testData(rows, 14)
	s, err := Fit(x, rows, testCols, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	cols := s.Columns()
	d := s.Dim()
	good := append([]float64(nil), x[:2*d]...)
	cases := []struct {
		name  string
		col   int
		value float64
		ok    bool
	}{
		{"pt inside the margin", 0, cols[0].Min + 1e-9*(cols[0].Max-cols[0].Min), true},
		{"pt below the widened range (tail)", 0, cols[0].Min - 1e-3*(cols[0].Max-cols[0].Min), true},
		{"pt far above (tail)", 0, 1e6, true},
		{"eta NaN", 1, math.NaN(), false},
		{"eta +Inf", 1, math.Inf(1), false},
		{"phi exactly pi", 2, math.Pi, true},
		{"phi beyond pi (tail)", 2, math.Pi + 1e-3, true},
		{"unseen b-tag level", 3, 1.5, false},
		{"njet 7 unseen", 5, 7, false},
	}
	for _, tc := range cases {
		in := append([]float64(nil), good...)
		in[d+tc.col] = tc.value // second row
		y := make([]float32, 2*d)
		for i := range y {
			y[i] = 42
		}
		ld := []float64{3, 4}
		err := s.ToLatent(y, in, 2, ld, rand.New(rand.NewPCG(1, 1)))
		if tc.ok {
			if err != nil {
				t.Errorf("%s: unexpected error %v", tc.name, err)
			}
			continue
		}
		var de *DomainError
		if !errors.As(err, &de) {
			t.Errorf("%s: error %v, want a *DomainError", tc.name, err)
			continue
		}
		if de.Row != 1 || de.Col != tc.col || de.Column != testCols[tc.col] {
			t.Errorf("%s: error names row %d column %d %q, want row 1 column %d %q", tc.name, de.Row, de.Col, de.Column, tc.col, testCols[tc.col])
		}
		t.Logf("%s: %v", tc.name, err)
		if ld[0] != 3 || ld[1] != 4 || y[0] != 42 || y[2*d-1] != 42 {
			t.Errorf("%s: outputs written despite the error", tc.name)
		}
		if err := s.Check(in[d:], 1); err == nil {
			t.Errorf("%s: Check on the bad row alone says fine", tc.name)
		}
		if err := s.Check(in[:d], 1); err != nil {
			t.Errorf("%s: Check on the good row: %v", tc.name, err)
		}
	}
	if err := s.ToLatent(make([]float32, d), good[:d], 1, []float64{0}, nil); err == nil {
		t.Error("nil generator with discrete columns accepted")
	}
}

// TestContinuousPlusDequantize: ToLatentContinuous then Dequantize is ToLatent
// (same noise, same outputs, same logdet up to the order of the sum).
func TestContinuousPlusDequantize(t *testing.T) {
	const rows = 300
	x := testData(rows, 15)
	s, err := Fit(x, rows, testCols, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	d := s.Dim()
	y1, y2 := make([]float32, rows*d), make([]float32, rows*d)
	ld1, ld2 := make([]float64, rows), make([]float64, rows)
	if err := s.ToLatent(y1, x, rows, ld1, rand.New(rand.NewPCG(3, 3))); err != nil {
		t.Fatal(err)
	}
	if err := s.ToLatentContinuous(y2, x, rows, ld2); err != nil {
		t.Fatal(err)
	}
	if err := s.Dequantize(y2, x, rows, ld2, rand.New(rand.NewPCG(3, 3))); err != nil {
		t.Fatal(err)
	}
	for i := range y1 {
		if y1[i] != y2[i] {
			t.Fatalf("value %d: %v from ToLatent, %v from the two parts", i, y1[i], y2[i])
		}
	}
	for i := range ld1 {
		if math.Abs(ld1[i]-ld2[i]) > 1e-12*math.Abs(ld1[i]) {
			t.Fatalf("row %d: logdet %v from ToLatent, %v from the two parts", i, ld1[i], ld2[i])
		}
	}
	// A second Dequantize draws new noise for the discrete columns only.
	y3 := append([]float32(nil), y2...)
	if err := s.Dequantize(y3, x, rows, make([]float64, rows), rand.New(rand.NewPCG(4, 4))); err != nil {
		t.Fatal(err)
	}
	for j, c := range s.Columns() {
		same := true
		for i := range rows {
			same = same && y3[i*d+j] == y2[i*d+j]
		}
		if same != (c.Kind != KindDiscrete) {
			t.Errorf("column %q (%s): unchanged by new noise = %v", c.Name, c.Kind, same)
		}
	}
}
