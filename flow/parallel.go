package flow

import (
	"errors"
	"math/rand/v2"
	"sync"

	"hepflow/nn"
)

// minRowsPerWorker keeps small batches on one core: below it, waking a
// worker costs more than it saves.
const minRowsPerWorker = 64

// sampleBlock is the unit of parallel sampling: each block of rows draws from
// its own stream seeded from the caller's generator in block order, so the
// events do not depend on how many workers there are.
const sampleBlock = 1024

// SetWorkers spreads the batch-wise methods (NLLGrad, NLL, LogProb, Sample,
// SampleAndLogProb) over n workers: n-1 replicas with their own buffers and
// gradients share this flow's parameter values. Each worker calls the GEMM
// backend from its own goroutine, so give it a single-threaded backend when
// n > 1. Only flows made by Build can be replicated.
func (f *Flow) SetWorkers(n int) error {
	if n < 1 {
		return errors.New("flow: need at least 1 worker")
	}
	if n > 1 && f.spec == nil {
		return errors.New("flow: only a flow built from a Spec can use several workers")
	}
	f.reps = f.reps[:0]
	main := f.Params()
	for len(f.reps) < n-1 {
		r, err := Build(*f.spec, f.gemm)
		if err != nil {
			return err
		}
		for i, p := range r.Params() {
			p.Value = main[i].Value // shared: the optimiser updates every replica at once
		}
		f.reps = append(f.reps, r)
	}
	return nil
}

// Workers is the number of workers (1 unless SetWorkers asked for more).
func (f *Flow) Workers() int { return len(f.reps) + 1 }

// split cuts rows into at most Workers() contiguous parts that start at
// multiples of unit and returns their bounds (a buffer of f, valid until the
// next call).
//
// The density paths pass unit = densityRows, the chunk a worker pushes
// through the transforms at once: every chunk then starts at the same row
// and has the same length whatever the number of workers, so each row meets
// the same products and vector passes. That is what makes their results
// independent of the number of workers: a GEMM need not give a row the same
// bits whatever the number of rows it is called with (OpenBLAS does not: its
// edge rows go through other micro-kernels and its small products through
// other code), and an elementwise pass over a chunk cuts its vector bodies
// and tails by the chunk's length.
func (f *Flow) split(rows, unit int) []int {
	chunks := (rows + unit - 1) / unit
	n := min(f.Workers(), max(rows/minRowsPerWorker, 1), max(chunks, 1))
	if cap(f.bounds) < n+1 {
		f.bounds = make([]int, n+1)
	}
	b := f.bounds[:n+1]
	for i := range b {
		b[i] = min(chunks*i/n*unit, rows)
	}
	return b
}

// partSums returns a zeroed buffer of one float64 per worker.
func (f *Flow) partSums() []float64 {
	if len(f.parts) != f.Workers() {
		f.parts = make([]float64, f.Workers())
	}
	clear(f.parts)
	return f.parts
}

// worker returns worker i (0 is f itself).
func (f *Flow) worker(i int) *Flow {
	if i == 0 {
		return f
	}
	return f.reps[i-1]
}

// each runs fn(worker, i, lo, hi) for every part of split(rows, unit)
// concurrently.
func (f *Flow) each(rows, unit int, fn func(w *Flow, i, lo, hi int)) {
	b := f.split(rows, unit)
	if len(b) == 2 {
		fn(f, 0, 0, rows)
		return
	}
	var wg sync.WaitGroup
	for i := 1; i+1 < len(b); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(f.worker(i), i, b[i], b[i+1])
		}()
	}
	fn(f, 0, b[0], b[1])
	wg.Wait()
}

// LogProb writes log p(x | c) for each row of x (c nil for an unconditional
// flow). The values do not depend on the number of workers.
func (f *Flow) LogProb(dst []float64, x, c []float32, rows int) {
	d := f.Dim()
	f.each(rows, densityRows, func(w *Flow, _, lo, hi int) {
		w.logProb(dst[lo:hi], x[lo*d:hi*d], f.crows(c, lo), hi-lo)
	})
}

