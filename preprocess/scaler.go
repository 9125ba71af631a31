package preprocess

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Scaler is the fitted per-column map between physical events (float64) and
// the flow's input space. Create one with Fit or by unmarshalling JSON.
type Scaler struct {
	beta        float64
	guard       float64
	cols        []column
	ldConst     float64 // sum over columns of column.ldConst
	hasDiscrete bool
}

// column holds one column's parameters and the constants derived from them.
type column struct {
	Column
	a       float64 // dc/dt-space scale: c = (x-lo)*a + beta/2, or (l+g+w*v)*a + beta/2
	w       float64 // 1-2g, width of the noise interval (discrete)
	invStd  float64
	ldConst float64 // per-column constant part of log|dy/ds|
}

// Column describes one fitted column. For continuous and periodic columns
// Min and Max are the range the min-max step uses (the widened training range
// or the periodic range); for discrete columns they are zero and Levels holds
// the sorted distinct training values. Mean and Std standardize logit(c).
type Column struct {
	Name      string
	Kind      Kind
	Min, Max  float64
	Levels    []float64
	Mean, Std float64
}

// newScaler validates the parameters (from Fit or a model file) and derives
// the constants of the map.
func newScaler(beta, guard float64, cols []Column) (*Scaler, error) {
	if !(beta > 0 && beta < 1) {
		return nil, fmt.Errorf("beta = %g, want in (0, 1)", beta)
	}
	if !(guard >= 0 && guard < 0.5) {
		return nil, fmt.Errorf("dequantization guard = %g, want in [0, 0.5)", guard)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("no columns")
	}
	s := &Scaler{beta: beta, guard: guard, cols: make([]column, len(cols))}
	names := make(map[string]int, len(cols))
	for j, c := range cols {
		if c.Name == "" {
			return nil, fmt.Errorf("column %d has an empty name", j)
		}
		if k, dup := names[c.Name]; dup {
			return nil, fmt.Errorf("columns %d and %d are both named %q", k, j, c.Name)
		}
		names[c.Name] = j
		col, err := newColumn(c, beta, guard)
		if err != nil {
			return nil, fmt.Errorf("column %d (%q): %w", j, c.Name, err)
		}
		s.cols[j] = col
		s.ldConst += col.ldConst
		s.hasDiscrete = s.hasDiscrete || c.Kind == KindDiscrete
	}
	return s, nil
}

