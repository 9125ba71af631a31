package model

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"hepflow/flow"
)

// TestConcurrentCallsAgreeWithSerial: LogProb and Sample called from many
// goroutines at once give exactly what one call at a time gives, for a
// single flow (2 workers) and an ensemble; run with -race it also checks
// that the calls share no buffers. A flow not built from a Spec (no
// replicas) takes turns and agrees too.
func TestConcurrentCallsAgreeWithSerial(t *testing.T) {
	single, x := testModel(t)
	if err := single.SetWorkers(2); err != nil {
		t.Fatal(err)
	}
	ens, xe := ensembleModel(t, 3)
	manual, xm := testModel(t)
	f, err := flow.New(manual.Flow.Base, manual.Flow.Transforms...)
	if err != nil {
		t.Fatal(err)
	}
	manual.Flow = f
	for _, c := range []struct {
		name string
		m    *Model
		x    []float64
	}{{"single", single, x}, {"ensemble", ens, xe}, {"unreplicable", manual, xm}} {
		t.Run(c.name, func(t *testing.T) {
			d := c.m.Dim()
			rows := len(c.x) / d
			const calls = 8
			wantLP := make([][]float64, calls)
			wantS := make([][]float64, calls)
			for i := range calls {
				wantLP[i] = make([]float64, rows)
				if _, err := c.m.LogProb(wantLP[i], c.x, nil, rows, rand.New(rand.NewPCG(uint64(i), 1))); err != nil {
					t.Fatal(err)
				}
				wantS[i] = make([]float64, 50*d)
				if err := c.m.Sample(wantS[i], nil, 50, rand.New(rand.NewPCG(uint64(i), 2))); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make(chan string, 2*calls)
			for i := range calls {
				wg.Add(2)
				go func() {
					defer wg.Done()
					got := make([]float64, rows)
					if _, err := c.m.LogProb(got, c.x, nil, rows, rand.New(rand.NewPCG(uint64(i), 1))); err != nil || !slices.Equal(got, wantLP[i]) {
						errs <- "logprob differs from the serial call"
					}
				}()
				go func() {
					defer wg.Done()
					got := make([]float64, 50*d)
					if err := c.m.Sample(got, nil, 50, rand.New(rand.NewPCG(uint64(i), 2))); err != nil || !slices.Equal(got, wantS[i]) {
						errs <- "sample differs from the serial call"
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Fatal(e)
			}
		})
	}
	// Replicas follow SetWorkers: stale ones are not reused.
	if err := single.SetWorkers(1); err != nil {
		t.Fatal(err)
	}
	ws, done, err := single.acquire()
	if err != nil || ws[0].Workers() != 1 {
		t.Fatalf("after SetWorkers(1): %d workers, %v", ws[0].Workers(), err)
	}
	done()
}