// NLL returns sum_r w_r * (-log p(x_r)) / norm, with w nil meaning unit
// weights; it computes no gradients. Used for validation losses. Each row's
// term does not depend on the number of workers (their sum's rounding does).
func (f *Flow) NLL(x, c []float32, w []float64, rows int, norm float64) float64 {
	d := f.Dim()
	parts := f.partSums()
	f.each(rows, densityRows, func(fw *Flow, i, lo, hi int) {
		var wp []float64
		if w != nil {
			wp = w[lo:hi]
		}
		parts[i] = fw.nll(x[lo*d:hi*d], f.crows(c, lo), wp, hi-lo, norm)
	})
	var s float64
	for _, v := range parts {
		s += v
	}
	return s
}

// NLLGrad computes L = sum_r w_r * (-log p(x_r)) / norm for one batch and adds
// dL/dparams to the parameter gradients. w nil means unit weights; norm is
// usually rows (or rows times the mean weight of the whole sample, so that
// negative-weight batches keep a fixed scale). Returns L. With several
// workers each computes its part of the rows and their gradients are summed
// in worker order, so a run is reproducible for a given number of workers.
func (f *Flow) NLLGrad(x, c []float32, w []float64, rows int, norm float64) float64 {
	d := f.Dim()
	parts := f.partSums()
	// Even parts (unit 1) balance the load; each worker runs its part as one
	// batch, so results depend on the number of workers to rounding.
	used := len(f.split(rows, 1)) - 1
	f.each(rows, 1, func(fw *Flow, i, lo, hi int) {
		if i > 0 {
			nn.ZeroGrad(fw.Params())
		}
		var wp []float64
		if w != nil {
			wp = w[lo:hi]
		}
		parts[i] = fw.nllGrad(x[lo*d:hi*d], f.crows(c, lo), wp, hi-lo, norm)
	})
	main := f.Params()
	for i := 1; i < used; i++ {
		for k, p := range f.reps[i-1].Params() {
			g := main[k].Grad
			for j, v := range p.Grad {
				g[j] += v
			}
		}
	}
	var s float64
	for _, v := range parts {
		s += v
	}
	return s
}

// SampleAndLogProb draws rows events into x, event r from p(x | c_r) for a
// conditional flow, and writes their log-density into logp (which may be
// nil). The events depend on rng, c and rows only, not on the number of
// workers.
func (f *Flow) SampleAndLogProb(x, c []float32, logp []float64, rows int, rng *rand.Rand) {
	nb := (rows + sampleBlock - 1) / sampleBlock
	rngs := make([]*rand.Rand, nb)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	}
	d := f.Dim()
	nw := min(f.Workers(), nb)
	var wg sync.WaitGroup
	for i := 0; i < nw; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := f.worker(i)
			for b := i; b < nb; b += nw {
				lo, hi := b*sampleBlock, min((b+1)*sampleBlock, rows)
				var lp []float64
				if logp != nil {
					lp = logp[lo:hi]
				}
				w.sampleAndLogProb(x[lo*d:hi*d], f.crows(c, lo), lp, hi-lo, rngs[b])
			}
		}()
	}
	wg.Wait()
}

// Sample draws rows events into x given context c (see SampleAndLogProb).
func (f *Flow) Sample(x, c []float32, rows int, rng *rand.Rand) {
	f.SampleAndLogProb(x, c, nil, rows, rng)
}

// Replica returns a flow that shares f's parameter values (not copies:
// training f moves both) with buffers of its own and f's number of
// workers, so that the two can compute densities and samples at the same
// time from different goroutines. Only a flow built from a Spec has one.
func (f *Flow) Replica() (*Flow, error) {
	if f.spec == nil {
		return nil, errors.New("flow: only a flow built from a Spec can be replicated")
	}
	r, err := Build(*f.spec, f.gemm)
	if err != nil {
		return nil, err
	}
	main := f.Params()
	for i, p := range r.Params() {
		p.Value = main[i].Value
	}
	if err := r.SetWorkers(f.Workers()); err != nil {
		return nil, err
	}
	return r, nil
}
