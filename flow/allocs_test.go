package flow

import (
	"math/rand/v2"
	"testing"

	"hepflow/nn"
)

// TestTrainingStepAllocations guards the engine's rule that a training step
// allocates nothing sizeable: workspaces are sized once per batch size. What
// remains with several workers is the goroutines that run them.
func TestTrainingStepAllocations(t *testing.T) {
	for _, workers := range []int{1, 2} {
		f, err := Build(Spec{Kind: "maf", Dim: 8, Blocks: 3, Hidden: []int{32, 32}, Activation: "relu", Seed: 1}, testGemm())
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetWorkers(workers); err != nil {
			t.Fatal(err)
		}
		x := randBatch(rand.New(rand.NewPCG(1, 1)), 256, 8)
		opt := nn.NewAdam(f.Params(), 1e-3, 0)
		ps := f.Params()
		step := func() { nn.ZeroGrad(ps); f.NLLGrad(x, nil, nil, 256, 256); opt.Step() }
		step()
		// One closure per call, and per extra worker its goroutine and closure.
		limit := float64(1 + 2*(workers-1))
		if got := testing.AllocsPerRun(20, step); got > limit {
			t.Errorf("%d workers: %v allocations per training step, want at most %v", workers, got, limit)
		}
	}
}
