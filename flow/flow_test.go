package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"hepflow/nn"
)

func buildTest(t *testing.T, s Spec) *Flow {
	t.Helper()
	f, err := Build(s, testGemm())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestNLLGradMatchesFiniteDifferences checks the whole chain (transforms,
// permutations, base, weights) against finite differences of the loss.
func TestNLLGradMatchesFiniteDifferences(t *testing.T) {
	for _, kind := range []string{"maf", "realnvp"} {
		t.Run(kind, func(t *testing.T) {
			f := buildTest(t, Spec{Kind: kind, Dim: 4, Blocks: 3, Hidden: []int{8}, Activation: "tanh", Seed: 3})
			for _, tr := range f.Transforms {
				scramble(tr, 11)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			rows := 6
			x := randBatch(rng, rows, 4)
			w := []float64{1, 0.5, -0.3, 2, 1, 0.7}
			nn.ZeroGrad(f.Params())
			loss := f.NLLGrad(x, nil, w, rows, 4.2)
			if got := f.NLL(x, nil, w, rows, 4.2); !near(got, loss, 1e-6, 1e-6) {
				t.Fatalf("NLL %g != NLLGrad's loss %g", got, loss)
			}
			const h = 1e-2
			for _, p := range f.Params() {
				for k := 0; k < 6; k++ {
					i := rng.IntN(len(p.Value))
					if p.Mask != nil && p.Mask[i] == 0 {
						continue
					}
					old := p.Value[i]
					p.Value[i] = old + h
					lp := f.NLL(x, nil, w, rows, 4.2)
					p.Value[i] = old - h
					lm := f.NLL(x, nil, w, rows, 4.2)
					p.Value[i] = old
					fd := (lp - lm) / (2 * h)
					if !near(float64(p.Grad[i]), fd, 2e-2, 2e-3) {
						t.Errorf("%s[%d]: grad %g, finite differences %g", p.Name, i, p.Grad[i], fd)
					}
				}
			}
		})
	}
}

// TestSampleLogProbConsistent: the log-density SampleAndLogProb reports for a
// sample must equal LogProb of that sample.
func TestSampleLogProbConsistent(t *testing.T) {
	for _, kind := range []string{"maf", "realnvp"} {
		f := buildTest(t, Spec{Kind: kind, Dim: 5, Blocks: 3, Hidden: []int{16, 16}, Activation: "relu", Seed: 4})
		// Milder than scramble: three blocks of log-scales near the bound make
		// x - mu cancel catastrophically in float32, which would test the
		// conditioning of the example, not the code.
		for _, tr := range f.Transforms {
			scrambleBy(tr, 12, 0.1)
		}
		rows := 5000 // more than one chunk
		x := make([]float32, rows*5)
		lp1, lp2 := make([]float64, rows), make([]float64, rows)
		f.SampleAndLogProb(x, nil, lp1, rows, rand.New(rand.NewPCG(1, 1)))
		f.LogProb(lp2, x, nil, rows)
		for r := range lp1 {
			if !near(lp1[r], lp2[r], 1e-4, 1e-4) {
				t.Fatalf("%s row %d: sampling says log p = %g, LogProb says %g", kind, r, lp1[r], lp2[r])
			}
		}
	}
}

func TestStdNormalLogProb(t *testing.T) {
	b := StdNormal{D: 2}
	lp := make([]float64, 1)
	b.LogProb(lp, []float32{1, -2}, 1)
	want := -math.Log(2*math.Pi) - 2.5
	if !near(lp[0], want, 1e-12, 0) {
		t.Fatalf("log N([1,-2]) = %g, want %g", lp[0], want)
	}
}

func TestSpecErrors(t *testing.T) {
	bad := []Spec{
		{Kind: "glow", Dim: 2, Blocks: 1, Hidden: []int{4}, Activation: "relu"},
		{Kind: "maf", Dim: 0, Blocks: 1, Hidden: []int{4}, Activation: "relu"},
		{Kind: "realnvp", Dim: 1, Blocks: 1, Hidden: []int{4}, Activation: "relu"},
		{Kind: "maf", Dim: 2, Blocks: 0, Hidden: []int{4}, Activation: "relu"},
		{Kind: "maf", Dim: 2, Blocks: 1, Hidden: []int{0}, Activation: "relu"},
		{Kind: "maf", Dim: 2, Blocks: 1, Hidden: []int{4}, Activation: "gelu"},
	}
	for _, s := range bad {
		if _, err := Build(s, testGemm()); err == nil {
			t.Errorf("spec %+v accepted", s)
		}
	}
}
