package validate

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// TestC2STWeighted: a candidate drawn from a shifted, wider Gaussian and
// importance-weighted back to the reference must pass the weighted C2ST
// about 95% of the time (Kish effective n in the binomial), and the same
// candidate without its weights must fail.
func TestC2STWeighted(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(61, 62))
	const trials, n, cols = 300, 2000, 2
	rej := 0
	for s := range trials {
		a := gaussSample(rng, n, cols, -1, 0)
		b := gaussSample(rng, n, cols, -1, 0)
		b.Weights = make([]float64, n)
		for i := range n {
			x := 0.5 + 1.2*b.Data[i*cols]
			b.Data[i*cols] = x
			zb := (x - 0.5) / 1.2
			b.Weights[i] = 1.2 * math.Exp(-0.5*x*x+0.5*zb*zb)
		}
		r, err := C2ST(ctx, a, b, &Logistic{}, C2STOptions{Seed: uint64(s)})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Weighted {
			t.Fatal("weighted flag not set")
		}
		if r.P < 0.05 {
			rej++
		}
		if s == 0 {
			b.Weights = nil
			u, err := C2ST(ctx, a, b, &Logistic{}, C2STOptions{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if u.P > 1e-6 {
				t.Errorf("unweighted shifted candidate passes: p %g", u.P)
			}
		}
	}
	checkRate(t, "weighted C2ST", rej, trials, 0.05, 0.015, 0.085)
}
