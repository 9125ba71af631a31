package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"hepflow/nn/blas"
)

// TestFusedBiasActivation: the fused bias+activation pass of MLP.Forward
// gives exactly what a separate Dense.Forward and Apply give.
func TestFusedBiasActivation(t *testing.T) {
	g := blas.NewGo(1)
	for _, act := range []Activation{ReLU{}, Tanh{}} {
		m, err := NewMLP("m", []int{5, 7, 3}, nil, act, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		rows := 11
		x := make([]float32, rows*5)
		for i := range x {
			x[i] = float32(i%7) - 3
		}
		out := make([]float32, rows*3)
		m.Forward(g, out, x, rows)
		h := make([]float32, rows*7)
		m.Layers[0].Forward(g, h, x, rows)
		act.Apply(h, h)
		want := make([]float32, rows*3)
		m.Layers[1].Forward(g, want, h, rows)
		for i := range want {
			if out[i] != want[i] {
				t.Fatalf("%s: fused output[%d] = %g, unfused %g", act.Name(), i, out[i], want[i])
			}
		}
	}
}

// TestMaskedDenseMatchesReference: a masked layer's products skip what its
// mask spans show to be zero (blas.Ranged, on the AVX-512 backend). For
// masks with empty, full and scattered columns, every weight non-zero
// before masking, Forward and Backward (gradients accumulated on top of
// earlier ones) on each backend match the float64 product of the masked
// weights, to 1e-5 of each tensor's largest entry (float32 sums of up to
// 517 terms are good to ~1e-6 of it; one term skipped wrongly costs ~1/sqrt(k)).
func TestMaskedDenseMatchesReference(t *testing.T) {
	gs := []blas.Gemm{blas.NewGo(1)}
	for _, threads := range []int{1, 3} {
		if g, err := blas.NewAVX512(threads); err == nil {
			gs = append(gs, g)
		}
		if g, err := blas.NewAVX2(threads); err == nil {
			gs = append(gs, g)
		}
		if g, err := blas.NewNEON(threads); err == nil {
			gs = append(gs, g)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][3]int{{28, 128, 512}, {128, 128, 517}, {128, 56, 13}, {45, 70, 1}} {
		in, out, rows := sz[0], sz[1], sz[2]
		mask := make([]float32, in*out)
		for j := range out {
			lo, hi := rng.IntN(in+1), rng.IntN(in+1)
			switch rng.IntN(6) {
			case 0: // empty column
				continue
			case 1:
				lo, hi = 0, in
			}
			for i := min(lo, hi); i < max(lo, hi); i++ {
				if rng.Float64() < 0.7 {
					mask[i*out+j] = 1
				}
			}
		}
		l := NewDense("l", in, out, mask, rng)
		for i := range l.W.Value {
			l.W.Value[i] = float32(rng.NormFloat64()) + 0.1 // non-zero
		}
		l.W.ApplyMask()
		for i := range l.B.Value {
			l.B.Value[i] = float32(rng.NormFloat64())
		}
		x, gy := randSlice(rng, rows*in), randSlice(rng, rows*out)
		prior := [2][]float32{randSlice(rng, in*out), randSlice(rng, out)}
		for i, m := range mask {
			prior[0][i] *= m
		}

		y64, gx64 := make([]float64, rows*out), make([]float64, rows*in)
		gw64, gb64 := make([]float64, in*out), make([]float64, out)
		for i := range gw64 {
			gw64[i] = float64(prior[0][i])
		}
		for j := range gb64 {
			gb64[j] = float64(prior[1][j])
		}
		for r := range rows {
			for j := range out {
				s := float64(l.B.Value[j])
				g := float64(gy[r*out+j])
				gb64[j] += g
				for i := range in {
					w := float64(l.W.Value[i*out+j]) * float64(mask[i*out+j])
					s += float64(x[r*in+i]) * w
					gx64[r*in+i] += g * w
					gw64[i*out+j] += float64(x[r*in+i]) * g * float64(mask[i*out+j])
				}
				y64[r*out+j] = s
			}
		}
		for _, g := range gs {
			y, gx := make([]float32, rows*out), make([]float32, rows*in)
			copy(l.W.Grad, prior[0])
			copy(l.B.Grad, prior[1])
			l.Forward(g, y, x, rows)
			l.Backward(g, gx, gy, x, rows)
			for _, c := range []struct {
				name string
				got  []float32
				want []float64
			}{{"y", y, y64}, {"dL/dx", gx, gx64}, {"dL/dW", l.W.Grad, gw64}, {"dL/db", l.B.Grad, gb64}} {
				var scale float64
				for _, v := range c.want {
					scale = math.Max(scale, math.Abs(v))
				}
				for i, v := range c.got {
					if math.Abs(float64(v)-c.want[i]) > 1e-5*scale {
						t.Fatalf("%s %dx%d rows=%d: %s[%d] = %.7g, float64 reference %.7g", g.Name(), in, out, rows, c.name, i, v, c.want[i])
					}
				}
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}
