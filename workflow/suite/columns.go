// Package suite runs hepflow's validation suite on tables and models: it
// lines up the columns of two samples, turns cut and pair specifications
// into checks (with HIGGS defaults), runs the tests of package validate
// (per-feature, correlations, cuts, 2D pairs, classifier two-sample test,
// latent space, anomaly ROC) and adds each to a report.Builder, returning
// the headline numbers as JSON-ready structs. The command line and the demo
// share it, so both build the same report.
package suite

import (
	"fmt"
	"slices"
	"strings"

	"hepflow/data"
	"hepflow/validate"
)

// Alignment says which columns a reference and a candidate share.
type Alignment struct {
	Common        []string `json:"common"` // compared, in the reference's order
	OnlyReference []string `json:"only_reference,omitempty"`
	OnlyCandidate []string `json:"only_candidate,omitempty"`
	Excluded      []string `json:"excluded,omitempty"` // shared but never compared
}

// LeftOut lists every column that is not compared, for messages.
func (a Alignment) LeftOut() []string {
	return slices.Concat(a.OnlyReference, a.OnlyCandidate, a.Excluded)
}

// NeverCompared are column names that hold classes, not features: a HIGGS
// label in a reference file says which events are signal and has no
// counterpart in a generated sample.
var neverCompared = []string{data.HiggsLabel}

// Align finds the columns both samples have, in the reference's order,
// leaving out the names in exclude and the class label. It fails when
// nothing is left to compare.
func Align(ref, cand, exclude []string) (Alignment, error) {
	var a Alignment
	skip := slices.Concat(exclude, neverCompared)
	for _, c := range ref {
		switch {
		case !slices.Contains(cand, c):
			a.OnlyReference = append(a.OnlyReference, c)
		case slices.Contains(skip, c):
			a.Excluded = append(a.Excluded, c)
		default:
			a.Common = append(a.Common, c)
		}
	}
	for _, c := range cand {
		if !slices.Contains(ref, c) {
			a.OnlyCandidate = append(a.OnlyCandidate, c)
		}
	}
	if len(a.Common) == 0 {
		return a, fmt.Errorf("the samples have no column in common to compare: reference has [%s], candidate has [%s]",
			strings.Join(ref, " "), strings.Join(cand, " "))
	}
	return a, nil
}

// SampleOf selects columns of t (in that order) as a validate.Sample with
// optional per-event weights (nil = unit).
func SampleOf(t *data.Table, cols []string, weights []float64) (validate.Sample, error) {
	sel, err := t.Select(cols...)
	if err != nil {
		return validate.Sample{}, err
	}
	s := validate.Sample{Data: sel.Data, Rows: sel.Rows(), Cols: len(cols), Names: slices.Clone(cols), Weights: weights}
	if err := s.Check(); err != nil {
		return validate.Sample{}, err
	}
	return s, nil
}
