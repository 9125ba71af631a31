package train

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/model"
)

// events are some rows of a Compact with the model's feature and context
// columns: one split's physical events, read a chunk at a time, so that a
// full-size sample is held once (compactly) and never as float64 matrices
// of features. FitEvents puts each split's rows next to each other, so
// that reading them is sequential: rows lo..lo+n-1, or those listed in idx.
type events struct {
	src   *data.Compact
	lo, n int
	idx   []int     // when not nil: these rows of src (n == len(idx))
	feat  []int     // src columns that are modelled, in model order
	ctx   []int     // src columns of the context
	w     []float64 // per event; nil for unit weights
}

// evalChunk is the rows read at a time: a multiple of flow.ChunkRows, so
// that model.LogProb sees the same batches as on the whole set at once
// (and so gives the same bits).
const evalChunk = 16 * flow.ChunkRows

func (e events) rows() int { return e.n }

// subset is e restricted to the events at positions keep (ascending).
func (e events) subset(keep []int) events {
	s := events{src: e.src, feat: e.feat, ctx: e.ctx, n: len(keep), idx: make([]int, len(keep))}
	if e.w != nil {
		s.w = make([]float64, len(keep))
	}
	for k, i := range keep {
		s.idx[k] = e.lo + i
		if e.idx != nil {
			s.idx[k] = e.idx[i]
		}
		if e.w != nil {
			s.w[k] = e.w[i]
		}
	}
	return s
}

// gather writes columns cols of events start..start+n-1 into dst.
func (e events) gather(dst []float64, start, n int, cols []int) []float64 {
	if e.idx != nil {
		return e.src.Gather(dst, e.idx[start:start+n], cols)
	}
	return e.src.GatherRange(dst, e.lo+start, n, cols)
}

// column returns column j (of src) of every event.
func (e events) column(j int, buf []float64) []float64 {
	if e.idx != nil {
		return e.src.Gather(buf, e.idx, []int{j})
	}
	return e.src.Column(j, e.lo, e.n, buf)
}

// context returns the context of every event, rows x len(ctx).
func (e events) context() []float64 {
	return e.gather(nil, 0, e.n, e.ctx)
}

// each calls fn on consecutive chunks of evalChunk events in order: start
// is the first event's position, x its features (n x len(feat)), c its
// context (n x len(ctx)), w its weights (nil for unit weights). The
// slices are scratch, valid during the call. (eachParallel with one
// worker, which takes the chunks in order.)
func (e events) each(fn func(start, n int, x, c, w []float64) error) error {
	return e.eachParallel(1, 0, nil, func(start, n int, x, c, w, _ []float64) error { return fn(start, n, x, c, w) })
}

// eachParallel is each with the chunks spread over workers goroutines, in
// no particular order; fn must be safe for concurrent calls on different
// chunks. With draw set, each chunk also gets perRow numbers per event in
// u, drawn by draw in chunk order (so random numbers come out as from one
// sequential pass, whatever the number of workers). The first error stops
// the rest and is returned.
func (e events) eachParallel(workers, perRow int, draw func(u []float64), fn func(start, n int, x, c, w, u []float64) error) error {
	type job struct {
		start, n int
		u        []float64
	}
	workers = max(1, min(workers, (e.n+evalChunk-1)/evalChunk))
	// One worker takes the chunks in order (each relies on it).
	jobs := make(chan job, workers)
	free := make(chan []float64, 2*workers+1)
	var failed atomic.Bool
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var x, c []float64
			for j := range jobs {
				if failed.Load() {
					continue
				}
				x = e.gather(x, j.start, j.n, e.feat)
				c = e.gather(c, j.start, j.n, e.ctx)
				var w []float64
				if e.w != nil {
					w = e.w[j.start : j.start+j.n]
				}
				if err := fn(j.start, j.n, x, c, w, j.u); err != nil {
					errs[k] = err
					failed.Store(true)
				}
				select {
				case free <- j.u:
				default:
				}
			}
		}()
	}
	for start := 0; start < e.n && !failed.Load(); start += evalChunk {
		j := job{start: start, n: min(evalChunk, e.n-start)}
		if draw != nil {
			var u []float64
			select {
			case u = <-free:
			default:
			}
			j.u = slices.Grow(u[:0], j.n*perRow)[:j.n*perRow]
			draw(j.u)
		}
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}

// physicalNLL is the weighted mean -log p(x | c) in physical units over the
// events that have a density, with dequantization noise from rng.
func physicalNLL(m *model.Model, ev events, rng *rand.Rand) (Nats, error) {
	var s, sw float64
	lp := make([]float64, min(evalChunk, ev.rows()))
	err := ev.each(func(_, n int, x, c, w []float64) error {
		if _, err := m.LogProb(lp[:n], x, c, n, rng); err != nil {
			return err
		}
		for r, v := range lp[:n] {
			if math.IsInf(v, -1) {
				continue
			}
			wr := 1.0
			if w != nil {
				wr = w[r]
			}
			s -= wr * v
			sw += wr
		}
		return nil
	})
	return Nats(s / sw), err
}
