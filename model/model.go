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
// the training file. LogProb and Sample are safe for concurrent use: each
// call works on its own replica of the flows (shared parameter values, own
// buffers). Changing the model (its fields, SetWorkers, training its flows)
// while calls are running is not, and neither is using Flow directly from
// several goroutines.
//
// An ensemble model has several flows (members) on the same scaling and
// context: its density is the mean of theirs, log p(x) = log((1/K) sum_k
// p_k(x)), and each sampled event comes from one member picked uniformly
// (see LogProb, Sample, NewEnsemble).
type Model struct {
	Info   Info
	Scaler *preprocess.Scaler
	// Flow is the model's flow; of an ensemble, member 0 (whose spec is
	// Info.Spec). Densities and samples go through every member (Flows);
	// code that uses Flow directly sees member 0 only: the latent-space
	// check (workflow/suite.Encode) checks member 0's latent space, which is
	// N(0, I) if member 0 is a good flow, but says nothing about the others.
	Flow *flow.Flow
	// Members are the flows of an ensemble, Members[0] == Flow; nil (or
	// Flow alone) for a single flow.
	Members []*flow.Flow

	pool pool
}

// Flows returns the model's flows: the members of an ensemble, or Flow alone.
func (m *Model) Flows() []*flow.Flow {
	if len(m.Members) > 1 {
		return m.Members
	}
	return []*flow.Flow{m.Flow}
}

// Ensemble is the number of flows whose densities the model averages (1 for a single flow).
func (m *Model) Ensemble() int { return len(m.Flows()) }

// SetWorkers spreads every member flow over n workers (see flow.Flow.SetWorkers).
func (m *Model) SetWorkers(n int) error {
	for _, f := range m.Flows() {
		if err := f.SetWorkers(n); err != nil {
			return err
		}
	}
	return nil
}

// members returns the flows for a density or sample, checking that an
// ensemble's member 0 is Flow and giving every member Flow's number of
// workers (callers that set only m.Flow's, as before ensembles, get them on
// every member).
func (m *Model) members() ([]*flow.Flow, error) {
	fs := m.Flows()
	if len(fs) == 1 {
		return fs, nil
	}
	if fs[0] != m.Flow {
		return nil, errors.New("model: ensemble member 0 is not the model's Flow")
	}
	n := m.Flow.Workers()
	for _, f := range fs[1:] {
		if f.Workers() != n {
			if err := f.SetWorkers(n); err != nil {
				return nil, err
			}
		}
	}
	return fs, nil
}

// Columns are the features the model takes, in order.
func (m *Model) Columns() []string { return m.Info.Columns }

// Dim is the number of features.
func (m *Model) Dim() int { return m.Flow.Dim() }

// Unscored counts events that have no density under the model, by reason.
// Every finite value of a continuous column has one (the scaling's tails), so
// what is left is a discrete value never seen in training (mass zero) and
// values that are not finite.
type Unscored struct {
	UnseenLevel int `json:"unseen_discrete_level"`
	NotFinite   int `json:"not_finite"`
}

// Total is the number of unscored events.
func (u Unscored) Total() int { return u.UnseenLevel + u.NotFinite }

// String says what the counts mean, for messages.
func (u Unscored) String() string {
	switch {
	case u.Total() == 0:
		return "none"
	case u.NotFinite == 0:
		return fmt.Sprintf("%d with a discrete value never seen in training (mass zero)", u.UnseenLevel)
	case u.UnseenLevel == 0:
		return fmt.Sprintf("%d with a value that is not finite", u.NotFinite)
	}
	return fmt.Sprintf("%d with a discrete value never seen in training (mass zero), %d with a value that is not finite", u.UnseenLevel, u.NotFinite)
}

