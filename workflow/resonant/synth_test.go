package resonant

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"hepflow/data"
	"hepflow/validate"
)

// The model as specified, restated here independently of synth.go's
// tables, so that a slip in either shows up as a disagreement.
// Background: m ~ Exp(scale 1.5) truncated to [1, 7]; x_j | m normal with
// mean specMean0[j] + specMean1[j] m, sd specSD0[j] + specSD1[j] m and
// correlation specCorr. Signal: m ~ N(4, 0.15), x1 ~ N(3.5, 0.3),
// x2 ~ N(-1.5, 0.3), (x3, x4) | m as the background's.
var (
	specMean0 = []float64{0, 0.5, 0, 1}
	specMean1 = []float64{0.5, -0.3, 0.2, -0.1}
	specSD0   = []float64{1, 1, 0.5, 0.8}
	specSD1   = []float64{0, 0, 0.2, 0}
	specCorr  = [][]float64{
		{1, 0.4, 0.2, 0},
		{0.4, 1, 0.3, 0.1},
		{0.2, 0.3, 1, 0.2},
		{0, 0.1, 0.2, 1},
	}
)

const specScale = 1.5

// specMassCDF is the background m distribution function.
func specMassCDF(m float64) float64 {
	return (1 - math.Exp(-(m-1)/specScale)) / (1 - math.Exp(-6/specScale))
}

// rowsWithLabel returns the rows of t with the given label, without the label.
func rowsWithLabel(t *data.Table, label float64) [][]float64 {
	var out [][]float64
	for i := range t.Rows() {
		r := t.Row(i)
		if r[5] == label {
			out = append(out, slices.Clone(r[:5]))
		}
	}
	return out
}

func TestGenerateTable(t *testing.T) {
	s := Synthetic{Background: 3000, Signal: 1000, Seed: 5}
	tab := s.Generate()
	if !slices.Equal(tab.Columns, []string{"m", "x1", "x2", "x3", "x4", "label"}) || tab.Rows() != 4000 {
		t.Fatalf("columns %v, %d rows", tab.Columns, tab.Rows())
	}
	if err := tab.CheckFinite(); err != nil {
		t.Fatal(err)
	}
	lab, _ := tab.Column(Label)
	nsig, firstHalf := 0, 0
	for i, v := range lab {
		switch v {
		case 1:
			nsig++
			if i < len(lab)/2 {
				firstHalf++
			}
		case 0:
		default:
			t.Fatalf("label %g", v)
		}
	}
	// Shuffled: about half the signal in the first half (binomial sd 16).
	if nsig != 1000 || firstHalf < 400 || firstHalf > 600 {
		t.Errorf("%d signal rows, %d in the first half of the table", nsig, firstHalf)
	}
	m, _ := tab.Column("m")
	if lo, hi := slices.Min(m), slices.Max(m); lo < MassLo || hi > MassHi {
		t.Errorf("m spans [%g, %g], outside [%g, %g]", lo, hi, MassLo, MassHi)
	}
	if again := s.Generate(); !slices.Equal(again.Data, tab.Data) {
		t.Error("the same seed gave another table")
	}
	s.Seed++
	if other := s.Generate(); slices.Equal(other.Data, tab.Data) {
		t.Error("another seed gave the same table")
	}
	if empty := (Synthetic{}).Generate(); empty.Rows() != 0 || len(empty.Columns) != 6 {
		t.Errorf("empty: %d rows, %d columns", empty.Rows(), len(empty.Columns))
	}
	defer func() {
		if recover() == nil {
			t.Error("negative count did not panic")
		}
	}()
	Synthetic{Background: -1}.Generate()
}

// TestBackgroundMassHistogram: the background m histogram against the
// analytic bin probabilities, by a chi2 test.
func TestBackgroundMassHistogram(t *testing.T) {
	const n, bins = 200_000, 24
	tab := Synthetic{Background: n, Seed: 1}.Generate()
	m, _ := tab.Column("m")
	var counts [bins]float64
	for _, v := range m {
		k := min(int((v-1)/6*bins), bins-1)
		counts[k]++
	}
	var chi2 float64
	for k, c := range counts {
		lo, hi := 1+6*float64(k)/bins, 1+6*float64(k+1)/bins
		e := n * (specMassCDF(hi) - specMassCDF(lo))
		chi2 += (c - e) * (c - e) / e
		if math.Abs(c-e) > 5*math.Sqrt(e) {
			t.Errorf("bin [%.2f, %.2f): %g events, expected %.1f", lo, hi, c, e)
		}
	}
	p := distuv.ChiSquared{K: bins - 1}.Survival(chi2)
	t.Logf("chi2 %.1f / %d dof, p %.3f", chi2, bins-1, p)
	if p < 1e-3 {
		t.Errorf("m histogram: chi2 %.1f for %d dof, p %.2g", chi2, bins-1, p)
	}
}

