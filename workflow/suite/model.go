package suite

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"hepflow/flow"
	"hepflow/model"
	"hepflow/preprocess"
	"hepflow/validate"
)

// checkColumns makes sure a sample holds exactly the model's columns, in
// order.
func checkColumns(m *model.Model, s validate.Sample, what string) error {
	if got := names(s); !slices.Equal(got, m.Columns()) {
		return fmt.Errorf("%s: columns %v, the model takes %v", what, got, m.Columns())
	}
	return nil
}

// Scores returns the anomaly score -log p(x) of each event (physical
// units, row-major x with the model's columns): the less probable under the
// model, the higher. Events without a density (a discrete value never seen
// in training) score +Inf; their count is returned. rng draws the
// dequantization noise of discrete columns.
func Scores(m *model.Model, x []float64, rows int, rng *rand.Rand) ([]float64, int, error) {
	if err := unconditional(m, "anomaly scores"); err != nil {
		return nil, 0, err
	}
	s := make([]float64, rows)
	un, err := m.LogProb(s, x, nil, rows, rng)
	if err != nil {
		return nil, 0, err
	}
	outside := un.Total()
	for i, v := range s {
		s[i] = -v
	}
	return s, outside, nil
}

// Encode maps events (physical units, the model's columns) to the flow's
// base space: z = flow(scaling(x)), which should be N(0, I) for events from
// the training distribution. Of an ensemble it is member 0's latent space
// (each member has its own), so the latent check speaks for member 0 only. Events outside the model's support (a discrete
// value never seen in training) cannot be mapped and are skipped; kept lists the rows that were, in order, and z
// holds len(kept) rows.
func Encode(m *model.Model, x []float64, rows int, rng *rand.Rand) (z []float64, kept []int, err error) {
	d := m.Dim()
	if err := unconditional(m, "the latent-space check"); err != nil {
		return nil, nil, err
	}
	if len(x) < rows*d {
		return nil, nil, fmt.Errorf("encode: %d values for %d rows of %d features", len(x), rows, d)
	}
	chunk := min(rows, flow.ChunkRows)
	y := make([]float32, chunk*d)
	zc := make([]float32, chunk*d)
	ld := make([]float64, chunk)
	good := make([]float64, 0, chunk*d)
	for start := 0; start < rows; start += chunk {
		n := min(chunk, rows-start)
		good = good[:0]
		first := len(kept)
		for r := start; r < start+n; r++ {
			row := x[r*d : (r+1)*d]
			if err := m.Scaler.Check(row, 1); err != nil {
				var de *preprocess.DomainError
				if errors.As(err, &de) {
					continue
				}
				return nil, nil, fmt.Errorf("encode: row %d: %w", r, err)
			}
			good = append(good, row...)
			kept = append(kept, r)
		}
		k := len(kept) - first
		if k == 0 {
			continue
		}
		clear(ld[:k])
		if err := m.Scaler.ToLatent(y[:k*d], good, k, ld[:k], rng); err != nil {
			return nil, nil, fmt.Errorf("encode: %w", err)
		}
		m.Flow.ToLatent(zc[:k*d], y[:k*d], nil, k, ld[:k])
		for _, v := range zc[:k*d] {
			z = append(z, float64(v))
		}
	}
	return z, kept, nil
}

// unconditional refuses a conditional model for what, which does not take
// a context yet.
func unconditional(m *model.Model, what string) error {
	if m.ContextDim() > 0 {
		return fmt.Errorf("%s: the model is conditional on %v, and %s takes no context yet", what, m.ContextColumns(), what)
	}
	return nil
}

// finiteScores returns scores with +Inf replaced by a finite value above
// every finite score, which keeps the ranking (outside the support is the
// most anomalous) while JSON and plots stay finite; it returns that value.
func finiteScores(scores ...[]float64) ([][]float64, float64) {
	hi := math.Inf(-1)
	for _, s := range scores {
		for _, v := range s {
			if !math.IsInf(v, 0) && v > hi {
				hi = v
			}
		}
	}
	if math.IsInf(hi, -1) {
		hi = 0
	}
	capped := hi + math.Max(1, math.Abs(hi))
	out := make([][]float64, len(scores))
	for i, s := range scores {
		out[i] = slices.Clone(s)
		for k, v := range out[i] {
			if math.IsInf(v, 1) {
				out[i][k] = capped
			}
		}
	}
	return out, capped
}