// LogProb writes log p(x) (log p(x | c) for a conditional model) for rows
// of physical events (row-major float64, rows x Dim: the model's Columns,
// without its constant columns) with their context c (rows x ContextDim, in
// the order of ContextColumns; nil for an unconditional model). Events
// without a density (see Unscored) get log p = -Inf and are counted; a
// context value that is not finite counts as not finite. rng draws the
// dequantization noise of discrete columns.
//
// Of an ensemble of K members it is log((1/K) sum_k p_k(x)), every member
// scoring the same scaled (and dequantized) event.
func (m *Model) LogProb(dst []float64, x, c []float64, rows int, rng *rand.Rand) (Unscored, error) {
	var un Unscored
	fs, done, err := m.acquire()
	if err != nil {
		return un, err
	}
	defer done()
	d, k := m.Dim(), m.ContextDim()
	if len(x) < rows*d || len(dst) < rows {
		return un, fmt.Errorf("logprob: %d values for %d rows of %d features", len(x), rows, d)
	}
	if len(c) < rows*k {
		return un, fmt.Errorf("logprob: %d context values for %d rows of %d context columns", len(c), rows, k)
	}
	chunk := min(rows, flow.ChunkRows)
	y := make([]float32, chunk*d)
	cy := make([]float32, chunk*k)
	ld := make([]float64, chunk)
	good := make([]float64, 0, len(y))
	idx := make([]int, 0, len(ld))
	lp := make([]float64, len(ld))
	var lpk []float64
	if len(fs) > 1 {
		lpk = make([]float64, len(fs)*len(ld))
	}
	for start := 0; start < rows; start += flow.ChunkRows {
		n := min(flow.ChunkRows, rows-start)
		good, idx = good[:0], idx[:0]
		for r := start; r < start+n; r++ {
			row := x[r*d : (r+1)*d]
			if k > 0 && !m.scaleContext(cy[len(idx)*k:(len(idx)+1)*k], c[r*k:(r+1)*k], 1) {
				dst[r] = math.Inf(-1)
				un.NotFinite++
				continue
			}
			if err := m.Scaler.Check(row, 1); err != nil {
				var de *preprocess.DomainError
				if !errors.As(err, &de) {
					return un, err
				}
				dst[r] = math.Inf(-1)
				if de.Reason == preprocess.UnseenLevel {
					un.UnseenLevel++
				} else {
					un.NotFinite++
				}
				continue
			}
			good = append(good, row...)
			idx = append(idx, r)
		}
		n = len(idx)
		clear(ld[:n])
		if err := m.Scaler.ToLatent(y[:n*d], good, n, ld[:n], rng); err != nil {
			return un, fmt.Errorf("logprob: %w", err)
		}
		if len(fs) == 1 {
			fs[0].LogProb(lp[:n], y[:n*d], cy[:n*k], n)
		} else {
			logMeanExp(lp[:n], fs, lpk, y[:n*d], cy[:n*k], n)
		}
		for i, r := range idx {
			dst[r] = lp[i] + ld[i]
		}
	}
	return un, nil
}

// Sample draws rows events in physical units into dst (rows x Dim,
// row-major), event r from p(x | c_r) for a conditional model (c: rows x
// ContextDim physical values, nil for an unconditional model). A context
// value that is not finite is an error.
//
// Of an ensemble, each event's member is drawn uniformly from rng; the
// events depend on rng, c and rows only.
func (m *Model) Sample(dst, c []float64, rows int, rng *rand.Rand) error {
	fs, done, err := m.acquire()
	if err != nil {
		return err
	}
	defer done()
	d, k := m.Dim(), m.ContextDim()
	if len(c) < rows*k {
		return fmt.Errorf("sample: %d context values for %d events of %d context columns", len(c), rows, k)
	}
	chunk := min(rows, flow.ChunkRows)
	y := make([]float32, chunk*d)
	cy := make([]float32, chunk*k)
	var es *ensembleSampler
	if len(fs) > 1 {
		es = newEnsembleSampler(fs, chunk, d, k)
	}
	for start := 0; start < rows; start += chunk {
		n := min(chunk, rows-start)
		if !m.scaleContext(cy[:n*k], c[start*k:(start+n)*k], n) {
			return fmt.Errorf("sample: a context value of events %d to %d is not finite", start+1, start+n)
		}
		if es == nil {
			fs[0].Sample(y[:n*d], cy[:n*k], n, rng)
		} else {
			es.sample(y[:n*d], cy[:n*k], n, rng)
		}
		m.Scaler.ToData(dst[start*d:(start+n)*d], y[:n*d], n)
	}
	return nil
}

// Constant is a column that had a single value in the training data. It
// carries no information, so the flow does not model it (a density along it
// would be a delta); sampling writes it back as that value.
type Constant struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	// Index is the column's position among OutputColumns.
	Index int `json:"index"`
}

// OutputColumns are the columns of generated events: Columns with the
// constant columns back in their places.
func (m *Model) OutputColumns() []string {
	if len(m.Info.Constants) == 0 {
		return m.Info.Columns
	}
	out := make([]string, 0, len(m.Info.Columns)+len(m.Info.Constants))
	k := 0
	for _, c := range m.Info.Constants {
		for len(out) < c.Index {
			out = append(out, m.Info.Columns[k])
			k++
		}
		out = append(out, c.Name)
	}
	return append(out, m.Info.Columns[k:]...)
}

// WithConstants writes rows of x (rows x Dim) to dst (rows x
// len(OutputColumns)) with the constant columns inserted. dst and x must not
// overlap unless the model has no constants (then it is a copy).
func (m *Model) WithConstants(dst, x []float64, rows int) {
	d, cs := m.Dim(), m.Info.Constants
	w := d + len(cs)
	for r := 0; r < rows; r++ {
		in, out := x[r*d:(r+1)*d], dst[r*w:(r+1)*w]
		k, c := 0, 0
		for j := range out {
			if c < len(cs) && cs[c].Index == j {
				out[j] = cs[c].Value
				c++
				continue
			}
			out[j] = in[k]
			k++
		}
	}
}

// validConstants checks that the constants' indices fit the columns.
func validConstants(cs []Constant, cols []string) error {
	prev := -1
	for _, c := range cs {
		if c.Index <= prev || c.Index > len(cols)+len(cs)-1 || c.Name == "" || math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
			return fmt.Errorf("constant column %q at index %d (value %g): want a name, a finite value and increasing indices within the %d columns", c.Name, c.Index, c.Value, len(cols)+len(cs))
		}
		prev = c.Index
	}
	return nil
}