func newColumn(c Column, beta, guard float64) (column, error) {
	if !finite(c.Mean) {
		return column{}, fmt.Errorf("mean = %g, want finite", c.Mean)
	}
	if !(c.Std > 0) || !finite(c.Std) {
		return column{}, fmt.Errorf("std = %g, want finite and > 0", c.Std)
	}
	col := column{Column: c, invStd: 1 / c.Std}
	switch c.Kind {
	case KindContinuous, KindPeriodic:
		if len(c.Levels) != 0 {
			return column{}, fmt.Errorf("%s column has %d levels, want none", c.Kind, len(c.Levels))
		}
		width := c.Max - c.Min
		if !finite(c.Min) || !finite(c.Max) || !(width > 0) || !finite(width) {
			return column{}, fmt.Errorf("range [%g, %g], want finite min < max", c.Min, c.Max)
		}
		col.a = (1 - beta) / width
		col.ldConst = math.Log(col.a) - math.Log(c.Std)
	case KindDiscrete:
		k := len(c.Levels)
		if k < 1 || k > MaxLevels {
			return column{}, fmt.Errorf("discrete column has %d levels, want 1 to %d", k, MaxLevels)
		}
		if c.Min != 0 || c.Max != 0 {
			return column{}, fmt.Errorf("discrete column has a range [%g, %g], want none", c.Min, c.Max)
		}
		for i, v := range c.Levels {
			if !finite(v) || (i > 0 && !(v > c.Levels[i-1])) {
				return column{}, fmt.Errorf("levels %v, want finite and strictly increasing", c.Levels)
			}
		}
		col.Levels = slices.Clone(c.Levels)
		col.a = (1 - beta) / float64(k)
		col.w = 1 - 2*guard
		col.ldConst = math.Log(col.a*col.w) - math.Log(c.Std)
	default:
		return column{}, fmt.Errorf("kind %q, want %q, %q or %q", c.Kind, KindContinuous, KindDiscrete, KindPeriodic)
	}
	return col, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Dim is the number of columns (features per row).
func (s *Scaler) Dim() int { return len(s.cols) }

// Beta is the clip strength.
func (s *Scaler) Beta() float64 { return s.beta }

// Names returns the column names in order.
func (s *Scaler) Names() []string {
	names := make([]string, len(s.cols))
	for j := range s.cols {
		names[j] = s.cols[j].Name
	}
	return names
}

// Columns returns a copy of the fitted parameters of every column.
func (s *Scaler) Columns() []Column {
	out := make([]Column, len(s.cols))
	for j := range s.cols {
		out[j] = s.cols[j].Column
		out[j].Levels = slices.Clone(out[j].Levels)
	}
	return out
}

// DomainError reports a value the scaler cannot map: outside the fitted
// support, not a training level of a discrete column, or not finite.
type DomainError struct {
	Row    int    // row within the batch given
	Col    int    // column index
	Column string // column name
	Value  float64
	reason string
}

// Error implements error.
func (e *DomainError) Error() string {
	return fmt.Sprintf("row %d, column %q: value %g %s", e.Row, e.Column, e.Value, e.reason)
}

// Check reports the first value in the row-major batch x (rows x Dim) that
// ToLatent cannot map, as a *DomainError, or nil when every row is in the
// support. Call it with rows = 1 on each row to filter held-out events.
// It panics if x is shorter than rows*Dim.
func (s *Scaler) Check(x []float64, rows int) error {
	d := len(s.cols)
	mustLen("x", len(x), rows*d)
	half := s.beta / 2
	for i := 0; i < rows; i++ {
		row := x[i*d : (i+1)*d]
		for j := range s.cols {
			col := &s.cols[j]
			v := row[j]
			if !finite(v) {
				return &DomainError{Row: i, Col: j, Column: col.Name, Value: v, reason: "is not finite"}
			}
			if col.Kind == KindDiscrete {
				if col.level(v) < 0 {
					return &DomainError{Row: i, Col: j, Column: col.Name, Value: v,
						reason: fmt.Sprintf("is not one of the %d values of this discrete column in the training data %v", len(col.Levels), col.Levels)}
				}
				continue
			}
			if c := (v-col.Min)*col.a + half; !(c > 0 && c < 1) {
				return &DomainError{Row: i, Col: j, Column: col.Name, Value: v, reason: col.rangeReason()}
			}
		}
	}
	return nil
}

func (c *column) rangeReason() string {
	if c.Kind == KindPeriodic {
		return fmt.Sprintf("is outside the periodic range [%g, %g]; wrap angles into it", c.Min, c.Max)
	}
	return fmt.Sprintf("is outside the range [%g, %g] the scaler was fitted on (training min/max plus margin); the model's density is zero there", c.Min, c.Max)
}

// level returns the index of v among the training levels, -1 if none.
// A value within a relative 1e-6 of a level (a float32 round trip of it)
// counts as that level.
func (c *column) level(v float64) int {
	i, found := slices.BinarySearch(c.Levels, v)
	if found {
		return i
	}
	best := -1
	for _, k := range []int{i - 1, i} {
		if k >= 0 && k < len(c.Levels) && math.Abs(v-c.Levels[k]) <= 1e-6*math.Abs(c.Levels[k]) {
			if best < 0 || math.Abs(v-c.Levels[k]) < math.Abs(v-c.Levels[best]) {
				best = k
			}
		}
	}
	return best
}

// ToLatent maps rows of physical values x (row-major float64, rows x Dim) to
// the flow's input space dst (float32, rows x Dim) and ADDS log|dy/ds| of
// each row to logdet[row], so that log p(x) = log p_y(y) + logdet (see the
// package comment for what that means with discrete columns). rng draws the
// dequantization noise of discrete columns and may be nil when there are
// none; logdet may be nil when not wanted. If any value is outside the
// support, it returns a *DomainError and leaves dst and logdet untouched.
// It panics if a slice is too short.
func (s *Scaler) ToLatent(dst []float32, x []float64, rows int, logdet []float64, rng *rand.Rand) error {
	return toLatent(s, dst, x, rows, logdet, rng)
}

// ToLatent64 is ToLatent with a float64 output, for tests and callers that
// need the map without float32 rounding.
func (s *Scaler) ToLatent64(dst []float64, x []float64, rows int, logdet []float64, rng *rand.Rand) error {
	return toLatent(s, dst, x, rows, logdet, rng)
}

// ToData maps rows of the flow's input space y (float32, rows x Dim) back to
// physical values dst (float64), the exact inverse of ToLatent: continuous
// columns up to the rounding of y, discrete columns exactly to a training
// value. Any finite y maps to a value: a continuous one may fall slightly
// outside [Min, Max] as the inverse gives it, a discrete level is clamped to
// the training levels. NaN maps to NaN (continuous) or the lowest level.
// It panics if a slice is too short.
func (s *Scaler) ToData(dst []float64, y []float32, rows int) {
	toData(s, dst, y, rows)
}

// ToData64 is ToData with a float64 input.
func (s *Scaler) ToData64(dst []float64, y []float64, rows int) {
	toData(s, dst, y, rows)
}

func toLatent[T float32 | float64](s *Scaler, dst []T, x []float64, rows int, logdet []float64, rng *rand.Rand) error {
	d := len(s.cols)
	mustLen("dst", len(dst), rows*d)
	if logdet != nil {
		mustLen("logdet", len(logdet), rows)
	}
	if err := s.Check(x, rows); err != nil {
		return err
	}
	if s.hasDiscrete && rng == nil && rows > 0 {
		return fmt.Errorf("preprocess: nil random generator, needed to dequantize the discrete columns")
	}
	half := s.beta / 2
	for i := 0; i < rows; i++ {
		row, out := x[i*d:(i+1)*d], dst[i*d:(i+1)*d]
		ld := s.ldConst
		for j := range s.cols {
			col := &s.cols[j]
			var c float64
			if col.Kind == KindDiscrete {
				u := s.guard + col.w*rng.Float64()
				c = (float64(col.level(row[j]))+u)*col.a + half
			} else {
				c = (row[j]-col.Min)*col.a + half
			}
			lc, l1c := math.Log(c), math.Log1p(-c)
			out[j] = T((lc - l1c - col.Mean) * col.invStd)
			ld -= lc + l1c
		}
		if logdet != nil {
			logdet[i] += ld
		}
	}
	return nil
}

func toData[T float32 | float64](s *Scaler, dst []float64, y []T, rows int) {
	d := len(s.cols)
	mustLen("dst", len(dst), rows*d)
	mustLen("y", len(y), rows*d)
	half := s.beta / 2
	for i := 0; i < rows; i++ {
		in, out := y[i*d:(i+1)*d], dst[i*d:(i+1)*d]
		for j := range s.cols {
			col := &s.cols[j]
			c := sigmoid(float64(in[j])*col.Std + col.Mean)
			t := (c - half) / col.a // in x units from Min, or in level units
			if col.Kind != KindDiscrete {
				out[j] = col.Min + t
				continue
			}
			l := 0
			if t > 0 { // also false for NaN
				l = int(min(t, float64(len(col.Levels)-1)))
			}
			out[j] = col.Levels[l]
		}
	}
}

// sigmoid is 1/(1+exp(-z)) without overflow for large |z|.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

func mustLen(name string, have, want int) {
	if have < want {
		panic(fmt.Sprintf("preprocess: %s has length %d, need %d", name, have, want))
	}
}
