package train

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"hepflow/nn"
)

// Checkpoint is the state of a Fit at the end of an epoch: everything the
// run needs to continue bit for bit as if it had never stopped, given the
// same flow, data, configuration and worker count. Done marks a finished
// run: Params are then its final (best) weights and Summary its summary.
type Checkpoint struct {
	// Epoch is the number of epochs completed.
	Epoch int
	Done  bool
	// Summary is the run's summary so far (Seconds: time spent so far).
	Summary Summary
	// Best is the best validation NLL so far (+Inf before any), Bad the
	// epochs since it improved, InitVal the initial weights' validation
	// NLL, BadRun the consecutive skipped steps at the end of the epoch.
	Best, InitVal float64
	Bad, BadRun   int
	// Params are the current weights, BestParams the best epoch's (nil
	// before any), in the order of the flow's Params.
	Params, BestParams [][]float32
	Adam               nn.AdamState
	// RNG is the shuffling generator's state (rand.PCG binary form), Perm
	// the order of the training events after the last shuffle: each epoch
	// shuffles the previous epoch's order.
	RNG  []byte
	Perm []int32
}

// check reports whether c can continue a run of f's params on rows
// training events.
func (c *Checkpoint) check(params []*nn.Param, rows int) error {
	shapes := func(what string, vs [][]float32) error {
		if len(vs) != len(params) {
			return fmt.Errorf("checkpoint has %d %s tensors, the flow %d", len(vs), what, len(params))
		}
		for i, p := range params {
			if len(vs[i]) != len(p.Value) {
				return fmt.Errorf("checkpoint %s tensor %s has %d values, the flow's %d", what, p.Name, len(vs[i]), len(p.Value))
			}
		}
		return nil
	}
	if err := shapes("weight", c.Params); err != nil {
		return err
	}
	if c.Done {
		return nil
	}
	if c.BestParams != nil {
		if err := shapes("best-weight", c.BestParams); err != nil {
			return err
		}
	}
	if len(c.Perm) != rows {
		return fmt.Errorf("checkpoint shuffles %d training events, the data have %d", len(c.Perm), rows)
	}
	seen := make([]bool, rows)
	for _, r := range c.Perm {
		if r < 0 || int(r) >= rows || seen[r] {
			return fmt.Errorf("checkpoint's event order is not a permutation of %d events", rows)
		}
		seen[r] = true
	}
	if c.Epoch < 1 {
		return fmt.Errorf("checkpoint after epoch %d: want >= 1", c.Epoch)
	}
	return nil
}

// fitState is what Fit carries from epoch to epoch, saved and restored
// through a Checkpoint.
type fitState struct {
	sum     Summary
	best    float64
	initVal float64
	bad     int
	badRun  int
	bestW   [][]float32
	pcg     *rand.PCG
	perm    []int
}

// checkpoint returns the state after epoch ep; seconds is the run's time so far.
func (s *fitState) checkpoint(ep int, params []*nn.Param, opt *nn.Adam, seconds float64) (*Checkpoint, error) {
	rng, err := s.pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	perm := make([]int32, len(s.perm))
	for i, r := range s.perm {
		perm[i] = int32(r)
	}
	sum := s.sum
	sum.Seconds = seconds
	c := &Checkpoint{Epoch: ep, Summary: sum, Best: s.best, InitVal: s.initVal, Bad: s.bad, BadRun: s.badRun,
		Params: nn.Snapshot(params), Adam: opt.State(), RNG: rng, Perm: perm}
	if s.bestW != nil {
		c.BestParams = make([][]float32, len(s.bestW))
		for i, w := range s.bestW {
			c.BestParams[i] = slices.Clone(w)
		}
	}
	return c, nil
}

// restore puts a checkpoint's state into s, the params and the optimiser.
func (s *fitState) restore(c *Checkpoint, params []*nn.Param, opt *nn.Adam) error {
	if err := s.pcg.UnmarshalBinary(c.RNG); err != nil {
		return fmt.Errorf("checkpoint's random state: %w", err)
	}
	if err := opt.SetState(c.Adam); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	nn.Restore(params, c.Params)
	for i, r := range c.Perm {
		s.perm[i] = int(r)
	}
	s.sum, s.best, s.initVal, s.bad, s.badRun = c.Summary, c.Best, c.InitVal, c.Bad, c.BadRun
	s.bestW = nil
	if c.BestParams != nil {
		s.bestW = make([][]float32, len(c.BestParams))
		for i, w := range c.BestParams {
			s.bestW[i] = slices.Clone(w)
		}
	}
	return nil
}
