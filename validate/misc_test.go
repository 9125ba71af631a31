package validate

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// TestCorrelation: weighted Pearson against gonum's stat.Correlation, and a
// known correlation of 0.6 recovered within 5 sigma (sd ~ (1-r^2)/sqrt n).
func TestCorrelation(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	const n = 20000
	s := Sample{Data: make([]float64, 3*n), Rows: n, Cols: 3, Weights: make([]float64, n)}
	for i := range n {
		x, y := rng.NormFloat64(), rng.NormFloat64()
		s.Data[3*i] = x
		s.Data[3*i+1] = 0.6*x + 0.8*y
		s.Data[3*i+2] = 5 // constant column
		s.Weights[i] = 0.5 + rng.Float64()
	}
	c := Correlation(s)
	x0, x1 := s.Column(0, nil), s.Column(1, nil)
	if want := stat.Correlation(x0, x1, s.Weights); math.Abs(c[0][1]-want) > 1e-12 {
		t.Errorf("corr %g, gonum %g", c[0][1], want)
	}
	if math.Abs(c[0][1]-0.6) > 5*0.64/math.Sqrt(n) {
		t.Errorf("corr %g, want 0.6", c[0][1])
	}
	if c[0][2] != 0 || c[2][2] != 1 || c[1][0] != c[0][1] {
		t.Errorf("constant column / symmetry: %v", c)
	}
	u := s
	u.Weights = nil
	v := gaussSample(rng, n, 3, -1, 0)
	r, err := CompareCorrelations(v, u)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.MaxAbsDiff-math.Abs(r.Diff[0][1])) > 1e-15 || r.MaxPair != [2]string{"x0", "x1"} {
		t.Errorf("max diff %g at %v, want the (x0,x1) entry %g", r.MaxAbsDiff, r.MaxPair, r.Diff[0][1])
	}
}

// TestCutInvariance: same distribution -> pass fractions agree within the
// binomial error and the error is sqrt(f(1-f)/n); a shifted candidate fails.
func TestCutInvariance(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(53, 54))
	const n = 10000
	a, b := gaussSample(rng, n, 3, -1, 0), gaussSample(rng, n, 3, -1, 0)
	pass := func(row []float64) bool { return row[0] > 0.5 }
	r, err := CutInvariance(ctx, "x0 > 0.5", a, b, pass, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := math.Sqrt(r.PassA * (1 - r.PassA) / n); math.Abs(r.ErrA-want) > 1e-12 {
		t.Errorf("binomial error %g, want %g", r.ErrA, want)
	}
	// Phi(-0.5) = 0.3085.
	if math.Abs(r.PassA-0.3085) > 5*r.ErrA || math.Abs(r.Pull) > 4 {
		t.Errorf("pass fractions %g %g, pull %g", r.PassA, r.PassB, r.Pull)
	}
	if r.Selection == nil || r.Selection.NA != r.RowsA || r.RowsA != int(math.Round(r.PassA*n)) {
		t.Fatalf("selection missing or wrong size: %+v", r)
	}
	// After the cut x0 is a truncated Gaussian in both: still compatible.
	if p := r.Selection.Features[0].Chi2.P; p < 1e-3 {
		t.Errorf("cut feature chi2 p = %g for identical distributions", p)
	}
	shifted := gaussSample(rng, n, 3, 0, 0.2)
	r, _ = CutInvariance(ctx, "x0 > 0.5", a, shifted, pass, CompareOptions{})
	if r.PullP > 1e-6 || r.Diff <= 0 {
		t.Errorf("shifted candidate: diff %g pull %g p %g, want a clear excess", r.Diff, r.Pull, r.PullP)
	}
}

