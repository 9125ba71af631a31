package train

import (
	"math"
	"math/rand/v2"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/model"
)

// events are some rows of a Compact with the model's feature and context
// columns: one split's physical events, read a chunk at a time, so that a
// full-size sample is held once (compactly) and never as float64 matrices
// of features.
type events struct {
	src  *data.Compact
	idx  []int     // rows of src, in split order
	feat []int     // src columns that are modelled, in model order
	ctx  []int     // src columns of the context
	w    []float64 // per event, aligned with idx; nil for unit weights
}

// evalChunk is the rows read at a time: a multiple of flow.ChunkRows, so
// that model.LogProb sees the same batches as on the whole set at once
// (and so gives the same bits).
const evalChunk = 16 * flow.ChunkRows

func (e events) rows() int { return len(e.idx) }

// subset is e restricted to the events at positions keep (of e.idx).
func (e events) subset(keep []int) events {
	s := events{src: e.src, feat: e.feat, ctx: e.ctx, idx: make([]int, len(keep))}
	if e.w != nil {
		s.w = make([]float64, len(keep))
	}
	for k, i := range keep {
		s.idx[k] = e.idx[i]
		if e.w != nil {
			s.w[k] = e.w[i]
		}
	}
	return s
}

// context returns the context of every event, rows x len(ctx).
func (e events) context() []float64 {
	return e.src.Gather(nil, e.idx, e.ctx)
}

// each calls fn on consecutive chunks of evalChunk events in order: start
// is the first event's position, x its features (n x len(feat)), c its
// context (n x len(ctx)), w its weights (nil for unit weights). The
// slices are scratch, valid during the call.
func (e events) each(fn func(start, n int, x, c, w []float64) error) error {
	var x, c []float64
	for start := 0; start < len(e.idx); start += evalChunk {
		n := min(evalChunk, len(e.idx)-start)
		rows := e.idx[start : start+n]
		x = e.src.Gather(x, rows, e.feat)
		c = e.src.Gather(c, rows, e.ctx)
		var w []float64
		if e.w != nil {
			w = e.w[start : start+n]
		}
		if err := fn(start, n, x, c, w); err != nil {
			return err
		}
	}
	return nil
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
