package flow

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"hepflow/nn"
)

// naiveToData is the textbook autoregressive inverse: D full conditioner
// passes, the d-th fixing coordinate d with the map's own Data on that one
// coordinate. The one-pass inverse must agree with it, for every map.
func naiveToData(b *Autoregressive, x, z, c []float32, rows int, logdet []float64) {
	b.ensure(rows)
	d, p := b.d, b.m.ParamsPerCoord()
	clear(x[:rows*d])
	theta := make([]float32, p)
	for j := 0; j < d; j++ {
		b.made.Forward(b.g, b.out, joinContext(b.in, c, b.ctx, x, d, rows), rows)
		for r := 0; r < rows; r++ {
			for k := range theta {
				theta[k] = b.out[r*p*d+k*d+j]
			}
			b.m.Data(x[r*d+j:r*d+j+1], z[r*d+j:r*d+j+1], theta, 1, 1, logdet[r:r+1])
		}
	}
}

func TestFastInverseMatchesNaive(t *testing.T) {
	spline, _ := NewRQSpline(6, 3)
	for _, tc := range []struct {
		d, ctx int
		hidden []int
		act    nn.Activation
		nsf    bool
	}{
		{1, 0, []int{8}, nn.ReLU{}, false}, {2, 0, []int{8, 8}, nn.Tanh{}, false}, {5, 0, []int{16, 16}, nn.ReLU{}, false},
		{28, 0, []int{128, 128}, nn.ReLU{}, false}, {7, 0, []int{5, 9, 6}, nn.SiLU{}, false}, {4, 0, []int{3}, nn.ELU{}, false},
		{1, 2, []int{8}, nn.Tanh{}, false}, {5, 3, []int{16, 16}, nn.ReLU{}, false}, {7, 1, []int{5, 9, 6}, nn.SiLU{}, false},
		{1, 0, []int{8}, nn.Tanh{}, true}, {5, 0, []int{16, 16}, nn.ReLU{}, true}, {6, 2, []int{16, 9}, nn.SiLU{}, true},
	} {
		t.Run(fmt.Sprintf("D=%d/ctx=%d/%v/%s/nsf=%v", tc.d, tc.ctx, tc.hidden, tc.act.Name(), tc.nsf), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.d), 3))
			var b *Autoregressive
			var err error
			if tc.nsf {
				b, err = NewNSF("m", tc.d, tc.ctx, tc.hidden, tc.act, spline, testGemm(), rng)
			} else {
				b, err = NewMAF("m", tc.d, tc.ctx, tc.hidden, tc.act, testGemm(), rng)
			}
			if err != nil {
				t.Fatal(err)
			}
			scrambleBy(b, 4, 0.1)
			rows := 300
			z := randBatch(rand.New(rand.NewPCG(2, 2)), rows, tc.d)
			c := randBatch(rand.New(rand.NewPCG(2, 3)), rows, tc.ctx)
			x1, x2 := make([]float32, rows*tc.d), make([]float32, rows*tc.d)
			l1, l2 := make([]float64, rows), make([]float64, rows)
			naiveToData(b, x1, z, c, rows, l1)
			b.ToData(x2, z, c, rows, l2)
			for i := range x1 {
				if !near(float64(x1[i]), float64(x2[i]), 1e-5, 1e-5) {
					t.Fatalf("x[%d]: naive %g, fast %g", i, x1[i], x2[i])
				}
			}
			for r := range l1 {
				if !near(l1[r], l2[r], 1e-5, 1e-5) {
					t.Fatalf("logdet[%d]: naive %g, fast %g", r, l1[r], l2[r])
				}
			}
		})
	}
}
