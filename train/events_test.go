package train

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"hepflow/data"
	"hepflow/flow"
)

// TestCompactTrainsLikeTable: FitEvents on float32 storage (what `hepflow
// train` reads into) gives the model FitModel gives on a float64 Table of the
// same values, bit for bit, with weights, a context column, a discrete
// column (redrawn noise every epoch) and more events than one evaluation
// chunk, for a single flow and an ensemble; and FitModel leaves the
// caller's table as it was.
func TestCompactTrainsLikeTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = evalChunk + 5000
	cols := []string{"a", "b", "tag", "c"}
	x := make([]float64, 0, n*4)
	w := make([]float64, n)
	for i := range n {
		c := float64(i % 3)
		x = append(x, float64(float32(rng.NormFloat64()+c)), float64(float32(rng.ExpFloat64())), float64(rng.IntN(3)), c)
		w[i] = float64(float32(0.5 + rng.Float64()))
	}
	tab, err := data.New(cols, slices.Clone(x))
	if err != nil {
		t.Fatal(err)
	}
	for _, members := range []int{1, 2} {
		// FitEvents reorders its events: a fresh copy each time.
		cmp, err := data.NewCompact(cols)
		if err != nil {
			t.Fatal(err)
		}
		if err := cmp.Append(x); err != nil {
			t.Fatal(err)
		}
		if !cmp.Float32() {
			t.Fatal("the values are float32: want float32 storage")
		}
		opt := ModelOptions{Spec: flow.Spec{Kind: "maf", Blocks: 2, Hidden: []int{16}, Activation: "tanh", Seed: 1},
			Config: Config{Epochs: 2, Batch: 256, Seed: 7}, ValFraction: 0.2, Gemm: testGemm(), Workers: 2,
			Context: []string{"c"}, Ensemble: members}
		want, err := FitModel(context.Background(), tab, w, opt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := FitEvents(context.Background(), cmp, w, opt)
		if err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(float64(got.ValNLL)) != math.Float64bits(float64(want.ValNLL)) ||
			math.Float64bits(float64(got.TrainNLL)) != math.Float64bits(float64(want.TrainNLL)) {
			t.Fatalf("ensemble %d: compact NLLs (train %v, val %v) differ from the table's (%v, %v)",
				members, got.TrainNLL, got.ValNLL, want.TrainNLL, want.ValNLL)
		}
		if !slices.Equal(tab.Data, x) {
			t.Fatal("FitModel changed the caller's table")
		}
		probe := x[:200*4]
		feats, ctx := make([]float64, 0, 600), make([]float64, 0, 200)
		for r := range 200 {
			feats = append(feats, probe[r*4:r*4+3]...)
			ctx = append(ctx, probe[r*4+3])
		}
		lg, lw := make([]float64, 200), make([]float64, 200)
		if _, err := got.Model.LogProb(lg, feats, ctx, 200, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		if _, err := want.Model.LogProb(lw, feats, ctx, 200, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		for r := range lg {
			if lg[r] != lw[r] {
				t.Fatalf("ensemble %d: log p[%d] = %v from the compact fit, %v from the table's", members, r, lg[r], lw[r])
			}
		}
	}
}
