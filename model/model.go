// Package model ties a fitted feature scaling and a flow into one model of
// events in physical units, and reads and writes it as a single .safetensors
// file whose metadata holds a versioned JSON description.
package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"hepflow/flow"
	"hepflow/preprocess"
)

// Version is hepflow's version, recorded in every model file.
const Version = "0.1.0"

// Model is preprocessing + flow + base: densities and samples in the units of
// the training file. It is not safe for concurrent use (the flow owns buffers).
type Model struct {
	Info   Info
	Scaler *preprocess.Scaler
	Flow   *flow.Flow
}

// Columns are the features the model takes, in order.
func (m *Model) Columns() []string { return m.Info.Columns }

// Dim is the number of features.
func (m *Model) Dim() int { return m.Flow.Dim() }

// LogProb writes log p(x) for rows of physical events (row-major float64).
// Events outside the support of the fitted scaling (a value beyond the
// training range, or a discrete value never seen in training) have density
// zero: their log p is -Inf, and their count is returned. rng draws the
// dequantization noise of discrete columns.
func (m *Model) LogProb(dst []float64, x []float64, rows int, rng *rand.Rand) (outside int, err error) {
	d := m.Dim()
	if len(x) < rows*d || len(dst) < rows {
		return 0, fmt.Errorf("logprob: %d values for %d rows of %d features", len(x), rows, d)
	}
	y := make([]float32, min(rows, flow.ChunkRows)*d)
	ld := make([]float64, min(rows, flow.ChunkRows))
	good := make([]float64, 0, len(y))
	idx := make([]int, 0, len(ld))
	lp := make([]float64, len(ld))
	for start := 0; start < rows; start += flow.ChunkRows {
		n := min(flow.ChunkRows, rows-start)
		good, idx = good[:0], idx[:0]
		for r := start; r < start+n; r++ {
			row := x[r*d : (r+1)*d]
			if err := m.Scaler.Check(row, 1); err != nil {
				var de *preprocess.DomainError
				if !errors.As(err, &de) {
					return outside, err
				}
				dst[r] = math.Inf(-1)
				outside++
				continue
			}
			good = append(good, row...)
			idx = append(idx, r)
		}
		k := len(idx)
		clear(ld[:k])
		if err := m.Scaler.ToLatent(y[:k*d], good, k, ld[:k], rng); err != nil {
			return outside, fmt.Errorf("logprob: %w", err)
		}
		m.Flow.LogProb(lp[:k], y[:k*d], k)
		for i, r := range idx {
			dst[r] = lp[i] + ld[i]
		}
	}
	return outside, nil
}

// Sample draws rows events in physical units into dst (rows x Dim, row-major).
func (m *Model) Sample(dst []float64, rows int, rng *rand.Rand) {
	d := m.Dim()
	chunk := min(rows, flow.ChunkRows)
	y := make([]float32, chunk*d)
	for start := 0; start < rows; start += chunk {
		n := min(chunk, rows-start)
		m.Flow.Sample(y[:n*d], n, rng)
		m.Scaler.ToData(dst[start*d:(start+n)*d], y[:n*d], n)
	}
}