// moments gives the analytic mean vector and covariance of (m, x1..x4)
// when x_j | m has mean mean0[j] + mean1[j] m, sd sd0[j] + sd1[j] m and
// correlation corr, from E[m] and Var m alone:
//
//	Cov(m, x_j)   = b_j Var m
//	Cov(x_i, x_j) = b_i b_j Var m + R_ij E[s_i(m) s_j(m)].
type moments struct {
	em, vm                 float64
	mean0, mean1, sd0, sd1 []float64
	corr                   [][]float64
}

func (mo moments) mean() []float64 {
	out := []float64{mo.em}
	for j := range mo.mean0 {
		out = append(out, mo.mean0[j]+mo.mean1[j]*mo.em)
	}
	return out
}

func (mo moments) cov() [][]float64 {
	em2 := mo.vm + mo.em*mo.em
	c := make([][]float64, 5)
	for i := range c {
		c[i] = make([]float64, 5)
	}
	c[0][0] = mo.vm
	for j := range 4 {
		c[0][j+1] = mo.mean1[j] * mo.vm
		c[j+1][0] = c[0][j+1]
		for i := range 4 {
			ess := mo.sd0[i]*mo.sd0[j] + (mo.sd0[i]*mo.sd1[j]+mo.sd1[i]*mo.sd0[j])*mo.em + mo.sd1[i]*mo.sd1[j]*em2
			c[i+1][j+1] = mo.mean1[i]*mo.mean1[j]*mo.vm + mo.corr[i][j]*ess
		}
	}
	return c
}

// checkMoments compares the sample means and covariances of rows with the
// analytic ones, within 5 standard errors estimated from the sample (the
// variance of x for a mean, of (x - mean)(y - mean) for a covariance).
func checkMoments(t *testing.T, what string, rows [][]float64, mo moments) {
	t.Helper()
	n := float64(len(rows))
	want, wantCov := mo.mean(), mo.cov()
	mean := make([]float64, 5)
	for _, r := range rows {
		for j := range mean {
			mean[j] += r[j] / n
		}
	}
	names := []string{"m", "x1", "x2", "x3", "x4"}
	for i := range 5 {
		for j := i; j < 5; j++ {
			var s, s2 float64
			for _, r := range rows {
				p := (r[i] - mean[i]) * (r[j] - mean[j])
				s += p
				s2 += p * p
			}
			c := s / n
			se := math.Sqrt((s2/n - c*c) / n)
			if math.Abs(c-wantCov[i][j]) > 5*se {
				t.Errorf("%s: cov(%s, %s) %.5f, want %.5f (se %.5f)", what, names[i], names[j], c, wantCov[i][j], se)
			}
			if i == j {
				if se := math.Sqrt(c / n); math.Abs(mean[i]-want[i]) > 5*se {
					t.Errorf("%s: mean %s %.5f, want %.5f (se %.5f)", what, names[i], mean[i], want[i], se)
				}
			}
		}
	}
}

func TestBackgroundMoments(t *testing.T) {
	// Truncated exponential on [1, 1+c], scale l, y = m - 1, q = exp(-c/l):
	// E[y] = l - c q/(1-q), E[y^2] = 2 l^2 - (c^2 + 2 l c) q/(1-q).
	l, c := specScale, 6.0
	q := math.Exp(-c / l)
	ey := l - c*q/(1-q)
	ey2 := 2*l*l - (c*c+2*l*c)*q/(1-q)
	mo := moments{em: 1 + ey, vm: ey2 - ey*ey, mean0: specMean0, mean1: specMean1, sd0: specSD0, sd1: specSD1, corr: specCorr}
	rows := rowsWithLabel(Synthetic{Background: 400_000, Seed: 2}.Generate(), 0)
	checkMoments(t, "background", rows, mo)

	// The spread of x3 grows with m: its sd in m slices.
	for _, m0 := range []float64{1.5, 5} {
		var s, s2, k float64
		for _, r := range rows {
			if math.Abs(r[0]-m0) < 0.05 {
				d := r[3] - 0.2*r[0]
				s, s2, k = s+d, s2+d*d, k+1
			}
		}
		sd := math.Sqrt(s2/k - (s/k)*(s/k))
		if want := 0.5 + 0.2*m0; math.Abs(sd/want-1) > 5/math.Sqrt(2*k)+0.01 {
			t.Errorf("sd of x3 near m = %g: %.3f, want %.3f (%g events)", m0, sd, want, k)
		}
	}
}

