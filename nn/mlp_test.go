package nn

import (
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
