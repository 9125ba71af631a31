package validate

import (
	"context"
	"fmt"
	"math"
)

// CutResult is the cut-invariance check: the pass fractions of both samples
// under one selection and the full comparison of the passing events.
type CutResult struct {
	Name      string      `json:"name"`
	PassA     float64     `json:"pass_a"` // weighted pass fraction of the reference
	PassB     float64     `json:"pass_b"`
	ErrA      float64     `json:"err_a"` // binomial standard errors
	ErrB      float64     `json:"err_b"`
	Diff      float64     `json:"diff"` // PassB - PassA
	DiffErr   float64     `json:"diff_err"`
	Pull      float64     `json:"pull"`   // Diff / DiffErr
	PullP     float64     `json:"pull_p"` // two-sided normal p-value of Pull
	RowsA     int         `json:"rows_a"` // passing events
	RowsB     int         `json:"rows_b"`
	Selection *Comparison `json:"selection,omitempty"` // nil when either sample has < 2 passing events
}

// CutInvariance applies pass to every event of both samples and repeats the
// comparison on the passing events. The error of a weighted pass fraction f
// is sqrt(sum_i w_i^2 (pass_i - f)^2)/sum w, which is sqrt(f(1-f)/n) for
// unit weights; the two samples are independent, so their errors add in
// quadrature.
func CutInvariance(ctx context.Context, name string, a, b Sample, pass func(row []float64) bool, opts CompareOptions) (CutResult, error) {
	if err := compatible(a, b); err != nil {
		return CutResult{}, fmt.Errorf("cut %s: %w", name, err)
	}
	r := CutResult{Name: name}
	var ra, rb []int
	r.PassA, r.ErrA, ra = passFraction(a, pass)
	r.PassB, r.ErrB, rb = passFraction(b, pass)
	r.RowsA, r.RowsB = len(ra), len(rb)
	r.Diff = r.PassB - r.PassA
	r.DiffErr = math.Hypot(r.ErrA, r.ErrB)
	r.PullP = 1
	if r.DiffErr > 0 {
		r.Pull = r.Diff / r.DiffErr
		r.PullP = math.Erfc(math.Abs(r.Pull) / math.Sqrt2)
	}
	if len(ra) < 2 || len(rb) < 2 {
		return r, nil
	}
	c, err := Compare(ctx, a.Subset(ra), b.Subset(rb), opts)
	if err != nil {
		return r, fmt.Errorf("cut %s: %w", name, err)
	}
	r.Selection = &c
	return r, nil
}

func passFraction(s Sample, pass func([]float64) bool) (f, err float64, rows []int) {
	ok := make([]bool, s.Rows)
	var sw, sp float64
	for i := 0; i < s.Rows; i++ {
		w := s.Weight(i)
		sw += w
		if pass(s.Row(i)) {
			ok[i] = true
			sp += w
			rows = append(rows, i)
		}
	}
	if sw == 0 {
		return 0, 0, rows
	}
	f = sp / sw
	var v float64
	for i, p := range ok {
		w := s.Weight(i)
		d := -f
		if p {
			d = 1 - f
		}
		v += w * w * d * d
	}
	return f, math.Sqrt(v) / math.Abs(sw), rows
}