// TestLatentCheck: N(0,I) codes pass, codes with a 10% too wide dimension fail
// on that dimension and on |z|^2.
func TestLatentCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(55, 56))
	const n, d = 20000, 5
	z := make([]float64, n*d)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	r, err := CheckLatent(z, n, d)
	if err != nil {
		t.Fatal(err)
	}
	// 5 dims + |z|^2: a p-value below 1e-3 by chance has probability < 0.6%.
	if r.MinP < 1e-3 || r.Norm2.P < 1e-3 {
		t.Errorf("N(0,I) rejected: min p %g, |z|^2 p %g", r.MinP, r.Norm2.P)
	}
	if math.Abs(r.Norm2Mean-d) > 5*math.Sqrt(2*d/float64(n)) {
		t.Errorf("mean |z|^2 %g, want %d", r.Norm2Mean, d)
	}
	if h := r.Dims[0].Hist; h.Total() != n || len(h.Sum) != LatentBins {
		t.Errorf("latent histogram total %g bins %d", h.Total(), len(h.Sum))
	}
	for i := 0; i < n; i++ {
		z[i*d+3] *= 1.1
	}
	r, _ = CheckLatent(z, n, d)
	if r.Dims[3].KS.P > 1e-6 || r.Norm2.P > 1e-3 {
		t.Errorf("wide dimension not caught: dim p %g, |z|^2 p %g", r.Dims[3].KS.P, r.Norm2.P)
	}
	if r.Dims[0].KS.P < 1e-4 {
		t.Errorf("untouched dimension rejected: p %g", r.Dims[0].KS.P)
	}
}

// TestLogisticRecoversCoefficients: labels drawn from a known logistic model.
func TestLogisticRecoversCoefficients(t *testing.T) {
	rng := rand.New(rand.NewPCG(57, 58))
	const n = 50000
	x := make([]float64, 2*n)
	y := make([]float64, n)
	for i := range n {
		x[2*i], x[2*i+1] = 3+2*rng.NormFloat64(), rng.NormFloat64()
		if rng.Float64() < sigmoid(-1+0.5*x[2*i]-1.5*x[2*i+1]) {
			y[i] = 1
		}
	}
	var l Logistic
	if err := l.Fit(context.Background(), x, n, 2, y, nil); err != nil {
		t.Fatal(err)
	}
	b0, b := l.Coefficients()
	// Standard errors at n = 5e4 are ~0.02; allow 5 sigma.
	if math.Abs(b0+1) > 0.1 || math.Abs(b[0]-0.5) > 0.05 || math.Abs(b[1]+1.5) > 0.1 {
		t.Errorf("coefficients %g %v, want -1 [0.5 -1.5]", b0, b)
	}
	p := make([]float64, 1)
	l.Predict(p, []float64{3, 0}, 1)
	if want := sigmoid(-1 + 1.5); math.Abs(p[0]-want) > 0.03 {
		t.Errorf("P(1|x) %g, want %g", p[0], want)
	}
	// Separable data stays finite.
	xs := []float64{-2, -1, 1, 2}
	ys := []float64{0, 0, 1, 1}
	var ls Logistic
	if err := ls.Fit(context.Background(), xs, 4, 1, ys, nil); err != nil {
		t.Fatal(err)
	}
	if _, c := ls.Coefficients(); math.IsInf(c[0], 0) || math.IsNaN(c[0]) || c[0] <= 0 {
		t.Errorf("separable coefficient %v", c)
	}
}

// TestPlattRecoversCalibration: raw scores s with true P(1|s) =
// sigmoid(2 logit(s) - 0.5) give A = 2, B = -0.5.
func TestPlattRecoversCalibration(t *testing.T) {
	rng := rand.New(rand.NewPCG(59, 60))
	const n = 50000
	s, y := make([]float64, n), make([]float64, n)
	for i := range s {
		s[i] = sigmoid(rng.NormFloat64())
		if rng.Float64() < sigmoid(2*logit(s[i])-0.5) {
			y[i] = 1
		}
	}
	p := FitPlatt(s, y, nil)
	if math.Abs(p.A-2) > 0.15 || math.Abs(p.B+0.5) > 0.08 {
		t.Errorf("Platt %+v, want A 2, B -0.5", p)
	}
	if math.Abs(p.Apply(0.5)-sigmoid(p.B)) > 1e-15 || math.Abs(p.LogRatio(0.5)-p.B) > 1e-15 {
		t.Error("Apply/LogRatio inconsistent")
	}
}
