package validate

import (
	"errors"
	"fmt"
	"math"
)

// Sample is a set of events: Rows x Cols values in row-major order, one name
// per column, and optional per-event weights (nil means every weight is 1).
type Sample struct {
	Data    []float64 // row-major, len Rows*Cols
	Rows    int
	Cols    int
	Names   []string  // len Cols; may be nil (columns are then named x0, x1, ...)
	Weights []float64 // len Rows or nil
}

// Check reports whether the sample's slices are consistent and its values finite.
func (s Sample) Check() error {
	if s.Rows < 0 || s.Cols <= 0 {
		return fmt.Errorf("sample: bad shape %d x %d", s.Rows, s.Cols)
	}
	if len(s.Data) != s.Rows*s.Cols {
		return fmt.Errorf("sample: %d values for %d x %d", len(s.Data), s.Rows, s.Cols)
	}
	if s.Names != nil && len(s.Names) != s.Cols {
		return fmt.Errorf("sample: %d names for %d columns", len(s.Names), s.Cols)
	}
	if s.Weights != nil && len(s.Weights) != s.Rows {
		return fmt.Errorf("sample: %d weights for %d rows", len(s.Weights), s.Rows)
	}
	for i, v := range s.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("sample: non-finite value %v at row %d column %d", v, i/s.Cols, i%s.Cols)
		}
	}
	for i, w := range s.Weights {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("sample: non-finite weight %v at row %d", w, i)
		}
	}
	return nil
}

// Name returns the name of column j.
func (s Sample) Name(j int) string {
	if s.Names != nil && j < len(s.Names) && s.Names[j] != "" {
		return s.Names[j]
	}
	return fmt.Sprintf("x%d", j)
}

// Weight returns the weight of event i (1 when the sample is unweighted).
func (s Sample) Weight(i int) float64 {
	if s.Weights == nil {
		return 1
	}
	return s.Weights[i]
}

// Row returns event i as a sub-slice of Data (not a copy).
func (s Sample) Row(i int) []float64 { return s.Data[i*s.Cols : (i+1)*s.Cols] }

// Column copies column j into dst (grown as needed) and returns it.
func (s Sample) Column(j int, dst []float64) []float64 {
	if cap(dst) < s.Rows {
		dst = make([]float64, s.Rows)
	}
	dst = dst[:s.Rows]
	for i := range dst {
		dst[i] = s.Data[i*s.Cols+j]
	}
	return dst
}

// Subset returns a new sample holding the given rows (copied), in order.
func (s Sample) Subset(rows []int) Sample {
	out := Sample{Data: make([]float64, len(rows)*s.Cols), Rows: len(rows), Cols: s.Cols, Names: s.Names}
	if s.Weights != nil {
		out.Weights = make([]float64, len(rows))
	}
	for k, i := range rows {
		copy(out.Data[k*s.Cols:(k+1)*s.Cols], s.Row(i))
		if s.Weights != nil {
			out.Weights[k] = s.Weights[i]
		}
	}
	return out
}

// SumWeights returns the sum of weights and the sum of squared weights.
func (s Sample) SumWeights() (sw, sw2 float64) {
	if s.Weights == nil {
		return float64(s.Rows), float64(s.Rows)
	}
	for _, w := range s.Weights {
		sw += w
		sw2 += w * w
	}
	return sw, sw2
}

// EffectiveN is Kish's effective sample size (sum w)^2 / sum w^2; it equals
// Rows for an unweighted sample.
func (s Sample) EffectiveN() float64 {
	sw, sw2 := s.SumWeights()
	if sw2 == 0 {
		return 0
	}
	return sw * sw / sw2
}

// compatible checks that two samples can be compared column by column.
func compatible(a, b Sample) error {
	if err := a.Check(); err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	if err := b.Check(); err != nil {
		return fmt.Errorf("candidate: %w", err)
	}
	if a.Cols != b.Cols {
		return fmt.Errorf("reference has %d columns, candidate %d", a.Cols, b.Cols)
	}
	if a.Rows == 0 || b.Rows == 0 {
		return errors.New("empty sample")
	}
	return nil
}
