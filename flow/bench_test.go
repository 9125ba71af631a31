package flow

import (
	"math/rand/v2"
	"testing"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// The standard MAF benchmark: D=28, 5 blocks [128,128], ReLU; train batch 512,
// log-density and sampling batch 4096. Reports events/s.
func benchFlow(b *testing.B, kind string, g blas.Gemm) *Flow {
	f, err := Build(Spec{Kind: kind, Dim: 28, Blocks: 5, Hidden: []int{128, 128}, Activation: "relu", Seed: 1}, g)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

func benchGemms() map[string]blas.Gemm {
	m := map[string]blas.Gemm{"go": blas.NewGo(0)}
	if g, err := blas.NewAVX512(0); err == nil {
		m["avx512"] = g
	}
	if o, err := blas.LoadOpenBLAS(0); err == nil {
		m["openblas"] = o
	}
	return m
}

func BenchmarkStandardMAF(b *testing.B) {
	for name, g := range benchGemms() {
		for _, kind := range []string{"maf", "realnvp"} {
			b.Run(kind+"/train/"+name, func(b *testing.B) {
				f := benchFlow(b, kind, g)
				x := randBatch(rand.New(rand.NewPCG(1, 1)), 512, 28)
				opt := nn.NewAdam(f.Params(), 1e-3, 0)
				ps := f.Params()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					nn.ZeroGrad(ps)
					f.NLLGrad(x, nil, nil, 512, 512)
					opt.Step()
				}
				b.ReportMetric(float64(512*b.N)/b.Elapsed().Seconds(), "events/s")
			})
			b.Run(kind+"/logprob/"+name, func(b *testing.B) {
				f := benchFlow(b, kind, g)
				x := randBatch(rand.New(rand.NewPCG(1, 1)), 4096, 28)
				lp := make([]float64, 4096)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					f.LogProb(lp, x, nil, 4096)
				}
				b.ReportMetric(float64(4096*b.N)/b.Elapsed().Seconds(), "events/s")
			})
			b.Run(kind+"/sample/"+name, func(b *testing.B) {
				f := benchFlow(b, kind, g)
				x := make([]float32, 4096*28)
				rng := rand.New(rand.NewPCG(1, 1))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					f.Sample(x, nil, 4096, rng)
				}
				b.ReportMetric(float64(4096*b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
