package blas

import (
	"fmt"
	"math/rand/v2"
	"testing"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gonumGemm adapts gonum's pure-Go Sgemm (SSE assembly axpy inner loops,
// goroutine per 64x64 block) as a yardstick for the Go kernel.
type gonumGemm struct{}

func (gonumGemm) Name() string { return "gonum" }

func (gonumGemm) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	tA, tB := gblas.NoTrans, gblas.NoTrans
	if transA {
		tA = gblas.Trans
	}
	if transB {
		tB = gblas.Trans
	}
	gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// mafShapes are the products of one MADE layer of the standard MAF benchmark
// (28 inputs, hidden width 128, 56 = 2x28 outputs) for a batch of rows:
// forward Y = X W, backward dX = dY W^T and dW = X^T dY.
func mafShapes(batch int) []struct {
	name    string
	tA, tB  bool
	m, n, k int
} {
	type s = struct {
		name    string
		tA, tB  bool
		m, n, k int
	}
	r := batch
	return []s{
		{fmt.Sprintf("fwd_%dx28*28x128", r), false, false, r, 128, 28},
		{fmt.Sprintf("fwd_%dx128*128x128", r), false, false, r, 128, 128},
		{fmt.Sprintf("fwd_%dx128*128x56", r), false, false, r, 56, 128},
		{fmt.Sprintf("dX_%dx128*(28x128)T", r), false, true, r, 28, 128},
		{fmt.Sprintf("dX_%dx128*(128x128)T", r), false, true, r, 128, 128},
		{fmt.Sprintf("dX_%dx56*(128x56)T", r), false, true, r, 128, 56},
		{fmt.Sprintf("dW_(%dx28)T*%dx128", r, r), true, false, 28, 128, r},
		{fmt.Sprintf("dW_(%dx128)T*%dx128", r, r), true, false, 128, 128, r},
		{fmt.Sprintf("dW_(%dx128)T*%dx56", r, r), true, false, 128, 56, r},
	}
}

// benchImpl is one backend configuration under benchmark; setup runs
// before its timing because OpenBLAS's thread count is process-wide.
type benchImpl struct {
	name  string
	gemm  Gemm
	setup func(b *testing.B)
}

func benchImpls() []benchImpl {
	impls := []benchImpl{
		{"go1", NewGo(1), nil},
		{"go2", NewGo(2), nil},
		{"gonum", gonumGemm{}, nil},
	}
	for _, th := range []int{1, 2} {
		if g, err := NewAVX512(th); err == nil {
			impls = append(impls, benchImpl{fmt.Sprintf("avx512_%d", th), g, nil})
		}
	}
	for _, th := range []int{1, 2} {
		if g, err := NewAVX2(th); err == nil {
			impls = append(impls, benchImpl{fmt.Sprintf("avx2_%d", th), g, nil})
		}
	}
	for _, th := range []int{1, 2} {
		if g, err := NewNEON(th); err == nil {
			impls = append(impls, benchImpl{fmt.Sprintf("neon_%d", th), g, nil})
		}
	}
	if o, err := LoadOpenBLAS(2); err == nil {
		for _, th := range []int{1, 2} {
			impls = append(impls, benchImpl{fmt.Sprintf("openblas%d", th), o, func(b *testing.B) {
				if _, err := LoadOpenBLAS(th); err != nil {
					b.Fatal(err)
				}
			}})
		}
	}
	return impls
}

// BenchmarkSgemm reports GFLOP/s (2mnk per call) of each backend on the MAF
// shapes at batch 512 and 4096, with one and two threads.
func BenchmarkSgemm(b *testing.B) {
	impls := benchImpls()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, batch := range []int{512, 4096} {
		for _, s := range mafShapes(batch) {
			g := newCase(rng, s.tA, s.tB, s.m, s.n, s.k, 1, 0, 0)
			for _, impl := range impls {
				b.Run(s.name+"/"+impl.name, func(b *testing.B) {
					if impl.setup != nil {
						impl.setup(b)
					}
					for b.Loop() {
						impl.gemm.Sgemm(g.transA, g.transB, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
					}
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
