package suite

import (
	"context"
	"fmt"
	"slices"

	"hepflow/data"
	"hepflow/validate"
)

// ReadEvents reads one event file. When weightCol names one of its
// columns, that column becomes the per-event weights and leaves the
// features; a file without it is unweighted unless need says it must have
// it (then the error is a *data.UnknownColumnError naming weightCol).
func ReadEvents(ctx context.Context, path string, opts data.ReadOptions, weightCol string, need bool) (*data.Table, []float64, error) {
	t, err := data.Read(ctx, path, opts)
	if err != nil {
		return nil, nil, err
	}
	if weightCol == "" {
		return t, nil, nil
	}
	if !slices.Contains(t.Columns, weightCol) {
		if need {
			return nil, nil, fmt.Errorf("%s: %w", path, &data.UnknownColumnError{Name: weightCol, Known: t.Columns})
		}
		return t, nil, nil
	}
	w, err := t.Column(weightCol)
	if err != nil {
		return nil, nil, err
	}
	if err := t.Drop(weightCol); err != nil {
		return nil, nil, err
	}
	return t, w, nil
}

// Pair is a reference and a candidate sample lined up on their common columns.
type Pair struct {
	Reference, Candidate validate.Sample
	Align                Alignment
	// Missing lists the names of drop that neither file has.
	Missing []string
	// ReferenceColumns are the reference file's columns as read.
	ReferenceColumns []string
}

// ReadPair reads the reference with optRef and the candidate with optCand,
// takes the column weightCol (which the reference must have, the candidate
// may) as per-event weights, and lines both up on their common columns,
// leaving out drop (either file may lack those; Pair.Missing lists the
// names neither has). Each sample needs at least 2 events.
func ReadPair(ctx context.Context, refPath string, optRef data.ReadOptions, candPath string, optCand data.ReadOptions, weightCol string, drop []string) (*Pair, error) {
	// Either file may lack a drop column, so they are excluded after
	// reading rather than by the reader.
	optRef.Drop = slices.DeleteFunc(slices.Clone(optRef.Drop), func(s string) bool { return slices.Contains(drop, s) })
	ta, wa, err := ReadEvents(ctx, refPath, optRef, weightCol, true)
	if err != nil {
		return nil, err
	}
	tb, wb, err := ReadEvents(ctx, candPath, optCand, weightCol, false)
	if err != nil {
		return nil, err
	}
	p := &Pair{ReferenceColumns: ta.Columns}
	for _, d := range drop {
		if !slices.Contains(ta.Columns, d) && !slices.Contains(tb.Columns, d) {
			p.Missing = append(p.Missing, d)
		}
	}
	if p.Align, err = Align(ta.Columns, tb.Columns, drop); err != nil {
		return nil, fmt.Errorf("%s vs %s: %w", refPath, candPath, err)
	}
	if p.Reference, err = SampleOf(ta, p.Align.Common, wa); err != nil {
		return nil, fmt.Errorf("%s: %w", refPath, err)
	}
	if p.Candidate, err = SampleOf(tb, p.Align.Common, wb); err != nil {
		return nil, fmt.Errorf("%s: %w", candPath, err)
	}
	for _, s := range []struct {
		path string
		n    int
	}{{refPath, p.Reference.Rows}, {candPath, p.Candidate.Rows}} {
		if s.n < 2 {
			return nil, fmt.Errorf("%s: %d events (after the selection); need at least 2", s.path, s.n)
		}
	}
	return p, nil
}
