package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"hepflow/flow"
	"hepflow/nn/blas"
	"hepflow/preprocess"
)

// strata makes rand.Rand.Float64 return the midpoints (k+1/2)/m in turn.
type strata struct{ k, m uint64 }

func (s *strata) Uint64() uint64 {
	v := float64(2*(s.k%s.m)+1) / float64(2*s.m) * (1 << 53)
	s.k++
	return uint64(v) // Float64 uses the low 53 bits
}

// TestModelDensityIntegratesToOne: the model's exp(log p) in physical units,
// summed over the levels of a discrete column and integrated over a
// continuous one (through its tails), is a probability: 1 less the guard
// slivers of the dequantization bins. The flow is a random one (no
// training), so nothing but the bookkeeping of Jacobians makes it add up;
// averaging over the dequantization noise by stratified midpoints turns
// the one-sample mass estimate into the bin's mass.
func TestModelDensityIntegratesToOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const rows = 2000
	x := make([]float64, 2*rows)
	for r := range rows {
		x[2*r] = 20 + 10*rng.ExpFloat64()     // a pT: a positive column
		x[2*r+1] = float64(rng.IntN(3)) * 0.5 // 3 levels
	}
	for _, scaling := range []string{preprocess.ScalingAsinh, preprocess.ScalingLogit} {
		s, err := preprocess.Fit(x, rows, []string{"pt", "tag"}, preprocess.Options{Scaling: scaling})
		if err != nil {
			t.Fatal(err)
		}
		spec := flow.Spec{Kind: "maf", Dim: 2, Blocks: 2, Hidden: []int{8}, Activation: "tanh", Seed: 5}
		f, err := flow.Build(spec, blas.NewGo(1))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Params() { // a flow far from the identity; masked weights stay 0
			for i := range p.Value {
				if p.Mask == nil || p.Mask[i] != 0 {
					p.Value[i] += float32(0.3 * rng.NormFloat64())
				}
			}
		}
		m, err := New(Info{Columns: []string{"pt", "tag"}, Spec: spec}, s, f)
		if err != nil {
			t.Fatal(err)
		}
		// x grid: the inverse of a uniform y grid, so the tails and the
		// edges are resolved; trapezoid weights from the x spacing.
		const n, strataN = 1000, 256
		yg := make([]float64, 2*n)
		for k := range n {
			yg[2*k] = -14 + 28*float64(k)/(n-1)
		}
		xg := make([]float64, 2*n)
		s.ToData64(xg, yg, n)
		var total float64
		for _, level := range []float64{0, 0.5, 1} {
			ev := make([]float64, 0, 2*n*strataN)
			for k := range n {
				for range strataN {
					ev = append(ev, xg[2*k], level)
				}
			}
			lp := make([]float64, n*strataN)
			if _, err := m.LogProb(lp, ev, nil, n*strataN, rand.New(&strata{m: strataN})); err != nil {
				t.Fatal(err)
			}
			dens := make([]float64, n)
			for k := range n {
				for j := range strataN {
					dens[k] += math.Exp(lp[k*strataN+j]) / strataN
				}
			}
			for k := 1; k < n; k++ {
				total += 0.5 * (dens[k-1] + dens[k]) * (xg[2*k] - xg[2*k-2])
			}
		}
		t.Logf("%s: sum over levels of the integral of exp(log p) = %.6f", scaling, total)
		// Guard slivers: 2*DequantGuard of each bin's width; 1e-3 covers
		// them and the quadrature.
		if math.Abs(total-1) > 1e-3 {
			t.Errorf("%s: the model's density sums to %.6f, want 1", scaling, total)
		}
	}
}
