package train

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"hepflow/flow"
	"hepflow/nn"
)

func smallFlow(t *testing.T) *flow.Flow {
	t.Helper()
	f, err := flow.Build(flow.Spec{Kind: "maf", Dim: 2, Blocks: 1, Hidden: []int{8}, Activation: "tanh", Seed: 3}, testGemm())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func sameWeights(a, b [][]float32) bool {
	for i := range a {
		for k := range a[i] {
			if a[i][k] != b[i][k] {
				return false
			}
		}
	}
	return true
}

// TestNaNStepSkipped: a batch with a NaN event is skipped and counted; the
// others train normally and the run finishes with finite weights.
func TestNaNStepSkipped(t *testing.T) {
	x := banana(rand.New(rand.NewPCG(1, 1)), 600)
	x[2*300] = float32(math.NaN())
	f := smallFlow(t)
	s, err := Fit(context.Background(), f, Dataset{X: x, Rows: 600, Dim: 2}, Dataset{}, Config{Epochs: 4, Batch: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// One of the 6 batches per epoch holds the NaN event.
	if s.SkippedSteps != 4 || s.Steps != 20 || !s.TrainNLL.Valid() {
		t.Fatalf("summary %+v: want 4 skipped, 20 steps, a finite train NLL", s)
	}
	for _, p := range f.Params() {
		for _, v := range p.Value {
			if math.IsNaN(float64(v)) {
				t.Fatal("NaN weight after skipped steps")
			}
		}
	}
}

// TestDivergedKeepsBest: when every step turns non-finite from epoch 3 on,
// the run stops after MaxBadSteps as diverged and the flow holds the weights
// of the best epoch before.
func TestDivergedKeepsBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	tr := Dataset{X: banana(rng, 800), Rows: 800, Dim: 2}
	val := Dataset{X: banana(rng, 200), Rows: 200, Dim: 2}
	tr.Redraw = func(epoch int, x []float32, _ []float64) error {
		if epoch == 3 {
			for i := range x {
				x[i] = float32(math.Inf(1))
			}
		}
		return nil
	}
	f := smallFlow(t)
	var best [][]float32
	bestVal := math.Inf(1)
	cfg := Config{Epochs: 10, Batch: 50, Seed: 1, MaxBadSteps: 5, Progress: func(e Epoch) {
		if e.Best {
			best, bestVal = nn.Snapshot(f.Params()), float64(e.ValNLL)
		}
	}}
	s, err := Fit(context.Background(), f, tr, val, cfg)
	st := Stopped(err)
	if st == nil || st.Reason != Diverged || st.Epoch != 3 || s.Stopped != Diverged || s.SkippedSteps != 5 {
		t.Fatalf("error %v, summary %+v: want diverged in epoch 3 after 5 skipped steps", err, s)
	}
	if !sameWeights(best, nn.Snapshot(f.Params())) || float64(s.ValNLL) != bestVal {
		t.Errorf("weights or val NLL (%v, best epoch %v) are not the best epoch's", s.ValNLL, bestVal)
	}
	if !st.Kept {
		t.Error("diverged after a good epoch: Kept is false")
	}
	t.Log(err)
}

// TestDivergedAtOnce: a learning rate that blows the weights up on the first
// step leaves nothing better than the initial weights: nothing is kept.
func TestDivergedAtOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	tr := Dataset{X: banana(rng, 400), Rows: 400, Dim: 2}
	val := Dataset{X: banana(rng, 100), Rows: 100, Dim: 2}
	s, err := Fit(context.Background(), smallFlow(t), tr, val, Config{Epochs: 5, Batch: 50, LR: 1e30, Seed: 1, MaxBadSteps: 3})
	if st := Stopped(err); st == nil || st.Reason != Diverged || st.Kept {
		t.Fatalf("error %v, summary %+v: want diverged, nothing kept", err, s)
	}
	// Without validation nothing can tell good from bad weights: only the
	// stop is certain.
	_, err = Fit(context.Background(), smallFlow(t), tr, Dataset{}, Config{Epochs: 5, Batch: 50, LR: 1e30, Seed: 1, MaxBadSteps: 3})
	if st := Stopped(err); st == nil || st.Reason != Diverged {
		t.Fatalf("without validation: %v, want diverged", err)
	}
}

// TestInterruptKeepsBest: cancelling the context stops the run after the
// current step with a StoppedError that wraps context.Canceled; the flow
// keeps the better of the best epoch and the weights at the stop.
func TestInterruptKeepsBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	tr := Dataset{X: banana(rng, 800), Rows: 800, Dim: 2}
	val := Dataset{X: banana(rng, 200), Rows: 200, Dim: 2}
	f := smallFlow(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := Config{Epochs: 50, Batch: 50, Seed: 1, Progress: func(e Epoch) {
		if e.Epoch == 3 {
			cancel()
		}
	}}
	s, err := Fit(ctx, f, tr, val, cfg)
	st := Stopped(err)
	if st == nil || st.Reason != Interrupted || !errors.Is(err, context.Canceled) || s.Epochs != 3 || s.Steps != 3*16 {
		t.Fatalf("error %v, summary %+v: want interrupted after epoch 3 (48 steps)", err, s)
	}
	if got := f.NLL(val.X, nil, nil, val.Rows, float64(val.Rows)); math.Abs(got-float64(s.ValNLL)) > 1e-9 {
		t.Errorf("flow's val NLL %v, summary says %v", got, s.ValNLL)
	}
	if !st.Kept {
		t.Error("interrupted after 3 epochs: Kept is false")
	}
	// Cancelled before the first step: nothing trained, nothing to keep.
	s, err = Fit(ctx, smallFlow(t), tr, val, cfg)
	if st := Stopped(err); st == nil || st.Kept || s.Steps != 0 {
		t.Fatalf("cancelled before the start: %v, %+v", err, s)
	}
}

// TestNoValidation: without validation events every epoch runs, the last
// weights are kept, and the summary's missing val NLL is JSON null.
func TestNoValidation(t *testing.T) {
	x := banana(rand.New(rand.NewPCG(4, 4)), 400)
	f := smallFlow(t)
	s, err := Fit(context.Background(), f, Dataset{X: x, Rows: 400, Dim: 2}, Dataset{}, Config{Epochs: 5, Batch: 100, Patience: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s.Epochs != 5 || s.BestEpoch != 5 || s.StoppedEarly || s.ValNLL.Valid() {
		t.Fatalf("summary %+v", s)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil || back.ValNLL.Valid() || back.TrainNLL != s.TrainNLL {
		t.Fatalf("JSON %s back as %+v (%v)", b, back, err)
	}
}

// TestLogDetGivesPhysicalUnits: the NLLs Fit reports subtract the dataset's
// LogDet (weighted), so a constant log-Jacobian c shifts them by exactly -c;
// Redraw is called once per epoch from the second, with the epoch number.
func TestLogDetGivesPhysicalUnits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x, xv := banana(rng, 400), banana(rng, 100)
	run := func(c float64) (Summary, []int) {
		tr := Dataset{X: x, Rows: 400, Dim: 2}
		val := Dataset{X: xv, Rows: 100, Dim: 2, W: make([]float64, 100)}
		for i := range val.W {
			val.W[i] = 0.5 + float64(i%3)
		}
		var calls []int
		if c != 0 {
			tr.LogDet, val.LogDet = make([]float64, 400), make([]float64, 100)
			for i := range tr.LogDet {
				tr.LogDet[i] = c
			}
			for i := range val.LogDet {
				val.LogDet[i] = c
			}
			tr.Redraw = func(epoch int, _ []float32, _ []float64) error { calls = append(calls, epoch); return nil }
		}
		s, err := Fit(context.Background(), smallFlow(t), tr, val, Config{Epochs: 3, Batch: 100, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		return s, calls
	}
	s0, _ := run(0)
	s1, calls := run(13)
	if math.Abs(float64(s0.TrainNLL-s1.TrainNLL)-13) > 1e-9 || math.Abs(float64(s0.ValNLL-s1.ValNLL)-13) > 1e-9 {
		t.Errorf("NLLs %v/%v without and %v/%v with LogDet 13: want a shift of exactly 13", s0.TrainNLL, s0.ValNLL, s1.TrainNLL, s1.ValNLL)
	}
	if len(calls) != 2 || calls[0] != 2 || calls[1] != 3 {
		t.Errorf("Redraw called for epochs %v, want [2 3]", calls)
	}
}
