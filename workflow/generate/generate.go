// Package generate draws events from a model in blocks whose random streams
// depend only on the seed and the block's index, so that any split of a run
// (shards on a batch farm, requests to a service, one command) gives exactly
// the events of one big run. The command line's sample and the HTTP
// service both generate through it.
package generate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"hepflow/flow"
	"hepflow/model"
)

// Block is the unit of reproducibility: block b of a run is drawn from its
// own random stream (seed, b).
const Block = flow.ChunkRows

// Run describes a run of N events and the part of it to draw.
type Run struct {
	// N is the number of events of the whole run.
	N int64
	// Lo and Hi delimit the events to draw, [Lo, Hi) of the run; Hi = 0
	// means N.
	Lo, Hi int64
	// Seed picks the run.
	Seed uint64
	// Context is one row of physical context values for every event of a
	// conditional model (in the order of its ContextColumns), or nil.
	Context []float64
	// PerEvent holds a context row per event of the run (N rows), or nil.
	PerEvent []float64
}

// Shard returns the events [lo, hi) of shard k of of (counting from 1) of
// a run of n events.
func Shard(n int64, k, of int) (lo, hi int64) {
	return n * int64(k-1) / int64(of), n * int64(k) / int64(of)
}

// Columns are the columns of the generated rows: the model's output
// columns (constant columns in their places), then its context columns.
func Columns(m *model.Model) []string {
	return append(m.OutputColumns()[:len(m.OutputColumns()):len(m.OutputColumns())], m.ContextColumns()...)
}

// Check validates r against m.
func (r Run) Check(m *model.Model) error {
	nk := int64(m.ContextDim())
	hi := r.Hi
	if hi == 0 {
		hi = r.N
	}
	switch {
	case r.N < 1:
		return fmt.Errorf("a run of %d events: want at least 1", r.N)
	case r.Lo < 0 || hi > r.N || r.Lo > hi:
		return fmt.Errorf("events [%d, %d) of a run of %d", r.Lo, hi, r.N)
	case r.Context != nil && r.PerEvent != nil:
		return fmt.Errorf("a context for every event and one per event: give one")
	case nk == 0 && (r.Context != nil || r.PerEvent != nil):
		return fmt.Errorf("the model takes no context")
	case nk > 0 && r.Context == nil && r.PerEvent == nil:
		return fmt.Errorf("the model is conditional on %v: a context is needed", m.ContextColumns())
	case r.Context != nil && int64(len(r.Context)) != nk:
		return fmt.Errorf("%d context values, the model takes %d (%v)", len(r.Context), nk, m.ContextColumns())
	case r.PerEvent != nil && int64(len(r.PerEvent)) != r.N*nk:
		return fmt.Errorf("%d context values for %d events of %d context columns", len(r.PerEvent), r.N, nk)
	}
	return nil
}

// Generate draws the events [Lo, Hi) of the run and hands them to emit in
// order, a block's worth (or less) at a time, as rows of Columns(m)
// (row-major; the slice is reused after emit returns). It stops at the
// first error of emit or when ctx is done.
func Generate(ctx context.Context, m *model.Model, r Run, emit func(rows []float64) error) error {
	if err := r.Check(m); err != nil {
		return err
	}
	lo, hi, n := r.Lo, r.Hi, r.N
	if hi == 0 {
		hi = n
	}
	nk := int64(m.ContextDim())
	var one []float64
	if r.Context != nil {
		one = make([]float64, 0, Block*nk)
		for range Block {
			one = append(one, r.Context...)
		}
	}
	d, dw := int64(m.Dim()), int64(len(Columns(m)))
	nout := int64(len(m.OutputColumns()))
	buf := make([]float64, Block*d)
	wide := buf
	if len(m.Info.Constants) > 0 || nk > 0 {
		wide = make([]float64, Block*dw)
	}
	// A block straddling lo or hi is drawn whole from its stream and cut.
	for b := lo / Block; b*Block < hi; b++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		first := b * Block // the block's first event in the run
		rows := min(Block, n-first)
		cb := one
		if r.PerEvent != nil {
			cb = r.PerEvent[first*nk : (first+rows)*nk]
		}
		if err := m.Sample(buf[:rows*d], cb, int(rows), rand.New(rand.NewPCG(r.Seed, uint64(b)))); err != nil {
			return err
		}
		switch {
		case nk > 0:
			out := wide[:rows*nout]
			if len(m.Info.Constants) > 0 {
				m.WithConstants(out, buf, int(rows))
			} else {
				copy(out, buf[:rows*d])
			}
			// Spread the rows to make room for the context, last row first.
			for i := rows - 1; i >= 0; i-- {
				copy(wide[i*dw:i*dw+nout], out[i*nout:(i+1)*nout])
				copy(wide[i*dw+nout:(i+1)*dw], cb[i*nk:(i+1)*nk])
			}
		case len(m.Info.Constants) > 0:
			m.WithConstants(wide, buf, int(rows))
		}
		from, to := max(lo, first)-first, min(hi, first+rows)-first
		if err := emit(wide[from*dw : to*dw]); err != nil {
			return err
		}
	}
	return nil
}

// ParseShard reads "K/N" (shard K of N, 1 <= K <= N).
func ParseShard(s string) (k, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, fmt.Errorf("%q: want K/N with 1 <= K <= N, e.g. 2/8", s)
	}
	return k, n, nil
}