func TestSignalMoments(t *testing.T) {
	mo := moments{
		em: 4, vm: 0.15 * 0.15,
		mean0: []float64{3.5, -1.5, specMean0[2], specMean0[3]},
		mean1: []float64{0, 0, specMean1[2], specMean1[3]},
		sd0:   []float64{0.3, 0.3, specSD0[2], specSD0[3]},
		sd1:   []float64{0, 0, specSD1[2], specSD1[3]},
		corr:  [][]float64{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, specCorr[2][3]}, {0, 0, specCorr[3][2], 1}},
	}
	checkMoments(t, "signal", rowsWithLabel(Synthetic{Signal: 200_000, Seed: 3}.Generate(), 1), mo)
}

// specLogDensities computes both log densities from the restated model
// with gonum (distuv for the 1-D factors, a Cholesky factorization of the
// full covariance for the normal ones).
func specLogDensities(t *testing.T, row []float64) (bkg, sig float64) {
	t.Helper()
	m, x := row[0], row[1:5]
	if !(m >= 1 && m <= 7) {
		return math.Inf(-1), math.Inf(-1)
	}
	exp := distuv.Exponential{Rate: 1 / specScale}
	bkg = exp.LogProb(m-1) - math.Log(exp.CDF(6))
	mu := make([]float64, 4)
	cov := mat.NewSymDense(4, nil)
	for i := range 4 {
		mu[i] = specMean0[i] + specMean1[i]*m
		for j := range 4 {
			cov.SetSym(i, j, specCorr[i][j]*(specSD0[i]+specSD1[i]*m)*(specSD0[j]+specSD1[j]*m))
		}
	}
	bkg += mvnLogProb(t, x, mu, cov)

	mass := distuv.Normal{Mu: 4, Sigma: 0.15}
	sig = mass.LogProb(m) - math.Log(mass.CDF(7)-mass.CDF(1))
	sig += distuv.Normal{Mu: 3.5, Sigma: 0.3}.LogProb(x[0]) + distuv.Normal{Mu: -1.5, Sigma: 0.3}.LogProb(x[1])
	cov2 := mat.NewSymDense(2, nil)
	for i := range 2 {
		for j := range 2 {
			cov2.SetSym(i, j, cov.At(i+2, j+2))
		}
	}
	return bkg, sig + mvnLogProb(t, x[2:], mu[2:], cov2)
}

// mvnLogProb is the multivariate normal log density, through gonum's
// Cholesky factorization of the full covariance.
func mvnLogProb(t *testing.T, x, mu []float64, cov *mat.SymDense) float64 {
	t.Helper()
	var chol mat.Cholesky
	if !chol.Factorize(cov) {
		t.Fatal("covariance not positive definite")
	}
	d := mat.NewVecDense(len(x), nil)
	d.SubVec(mat.NewVecDense(len(x), slices.Clone(x)), mat.NewVecDense(len(mu), slices.Clone(mu)))
	var sol mat.VecDense
	if err := chol.SolveVecTo(&sol, d); err != nil {
		t.Fatal(err)
	}
	return -0.5*mat.Dot(d, &sol) - 0.5*chol.LogDet() - float64(len(x))/2*math.Log(2*math.Pi)
}

