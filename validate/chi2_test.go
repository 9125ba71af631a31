package validate

import (
	"math"
	"math/rand/v2"
	"testing"
)

func histOf(counts ...float64) Hist {
	e := make([]float64, len(counts)+1)
	for i := range e {
		e[i] = float64(i)
	}
	return Hist{Binning: Binning{Edges: e}, Sum: counts, SumW2: append([]float64(nil), counts...)}
}

// TestChi2KnownTable checks the DESIGN formula against a hand computation.
// A = (10, 20, 30, 0), NA = 60; B = (20, 20, 20, 0), NB = 60 -> c1 = c2 = 1:
// chi2 = 100/30 + 0/40 + 100/50 = 16/3, 3 used bins -> dof 2,
// p = exp(-chi2/2) = exp(-8/3) for 2 dof.
func TestChi2KnownTable(t *testing.T) {
	r := Chi2Test(histOf(10, 20, 30, 0), histOf(20, 20, 20, 0))
	if r.Method != "UU" || r.Dof != 2 || math.Abs(r.Chi2-16.0/3) > 1e-12 || math.Abs(r.P-math.Exp(-8.0/3)) > 1e-12 {
		t.Errorf("got %+v, want chi2 16/3, dof 2, p %g", r, math.Exp(-8.0/3))
	}
	// Unequal sizes: A = (5, 15), B = (30, 10); NA = 20, NB = 40,
	// c1 = sqrt(2), c2 = 1/sqrt(2):
	// bin1 (5*sqrt2 - 30/sqrt2)^2/35 = (10/sqrt2 - 30/sqrt2)^2/35 = 200/35
	// bin2 (15 sqrt2 - 10/sqrt2)^2/25 = (30/sqrt2-10/sqrt2)^2/25 = 200/25
	// chi2 = 40/7 + 8, dof 1, p = erfc(sqrt(chi2/2)).
	r = Chi2Test(histOf(5, 15), histOf(30, 10))
	want := 40.0/7 + 8
	if r.Dof != 1 || math.Abs(r.Chi2-want) > 1e-12 || math.Abs(r.P-math.Erfc(math.Sqrt(want/2))) > 1e-12 {
		t.Errorf("got %+v, want chi2 %g dof 1", r, want)
	}
}

// TestChi2WeightedReducesToUU: the weighted (SPD) statistic equals the UU
// one for unit weights, and is invariant under a global rescaling of the
// weights (all weights 2.5: same events, different units).
func TestChi2WeightedReducesToUU(t *testing.T) {
	a, b := histOf(12, 30, 8, 50, 0), histOf(20, 25, 15, 140, 3)
	ha, va := a.withFlow()
	hb, vb := b.withFlow()
	uu, spd := chi2UU(ha, hb), chi2SPD(ha, va, a.countsWithFlow(), hb, vb, b.countsWithFlow())
	if math.Abs(uu.Chi2-spd.Chi2) > 1e-12*uu.Chi2 || uu.Dof != spd.Dof || spd.Method != "SPD" {
		t.Errorf("UU %+v != SPD %+v", uu, spd)
	}
	for i := range hb {
		hb[i] *= 2.5
		vb[i] *= 2.5 * 2.5
	}
	if s := chi2SPD(ha, va, a.countsWithFlow(), hb, vb, b.countsWithFlow()); math.Abs(uu.Chi2-s.Chi2) > 1e-12*uu.Chi2 {
		t.Errorf("rescaled weights: chi2 %g, want %g", s.Chi2, uu.Chi2)
	}
}

// TestChi2WeightedCalibrated (and weighted KS): reference A ~ N(0,1) unweighted; candidate B
// (a) drawn from N(0.5, 1.2^2) and importance-weighted to N(0,1) (weights
// vary with x), (b) drawn from N(0,1) with Exp(1) weights (independent of x,
// Kish n_eff = n/2). The weighted test must hold its size (~5% at alpha
// 0.05; 400 trials give a binomial sd of 0.011) and reject the unweighted
// shifted B.
func TestChi2WeightedCalibrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const trials, n = 400, 2000
	for _, scen := range []string{"importance", "exponential"} {
		rej, ksRej := 0, 0
		for range trials {
			a, b, w := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range a {
				a[i] = rng.NormFloat64()
				if scen == "exponential" {
					b[i], w[i] = rng.NormFloat64(), rng.ExpFloat64()
					continue
				}
				b[i] = 0.5 + 1.2*rng.NormFloat64()
				// w = N(b; 0, 1) / N(b; 0.5, 1.2^2)
				zb := (b[i] - 0.5) / 1.2
				w[i] = 1.2 * math.Exp(-0.5*b[i]*b[i]+0.5*zb*zb)
			}
			r, err := CompareColumn(a, nil, b, w, BinningOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Chi2.Method != "SPD" {
				t.Fatalf("method %s, want SPD", r.Chi2.Method)
			}
			if r.Chi2.P < 0.05 {
				rej++
			}
			if r.KS.P < 0.05 {
				ksRej++
			}
			if scen == "importance" {
				if unw, _ := CompareColumn(a, nil, b, nil, BinningOptions{}); unw.Chi2.P > 1e-6 {
					t.Fatalf("unweighted shifted sample not rejected: p %g", unw.Chi2.P)
				}
			}
		}
		checkRate(t, "weighted chi2 (SPD), "+scen+" weights", rej, trials, 0.05, 0.02, 0.08)
		checkRate(t, "weighted KS (Kish n_eff), "+scen+" weights", ksRej, trials, 0.05, 0.02, 0.08)
	}
}

func TestDivergences(t *testing.T) {
	a, b := histOf(10, 20, 30, 40), histOf(10, 20, 30, 40)
	if kl := KLDivergence(a, b); kl != 0 {
		t.Errorf("KL of identical histograms %g", kl)
	}
	if d := Chi2Distance(a, b); d != 0 {
		t.Errorf("chi2 distance of identical histograms %g", d)
	}
	if d := Chi2Distance(histOf(5, 0), histOf(0, 7)); math.Abs(d-1) > 1e-15 {
		t.Errorf("chi2 distance of disjoint histograms %g, want 1", d)
	}
	// KL against a hand value: p = (1/4, 3/4), q = (1/2, 1/2), large counts so
	// the half-event regularisation is negligible (~1e-6).
	p, q := histOf(250000, 750000), histOf(500000, 500000)
	want := 0.25*math.Log(0.5) + 0.75*math.Log(1.5)
	if kl := KLDivergence(p, q); math.Abs(kl-want) > 1e-5 {
		t.Errorf("KL %g, want %g", kl, want)
	}
	// An empty bin in B gives a finite, large divergence.
	if kl := KLDivergence(histOf(50, 50), histOf(100, 0)); math.IsInf(kl, 0) || kl < 1 {
		t.Errorf("KL with an empty bin %g, want finite and > 1", kl)
	}
}
