package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"hepflow/nn"
)

// naiveToData is the textbook MAF inverse: D full conditioner passes, the
// d-th fixing coordinate d. The fast path must agree with it.
func naiveToData(b *MAF, x, z []float32, rows int, logdet []float64) {
	b.ensure(rows)
	d := b.d
	clear(x[:rows*d])
	for j := 0; j < d; j++ {
		b.made.Forward(b.g, b.out, x, rows)
		for r := 0; r < rows; r++ {
			mu := b.out[2*d*r+j]
			aj := b.m.alpha(b.out[2*d*r+d+j])
			x[r*d+j] = z[r*d+j]*float32(math.Exp(float64(aj))) + mu
			logdet[r] += float64(aj)
		}
	}
}

func TestFastInverseMatchesNaive(t *testing.T) {
	for _, tc := range []struct {
		d      int
		hidden []int
		act    nn.Activation
	}{
		{1, []int{8}, nn.ReLU{}}, {2, []int{8, 8}, nn.Tanh{}}, {5, []int{16, 16}, nn.ReLU{}},
		{28, []int{128, 128}, nn.ReLU{}}, {7, []int{5, 9, 6}, nn.SiLU{}}, {4, []int{3}, nn.ELU{}},
	} {
		t.Run(fmt.Sprintf("D=%d/%v/%s", tc.d, tc.hidden, tc.act.Name()), func(t *testing.T) {
			b, err := NewMAF("m", tc.d, tc.hidden, tc.act, testGemm(), rand.New(rand.NewPCG(uint64(tc.d), 3)))
			if err != nil {
				t.Fatal(err)
			}
			scrambleBy(b, 4, 0.1)
			rows := 300
			z := randBatch(rand.New(rand.NewPCG(2, 2)), rows, tc.d)
			x1, x2 := make([]float32, rows*tc.d), make([]float32, rows*tc.d)
			l1, l2 := make([]float64, rows), make([]float64, rows)
			naiveToData(b, x1, z, rows, l1)
			b.ToData(x2, z, rows, l2)
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
