package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/nn/blas"
	"hepflow/train"
)

// From a table of events in physical units to a model that gives densities
// in those units and generates new events.
func ExampleFitModel() {
	rng := rand.New(rand.NewPCG(1, 1))
	tab := data.Zeros([]string{"pt", "eta"}, 2000)
	for i := 0; i < tab.Rows(); i++ {
		row := tab.Row(i)
		row[0] = 20 + 10*rng.ExpFloat64() // a falling pT spectrum
		row[1] = 2 * rng.NormFloat64()
	}
	spec := flow.DefaultSpec("maf", 2)
	spec.Blocks, spec.Hidden = 2, []int{16, 16}
	res, err := train.FitModel(context.Background(), tab, nil, train.ModelOptions{
		Spec: spec, Config: train.Config{Epochs: 20, Seed: 1}, ValFraction: 0.2, Gemm: blas.NewGo(1),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	gen := make([]float64, 2*1000)
	res.Model.Sample(gen, nil, 1000, rand.New(rand.NewPCG(2, 2)))
	minPt := gen[0]
	for i := 0; i < 1000; i++ {
		minPt = min(minPt, gen[2*i])
	}
	fmt.Println("columns:", res.Model.Columns())
	fmt.Println("generated pT above 19:", minPt > 19)
	// Output:
	// columns: [pt eta]
	// generated pT above 19: true
}
