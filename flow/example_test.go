package flow_test

import (
	"fmt"
	"math/rand/v2"

	"hepflow/flow"
	"hepflow/nn/blas"
)

// A MAF over 3 features: densities, and samples that map back exactly.
func ExampleBuild() {
	f, err := flow.Build(flow.Spec{Kind: "maf", Dim: 3, Blocks: 2, Hidden: []int{16, 16}, Activation: "tanh", Seed: 1}, blas.NewGo(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	x := make([]float32, 4*3)
	f.Sample(x, nil, 4, rand.New(rand.NewPCG(1, 2)))
	lp := make([]float64, 4)
	f.LogProb(lp, x, nil, 4)

	z, ld := make([]float32, 4*3), make([]float64, 4)
	f.ToLatent(z, x, nil, 4, ld)
	back, ld2 := make([]float32, 4*3), make([]float64, 4)
	f.ToData(back, z, nil, 4, ld2)
	worst := float32(0)
	for i := range x {
		worst = max(worst, abs32(back[i]-x[i]))
	}
	fmt.Printf("%d params, round trip within 1e-5: %v, log-dets cancel: %v\n",
		len(f.Params()), worst < 1e-5, ld[0]+ld2[0] < 1e-5 && ld[0]+ld2[0] > -1e-5)
	// Output: 12 params, round trip within 1e-5: true, log-dets cancel: true
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
