package flow

import (
	"log/slog"
	"math/rand/v2"
	"testing"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// BenchmarkStandardNSF is the standard NSF (D=28, 5 blocks [128,128], ReLU,
// K=8 on [-5, 5]) and its coupling variant on the default single-threaded
// GEMM: NLLGrad at batch 512 (no optimizer step), log-density and sampling
// at batch 4096, in events/s. The spline map is most of its time; the
// conditioners are the MAF benchmark's with 23 outputs per coordinate
// instead of 2.
func BenchmarkStandardNSF(b *testing.B) {
	g := blas.Default(1, slog.New(slog.DiscardHandler))
	build := func(b *testing.B, kind string) *Flow {
		f, err := Build(Spec{Kind: kind, Dim: 28, Blocks: 5, Hidden: []int{128, 128}, Activation: "relu", Seed: 1}, g)
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	for _, kind := range []string{"nsf", "nsf-coupling"} {
		b.Run(kind+"/train", func(b *testing.B) {
			const rows = 512
			f := build(b, kind)
			x := randBatch(rand.New(rand.NewPCG(1, 1)), rows, 28)
			ps := f.Params()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				nn.ZeroGrad(ps)
				f.NLLGrad(x, nil, nil, rows, float64(rows))
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run(kind+"/logprob", func(b *testing.B) {
			const rows = 4096
			f := build(b, kind)
			x := randBatch(rand.New(rand.NewPCG(1, 1)), rows, 28)
			lp := make([]float64, rows)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f.LogProb(lp, x, nil, rows)
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run(kind+"/sample", func(b *testing.B) {
			const rows = 4096
			f := build(b, kind)
			x := make([]float32, rows*28)
			rng := rand.New(rand.NewPCG(1, 1))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f.Sample(x, nil, rows, rng)
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkSplineMap is the map alone on NSF-sized chunks (192 rows of 28
// coordinates, raw parameters of spread 1, a tenth of the inputs outside
// the interval): Latent, Latent plus Backward, Data, DataColumn, in
// coordinates per second.
func BenchmarkSplineMap(b *testing.B) {
	s, _ := NewRQSpline(DefaultSplineBins, DefaultSplineBound)
	const n, rows = 28, 192
	rng := rand.New(rand.NewPCG(5, 5))
	theta := to32(splineCase(rng, s, n*rows, 1))
	x := make([]float32, n*rows)
	for i := range x {
		x[i] = float32(1.1 * DefaultSplineBound * (2*rng.Float64() - 1))
	}
	// splineCase's layout is one block of n*rows coordinates; the map wants
	// rows blocks of n: regroup parameter p of coordinate (r, i).
	P := s.ParamsPerCoord()
	th := make([]float32, len(theta))
	for r := 0; r < rows; r++ {
		for p := 0; p < P; p++ {
			for i := 0; i < n; i++ {
				th[r*P*n+p*n+i] = theta[p*n*rows+r*n+i]
			}
		}
	}
	z, back, gx, gz := make([]float32, n*rows), make([]float32, n*rows), make([]float32, n*rows), make([]float32, n*rows)
	for i := range gz {
		gz[i] = float32(rng.NormFloat64())
	}
	gth := make([]float32, len(th))
	ld, gld := make([]float64, rows), make([]float64, rows)
	for r := range gld {
		gld[r] = 1
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(n*rows*b.N)/b.Elapsed().Seconds(), "coords/s")
	}
	m := NewSplineMap(s)
	b.Run("latent", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m.Latent(z, x, th, n, rows, ld)
		}
		report(b)
	})
	b.Run("latent+backward", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m.Latent(z, x, th, n, rows, ld)
			m.Backward(gx, gth, gz, gld, n, rows)
		}
		report(b)
	})
	b.Run("data", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m.Data(back, z, th, n, rows, ld)
		}
		report(b)
	})
	// DataColumn on the transposed parameters of one coordinate of every row.
	thT := make([]float32, P*rows)
	zc, xc := make([]float32, rows), make([]float32, rows)
	for r := 0; r < rows; r++ {
		zc[r] = z[r*n]
		for p := 0; p < P; p++ {
			thT[p*rows+r] = th[r*P*n+p*n]
		}
	}
	b.Run("column", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m.DataColumn(xc, zc, thT, rows, rows, ld)
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "coords/s")
	})
}
