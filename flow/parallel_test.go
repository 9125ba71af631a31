package flow

import (
	"math/rand/v2"
	"testing"

	"hepflow/nn"
)

// TestWorkersAgreeWithOne: the parallel paths must give what one worker gives.
func TestWorkersAgreeWithOne(t *testing.T) {
	for _, kind := range []string{"maf", "realnvp"} {
		spec := Spec{Kind: kind, Dim: 6, Blocks: 3, Hidden: []int{16, 16}, Activation: "relu", Seed: 9}
		one, _ := Build(spec, testGemm())
		many, _ := Build(spec, testGemm())
		if err := many.SetWorkers(3); err != nil {
			t.Fatal(err)
		}
		for _, tr := range one.Transforms {
			scrambleBy(tr, 5, 0.1)
		}
		for _, tr := range many.Transforms {
			scrambleBy(tr, 5, 0.1)
		}
		rows := 1000
		x := randBatch(rand.New(rand.NewPCG(1, 1)), rows, 6)
		w := make([]float64, rows)
		for i := range w {
			w[i] = float64(i%3) - 0.5
		}
		nn.ZeroGrad(one.Params())
		nn.ZeroGrad(many.Params())
		l1 := one.NLLGrad(x, w, rows, 300)
		l2 := many.NLLGrad(x, w, rows, 300)
		if !near(l1, l2, 1e-9, 1e-9) {
			t.Fatalf("%s: loss %g with one worker, %g with three", kind, l1, l2)
		}
		p1, p2 := one.Params(), many.Params()
		for i := range p1 {
			for k := range p1[i].Grad {
				if !near(float64(p1[i].Grad[k]), float64(p2[i].Grad[k]), 1e-4, 1e-6) {
					t.Fatalf("%s: grad %s[%d]: %g vs %g", kind, p1[i].Name, k, p1[i].Grad[k], p2[i].Grad[k])
				}
			}
		}
		lp1, lp2 := make([]float64, rows), make([]float64, rows)
		one.LogProb(lp1, x, rows)
		many.LogProb(lp2, x, rows)
		for r := range lp1 {
			if lp1[r] != lp2[r] {
				t.Fatalf("%s: log p[%d] %g vs %g", kind, r, lp1[r], lp2[r])
			}
		}
		s1, s2 := make([]float32, 3000*6), make([]float32, 3000*6)
		one.Sample(s1, 3000, rand.New(rand.NewPCG(4, 4)))
		many.Sample(s2, 3000, rand.New(rand.NewPCG(4, 4)))
		for i := range s1 {
			if s1[i] != s2[i] {
				t.Fatalf("%s: sample[%d] %g vs %g: events depend on the number of workers", kind, i, s1[i], s2[i])
			}
		}
	}
}