// TestLogDensitiesMatchGonum compares both log densities, and the optimal
// score, with an independent computation at generated events, at points
// spread well beyond them, at the mass edges and outside the mass range.
func TestLogDensitiesMatchGonum(t *testing.T) {
	tab := Synthetic{Background: 500, Signal: 500, Seed: 4}.Generate()
	var rows [][]float64
	for i := range tab.Rows() {
		rows = append(rows, tab.Row(i)) // with the label: read up to x4
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for range 500 {
		rows = append(rows, []float64{1 + 6*rng.Float64(), 12*rng.Float64() - 5, 12*rng.Float64() - 7, 12*rng.Float64() - 4, 12*rng.Float64() - 6})
	}
	rows = append(rows, []float64{1, 0.5, 0.2, 0.2, 0.9}, []float64{7, 3.5, -1.6, 1.4, 0.3},
		[]float64{0.999, 0, 0, 0, 0}, []float64{7.001, 0, 0, 0, 0}, []float64{math.NaN(), 0, 0, 0, 0})
	for _, r := range rows {
		wb, ws := specLogDensities(t, r)
		gb, gs, score := LogDensityBackground(r), LogDensitySignal(r), OptimalScore(r)
		if math.IsInf(wb, -1) {
			if !math.IsInf(gb, -1) || !math.IsInf(gs, -1) || !math.IsInf(score, -1) {
				t.Errorf("row %v outside the mass range: log densities %g, %g, score %g, want -Inf", r, gb, gs, score)
			}
			continue
		}
		if math.Abs(gb-wb) > 1e-9*math.Max(1, math.Abs(wb)) || math.Abs(gs-ws) > 1e-9*math.Max(1, math.Abs(ws)) {
			t.Fatalf("row %v: log densities (%.12g, %.12g), want (%.12g, %.12g)", r, gb, gs, wb, ws)
		}
		if math.Abs(score-(ws-wb)) > 1e-9*math.Max(1, math.Abs(ws-wb)) {
			t.Fatalf("row %v: score %.12g, want %.12g", r, score, ws-wb)
		}
	}
}

// TestMassDensitiesIntegrate integrates the m densities over [1, 7] with
// Simpson's rule, and checks them against the CDF on sub-intervals.
func TestMassDensitiesIntegrate(t *testing.T) {
	simpson := func(f func(float64) float64, a, b float64, n int) float64 {
		h := (b - a) / float64(n)
		s := f(a) + f(b)
		for i := 1; i < n; i++ {
			s += float64(2+2*(i%2)) * f(a+float64(i)*h)
		}
		return s * h / 3
	}
	pb := func(m float64) float64 { return math.Exp(LogDensityMassBackground(m)) }
	ps := func(m float64) float64 { return math.Exp(LogDensityMassSignal(m)) }
	if v := simpson(pb, 1, 7, 2000); math.Abs(v-1) > 1e-10 {
		t.Errorf("background m density integrates to %.12f", v)
	}
	if v := simpson(ps, 1, 7, 20000); math.Abs(v-1) > 1e-10 {
		t.Errorf("signal m density integrates to %.12f", v)
	}
	if v, want := simpson(pb, SignalRegionLo, SignalRegionHi, 200), specMassCDF(4.3)-specMassCDF(3.7); math.Abs(v-want) > 1e-12 {
		t.Errorf("background in the signal region %.12f, want %.12f", v, want)
	}
	// ±2 sigma: erf(sqrt 2).
	if v, want := simpson(ps, SignalRegionLo, SignalRegionHi, 2000), math.Erf(math.Sqrt2); math.Abs(v-want) > 1e-10 {
		t.Errorf("signal in the signal region %.12f, want %.12f", v, want)
	}
	for _, m := range []float64{0.99, 7.01, math.NaN()} {
		if !math.IsInf(LogDensityMassBackground(m), -1) || !math.IsInf(LogDensityMassSignal(m), -1) {
			t.Errorf("m = %g outside the range has positive density", m)
		}
	}
}

// TestLikelihoodRatioUnderBackground: E_b[p_s/p_b] = ∫ p_s = 1, and over the
// signal region it is the signal's fraction there, erf(sqrt 2), within the
// Monte-Carlo error. This ties the signal density to the background sampler
// and density.
func TestLikelihoodRatioUnderBackground(t *testing.T) {
	const n = 1_000_000
	tab := Synthetic{Background: n, Seed: 6}.Generate()
	var s, s2, sr, sr2 float64
	for i := range n {
		row := tab.Row(i)
		r := math.Exp(OptimalScore(row))
		s, s2 = s+r, s2+r*r
		if row[0] >= SignalRegionLo && row[0] <= SignalRegionHi {
			sr, sr2 = sr+r, sr2+r*r
		}
	}
	for _, c := range []struct {
		what      string
		sum, sum2 float64
		want      float64
	}{{"whole range", s, s2, 1}, {"signal region", sr, sr2, math.Erf(math.Sqrt2)}} {
		mean := c.sum / n
		se := math.Sqrt((c.sum2/n - mean*mean) / n)
		t.Logf("%s: E_b[p_s/p_b] = %.4f ± %.4f, want %.4f", c.what, mean, se, c.want)
		if math.Abs(mean-c.want) > 5*se {
			t.Errorf("%s: E_b[p_s/p_b] = %.4f ± %.4f, want %.4f", c.what, mean, se, c.want)
		}
	}
}

// srSample is a large generated sample's events in the signal region.
type srSample struct {
	ns, nb       int       // signal and background events generated in all
	score, label []float64 // of the events in the signal region
	x1, negX2    []float64
}

func newSRSample(seed uint64) srSample {
	s := Synthetic{Background: 2_000_000, Signal: 60_000, Seed: seed}
	tab := s.Generate()
	out := srSample{ns: s.Signal, nb: s.Background}
	for i := range tab.Rows() {
		r := tab.Row(i)
		if r[0] >= SignalRegionLo && r[0] <= SignalRegionHi {
			out.score, out.label = append(out.score, OptimalScore(r)), append(out.label, r[5])
			out.x1, out.negX2 = append(out.x1, r[1]), append(out.negX2, -r[2])
		}
	}
	return out
}

// posterior is P(signal | event) = sigmoid(score + log(n_s/n_b)) for a
// sample of n_s signal and n_b background events, cut or not on m.
func (s srSample) posterior(i int) float64 {
	return 1 / (1 + math.Exp(-s.score[i]-math.Log(float64(s.ns)/float64(s.nb))))
}

// bySign splits values by label.
func (s srSample) bySign(v []float64) (sig, bkg []float64) {
	for i, x := range v {
		if s.label[i] == 1 {
			sig = append(sig, x)
		} else {
			bkg = append(bkg, x)
		}
	}
	return sig, bkg
}

// TestOptimalScoreCalibrated: if OptimalScore is the true log likelihood
// ratio, the signal fraction among events with posterior p (from the score
// and the sample's class sizes) is p. Checked in ten bins of p, each within
// its binomial error, and by a chi2 over the bins.
func TestOptimalScoreCalibrated(t *testing.T) {
	s := newSRSample(8)
	const bins = 10
	var obs, exp, vr [bins]float64
	for i := range s.score {
		p := s.posterior(i)
		k := min(int(p*bins), bins-1)
		obs[k] += s.label[i]
		exp[k] += p
		vr[k] += p * (1 - p)
	}
	var chi2 float64
	for k := range bins {
		z := (obs[k] - exp[k]) / math.Sqrt(vr[k])
		chi2 += z * z
		t.Logf("p in [%.1f, %.1f): %6.0f signal, expected %8.1f (z %+.2f)", float64(k)/bins, float64(k+1)/bins, obs[k], exp[k], z)
		if math.Abs(z) > 5 {
			t.Errorf("p in [%.1f, %.1f): %g signal events, expected %.1f ± %.1f", float64(k)/bins, float64(k+1)/bins, obs[k], exp[k], math.Sqrt(vr[k]))
		}
	}
	if p := (distuv.ChiSquared{K: bins}).Survival(chi2); p < 1e-3 {
		t.Errorf("calibration chi2 %.1f for %d bins, p %.2g", chi2, bins, p)
	}
}

// TestOptimalScoreAUC: in the signal region, the AUC of the optimal score
// on the generated labels must equal its analytic value P(score_s >
// score_b) under the model's densities, estimated from the same events
// with each counted as signal with weight P(signal | event) and as
// background with weight 1 - P (bounded weights, unlike p_s/p_b); and no
// single feature may come close (Neyman-Pearson).
func TestOptimalScoreAUC(t *testing.T) {
	s := newSRSample(7)
	sig, bkg := s.bySign(s.score)
	got, err := validate.AUC(sig, nil, bkg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws, wb := make([]float64, len(s.score)), make([]float64, len(s.score))
	for i := range ws {
		ws[i] = s.posterior(i)
		wb[i] = 1 - ws[i]
	}
	want, err := validate.AUC(s.score, ws, s.score, wb)
	if err != nil {
		t.Fatal(err)
	}
	// Var(AUC) <= AUC(1-AUC)/min(n_s, n_b) (Birnbaum-Klose).
	se := math.Sqrt(want * (1 - want) / float64(min(len(sig), len(bkg))))
	t.Logf("signal region: %d signal, %d background; AUC %.5f, analytic %.5f (se %.5f)", len(sig), len(bkg), got, want, se)
	if math.Abs(got-want) > 5*se {
		t.Errorf("AUC of the optimal score %.5f, analytic %.5f ± %.5f", got, want, se)
	}
	for name, v := range map[string][]float64{"x1": s.x1, "-x2": s.negX2} {
		fs, fb := s.bySign(v)
		a, err := validate.AUC(fs, nil, fb, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("AUC of %s alone: %.4f", name, a)
		if a >= got-0.02 {
			t.Errorf("AUC of %s %.4f rivals the optimal score's %.4f", name, a, got)
		}
	}
}
