package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestActivationGrads checks f' against central differences of f (float64
// differences of the float32 map, points kept away from ReLU's kink).
func TestActivationGrads(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, a := range []Activation{ReLU{}, Tanh{}, ELU{}, SiLU{}} {
		n := 2000
		pre := make([]float32, n)
		for i := range pre {
			pre[i] = float32(rng.NormFloat64() * 3)
			if math.Abs(float64(pre[i])) < 0.05 {
				pre[i] = 0.5
			}
		}
		post := make([]float32, n)
		a.Apply(post, pre)
		g := make([]float32, n)
		for i := range g {
			g[i] = 1
		}
		a.Grad(g, pre, post)
		const h = 1e-2
		p1, p2 := make([]float32, 1), make([]float32, 1)
		for i, v := range pre {
			a.Apply(p1, []float32{v + h})
			a.Apply(p2, []float32{v - h})
			fd := (float64(p1[0]) - float64(p2[0])) / (2 * h)
			if math.Abs(fd-float64(g[i])) > 2e-3*math.Max(1, math.Abs(fd)) {
				t.Fatalf("%s'(%g) = %g, finite differences %g", a.Name(), v, g[i], fd)
			}
		}
		if a.FromOutput() {
			// In place must give the same as out of place.
			in := append([]float32(nil), pre...)
			a.Apply(in, in)
			for i := range in {
				if in[i] != post[i] {
					t.Fatalf("%s in place differs at %d", a.Name(), i)
				}
			}
		}
	}
	// ReLU cuts exactly, including at 0 and -0.
	g := []float32{1, 2, 3, 4}
	ReLU{}.Grad(g, nil, []float32{0, float32(math.Copysign(0, -1)), 1e-30, 5})
	if g[0] != 0 || g[1] != 0 || g[2] != 3 || g[3] != 4 {
		t.Fatalf("ReLU grad mask: %v", g)
	}
}
