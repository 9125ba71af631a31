package validate

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAUCSpecialCases(t *testing.T) {
	same := []float64{0.3, 0.3, 0.3}
	if a, _ := AUC(same, nil, same, nil); a != 0.5 {
		t.Errorf("identical scores: AUC %g, want 0.5", a)
	}
	if a, _ := AUC([]float64{2, 3, 4}, nil, []float64{-1, 0, 1}, nil); a != 1 {
		t.Errorf("perfect separation: AUC %g, want 1", a)
	}
	if a, _ := AUC([]float64{-1, 0}, nil, []float64{2, 3}, nil); a != 0 {
		t.Errorf("inverted separation: AUC %g, want 0", a)
	}
	if _, err := AUC(nil, nil, []float64{1}, nil); err == nil {
		t.Error("AUC without signal must fail")
	}
}

// TestAUCMatchesPairCount compares with the O(n^2) definition
// sum_ij w_i w_j [s_i > b_j] + 0.5 [s_i = b_j] / (W_s W_b), ties included.
func TestAUCMatchesPairCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for trial := range 50 {
		ns, nb := 1+rng.IntN(40), 1+rng.IntN(40)
		s, b := make([]float64, ns), make([]float64, nb)
		ws, wb := make([]float64, ns), make([]float64, nb)
		for i := range s {
			s[i], ws[i] = float64(rng.IntN(6)), 0.2+rng.Float64()
		}
		for i := range b {
			b[i], wb[i] = float64(rng.IntN(5)), 0.2+rng.Float64()
		}
		var num, tw1, tw2 float64
		for i := range s {
			tw1 += ws[i]
			for j := range b {
				switch {
				case s[i] > b[j]:
					num += ws[i] * wb[j]
				case s[i] == b[j]:
					num += 0.5 * ws[i] * wb[j]
				}
			}
		}
		for j := range b {
			tw2 += wb[j]
		}
		want := num / (tw1 * tw2)
		got, err := AUC(s, ws, b, wb)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: AUC %g, want %g (%v)", trial, got, want, err)
		}
		roc, err := ROC(s, ws, b, wb, 0)
		if err != nil || math.Abs(roc.AUC-want) > 1e-12 {
			t.Fatalf("trial %d: ROC area %g, want %g (%v)", trial, roc.AUC, want, err)
		}
		if trial == 0 {
			// Unweighted must equal the weighted code with unit weights.
			u, _ := AUC(s, nil, b, nil)
			ones := func(n int) []float64 {
				o := make([]float64, n)
				for i := range o {
					o[i] = 1
				}
				return o
			}
			if w, _ := AUC(s, ones(ns), b, ones(nb)); u != w {
				t.Fatalf("unit weights %g != unweighted %g", w, u)
			}
		}
	}
}

// TestROCGaussian: signal N(1,1) vs background N(0,1) has AUC Phi(1/sqrt 2)
// = 0.7602 and TPR at FPR 0.1 of 1 - Phi(1.2816 - 1) = 0.3891.
func TestROCGaussian(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	const n = 100000
	s, b := make([]float64, n), make([]float64, n)
	for i := range s {
		s[i], b[i] = 1+rng.NormFloat64(), rng.NormFloat64()
	}
	roc, err := ROC(s, nil, b, nil, 200)
	if err != nil {
		t.Fatal(err)
	}
	// sd of the AUC estimate ~ sqrt(AUC(1-AUC)/n) ~ 0.0014 (conservative).
	if math.Abs(roc.AUC-0.7602) > 0.005 {
		t.Errorf("AUC %g, want 0.7602", roc.AUC)
	}
	if got := roc.AtFPR[0]; got.FPR != 0.1 || math.Abs(got.TPR-0.3891) > 0.01 {
		t.Errorf("TPR at FPR 0.1: %+v, want 0.3891", got)
	}
	if len(roc.FPR) > 210 || len(roc.FPR) < 150 {
		t.Errorf("thinned curve has %d points, want ~200", len(roc.FPR))
	}
	if roc.FPR[0] != 0 || roc.TPR[0] != 0 || roc.FPR[len(roc.FPR)-1] != 1 || roc.TPR[len(roc.TPR)-1] != 1 {
		t.Error("ROC must run from (0,0) to (1,1)")
	}
	for i := 1; i < len(roc.FPR); i++ {
		if roc.FPR[i] < roc.FPR[i-1] || roc.TPR[i] < roc.TPR[i-1] {
			t.Fatal("ROC not monotone")
		}
	}
}
