package flow

import (
	"math/rand/v2"
	"os"
	"testing"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// TestBackendsAgree: the same flow on each fast backend (AVX-512 kernel,
// OpenBLAS) and on the simple pure-Go GEMM gives the same densities,
// gradients and samples to 1e-5.
func TestBackendsAgree(t *testing.T) {
	var fast []blas.Gemm
	if g, err := blas.NewAVX512(1); err == nil {
		fast = append(fast, g)
	} else {
		t.Logf("AVX-512 path not compared: %v", err)
	}
	if g, err := blas.NewAVX2(1); err == nil {
		fast = append(fast, g)
	} else {
		t.Logf("AVX2 path not compared: %v", err)
	}
	if g, err := blas.NewNEON(1); err == nil {
		fast = append(fast, g)
	}
	if ob, err := blas.LoadOpenBLAS(1); err == nil {
		fast = append(fast, ob)
	} else if os.Getenv("HEPFLOW_REQUIRE_OPENBLAS") == "1" {
		t.Fatalf("OpenBLAS required: %v", err)
	}
	if len(fast) == 0 {
		t.Skip("no fast backend on this machine")
	}
	for _, ob := range fast {
		t.Run(ob.Name(), func(t *testing.T) { backendsAgree(t, ob) })
	}
}

func backendsAgree(t *testing.T, ob blas.Gemm) {
	for _, kind := range []string{"maf", "realnvp"} {
		spec := Spec{Kind: kind, Dim: 7, Blocks: 3, Hidden: []int{32, 32}, Activation: "relu", Seed: 2}
		a, _ := Build(spec, blas.NewGo(1))
		b, _ := Build(spec, ob)
		rows := 300
		x := randBatch(rand.New(rand.NewPCG(3, 3)), rows, 7)
		la, lb := make([]float64, rows), make([]float64, rows)
		a.LogProb(la, x, nil, rows)
		b.LogProb(lb, x, nil, rows)
		for r := range la {
			if !near(la[r], lb[r], 1e-5, 1e-5) {
				t.Fatalf("%s: log p[%d] %g (Go) vs %g (%s)", kind, r, la[r], lb[r], ob.Name())
			}
		}
		nn.ZeroGrad(a.Params())
		nn.ZeroGrad(b.Params())
		a.NLLGrad(x, nil, nil, rows, float64(rows))
		b.NLLGrad(x, nil, nil, rows, float64(rows))
		pa, pb := a.Params(), b.Params()
		for i := range pa {
			for k := range pa[i].Grad {
				if !near(float64(pa[i].Grad[k]), float64(pb[i].Grad[k]), 1e-4, 1e-6) {
					t.Fatalf("%s: grad %s[%d] %g (Go) vs %g (%s)", kind, pa[i].Name, k, pa[i].Grad[k], pb[i].Grad[k], ob.Name())
				}
			}
		}
		sa, sb := make([]float32, rows*7), make([]float32, rows*7)
		a.Sample(sa, nil, rows, rand.New(rand.NewPCG(4, 4)))
		b.Sample(sb, nil, rows, rand.New(rand.NewPCG(4, 4)))
		for i := range sa {
			if !near(float64(sa[i]), float64(sb[i]), 1e-4, 1e-5) {
				t.Fatalf("%s: sample[%d] %g (Go) vs %g (%s)", kind, i, sa[i], sb[i], ob.Name())
			}
		}
	}
}
