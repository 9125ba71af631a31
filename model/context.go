package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ContextColumn is one conditioning variable of a conditional model,
// p(x | c): it is read from the data (or given) but not modelled. The flow
// sees it standardized, (c - Mean)/Std with the training mean and standard
// deviation; a conditional density needs no Jacobian for it.
type ContextColumn struct {
	Name string  `json:"name"`
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Scale is v as the flow sees it.
func (c ContextColumn) Scale(v float64) float32 { return float32((v - c.Mean) / c.Std) }

// FitContext returns the context columns of names with the mean and
// standard deviation of rows of c (rows x len(names)). A column with one
// value cannot condition anything and is an error.
func FitContext(names []string, c []float64, rows int) ([]ContextColumn, error) {
	k := len(names)
	out := make([]ContextColumn, k)
	for j, name := range names {
		var s, ss float64
		for r := 0; r < rows; r++ {
			v := c[r*k+j]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("context column %q: value %g in event %d (counting from 1); context values must be finite", name, v, r+1)
			}
			s += v
		}
		mean := s / float64(rows)
		for r := 0; r < rows; r++ {
			dv := c[r*k+j] - mean
			ss += dv * dv
		}
		std := math.Sqrt(ss / float64(rows))
		if !(std > 0) {
			return nil, fmt.Errorf("context column %q has the single value %g in all %d training events: nothing to condition on", name, mean, rows)
		}
		out[j] = ContextColumn{Name: name, Mean: mean, Std: std}
	}
	return out, nil
}

// ContextColumns are the names of the model's context columns (none for
// an unconditional model).
func (m *Model) ContextColumns() []string {
	out := make([]string, len(m.Info.Context))
	for j, c := range m.Info.Context {
		out[j] = c.Name
	}
	return out
}

// ContextDim is the number of context columns.
func (m *Model) ContextDim() int { return len(m.Info.Context) }

// scaleContext writes rows of physical context c into dst as the flow sees
// it and reports whether every value is finite.
func (m *Model) scaleContext(dst []float32, c []float64, rows int) bool {
	k, ok := len(m.Info.Context), true
	for r := 0; r < rows; r++ {
		for j, col := range m.Info.Context {
			v := c[r*k+j]
			ok = ok && !math.IsNaN(v) && !math.IsInf(v, 0)
			dst[r*k+j] = col.Scale(v)
		}
	}
	return ok
}

// validContext checks stored context columns.
func validContext(cs []ContextColumn, spec int) error {
	if len(cs) != spec {
		return fmt.Errorf("%d context columns, but the flow takes %d", len(cs), spec)
	}
	for _, c := range cs {
		if c.Name == "" || !(c.Std > 0) || math.IsInf(c.Std, 0) || math.IsNaN(c.Mean) || math.IsInf(c.Mean, 0) {
			return fmt.Errorf("context column %q (mean %g, std %g): want a name, a finite mean and a positive, finite std", c.Name, c.Mean, c.Std)
		}
	}
	return nil
}

// ParseContext reads "NAME=VALUE,..." (the command line's --context, the
// service's ?context=) into the model's context row: every context column
// exactly once, finite values.
func (m *Model) ParseContext(s string) ([]float64, error) {
	vals := map[string]float64{}
	for _, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		name, val, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("%q: want NAME=VALUE pairs separated by commas", s)
		}
		if _, dup := vals[name]; dup {
			return nil, fmt.Errorf("%q given twice", name)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: want a finite number", name, val)
		}
		vals[name] = f
	}
	return m.ContextRow(vals)
}

// ContextRow puts context values given by column name into the model's
// order: every context column exactly once, finite values, no other name.
func (m *Model) ContextRow(vals map[string]float64) ([]float64, error) {
	cols := m.ContextColumns()
	if len(cols) == 0 {
		return nil, errors.New("the model is not conditional (it was trained without --context)")
	}
	for name := range vals {
		if !slices.Contains(cols, name) {
			return nil, fmt.Errorf("%q is not a context column of the model (its context: %s)", name, strings.Join(cols, ", "))
		}
	}
	out := make([]float64, len(cols))
	for j, name := range cols {
		v, ok := vals[name]
		if !ok {
			return nil, fmt.Errorf("no value for the context column %q (the model's context: %s)", name, strings.Join(cols, ", "))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s=%g: want a finite number", name, v)
		}
		out[j] = v
	}
	return out, nil
}
