package validate

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func widthSample(rng *rand.Rand, n int, sd2 float64) Sample {
	x := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		x[2*i] = rng.NormFloat64()
		x[2*i+1] = sd2 * rng.NormFloat64()
	}
	return Sample{Data: x, Rows: n, Cols: 2, Names: []string{"a", "b"}}
}

// TestMLPSeesWidthChange: a change of width with equal means is invisible to
// logistic regression but not to the MLP. With 4k events per sample and
// sd 1 vs 1.3 the optimal classifier's accuracy is ~0.56, so the holdout of
// 4k gives p ~ 1e-12; p < 1e-4 leaves a wide margin.
func TestMLPSeesWidthChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	a, b := widthSample(rng, 4000, 1), widthSample(rng, 4000, 1.3)
	r, err := C2ST(context.Background(), a, b, &MLP{Seed: 1}, C2STOptions{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MLP: accuracy %.4f, AUC %.4f, p %.3g (n_te %d)", r.Accuracy, r.AUC, r.P, r.NTest)
	if r.P > 1e-4 {
		t.Fatalf("MLP C2ST missed a 30%% width change: p = %g", r.P)
	}
	l, err := C2ST(context.Background(), a, b, &Logistic{}, C2STOptions{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("logistic: accuracy %.4f, p %.3g", l.Accuracy, l.P)
	if l.P < 1e-4 {
		t.Fatalf("logistic regression should not see a pure width change, got p = %g", l.P)
	}
}

// TestMLPUnderH0: two samples of one distribution give a holdout accuracy
// within 3 standard errors of 1/2.
func TestMLPUnderH0(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	a, b := widthSample(rng, 3000, 1), widthSample(rng, 3000, 1)
	r, err := C2ST(context.Background(), a, b, &MLP{Seed: 5}, C2STOptions{Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	se := 0.5 / math.Sqrt(float64(r.NTest))
	if d := r.Accuracy - 0.5; d > 3*se || d < -3*se {
		t.Fatalf("accuracy %.4f under H0 with n_te %d (3 sigma = %.4f)", r.Accuracy, r.NTest, 3*se)
	}
}
