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
	hasDiscrete bool
	edge        clipEdge
}

// column holds one column's parameters and the constants derived from them.
type column struct {
	Column
	a       float64 // dc/dt-space scale: c = (x-lo)*a + beta/2, or (l+g+w*v)*a + beta/2
	w       float64 // 1-2g, width of the noise interval (discrete)
	invStd  float64
	ldConst float64 // per-column constant part of log|dy/ds|
	// unbounded and positive: log(Scale), log(slopeLo), log(slopeHi),
	// computed once rather than per value (the same bits).
	logScale, logSlopeLo, logSlopeHi float64
	// unbounded and positive: junctions of the linear continuations (in
	// t), raw values and slopes there
	tLo, tHi, rawLo, rawHi, slopeLo, slopeHi float64
	guard, rawG                              float64   // positive: the log's lower end, x - Shift and raw
	below                                    decayTail // positive: the tail below Shift + guard
}

// Column describes one fitted column. For continuous and periodic columns
// Min and Max are the range the min-max step uses (the widened training range
// or the periodic range); for discrete columns they are zero and Levels holds
// the sorted distinct training values; unbounded columns map
// asinh((x-Loc)/Scale) on [Min, Max] (the widened training range) and
// continue linearly beyond; positive columns do the same with log(x-Shift)
// in place of x (Min > Shift). Mean and Std
// standardize the logit (or asinh).
type Column struct {
	Name       string
	Kind       Kind
	Min, Max   float64
	Loc, Scale float64
	Shift      float64
	Levels     []float64
	Mean, Std  float64
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
	s := &Scaler{beta: beta, guard: guard, cols: make([]column, len(cols)), edge: newClipEdge(beta)}
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
		if len(c.Levels) != 0 || c.Loc != 0 || c.Scale != 0 || c.Shift != 0 {
			return column{}, fmt.Errorf("%s column has levels or a loc/scale, want a range only", c.Kind)
		}
		width := c.Max - c.Min
		if !finite(c.Min) || !finite(c.Max) || !(width > 0) || !finite(width) {
			return column{}, fmt.Errorf("range [%g, %g], want finite min < max", c.Min, c.Max)
		}
		col.a = (1 - beta) / width
		col.ldConst = math.Log(col.a) - math.Log(c.Std)
	case KindUnbounded, KindPositive:
		if len(c.Levels) != 0 || (c.Kind == KindUnbounded && c.Shift != 0) {
			return column{}, fmt.Errorf("%s column has levels or a shift, want a range, loc and scale", c.Kind)
		}
		if !finite(c.Loc) || !(c.Scale > 0) || !finite(c.Scale) {
			return column{}, fmt.Errorf("loc %g, scale %g: want finite, scale > 0", c.Loc, c.Scale)
		}
		if !finite(c.Min) || !finite(c.Max) || !(c.Max > c.Min) {
			return column{}, fmt.Errorf("range [%g, %g], want finite min < max", c.Min, c.Max)
		}
		if c.Kind == KindPositive && (!finite(c.Shift) || !(c.Min > c.Shift)) {
			return column{}, fmt.Errorf("shift %g, range [%g, %g]: want a finite shift below min", c.Shift, c.Min, c.Max)
		}
		col.ldConst = -math.Log(c.Std)
		col.sinhArcsinhJoints()
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
		return column{}, fmt.Errorf("kind %q, want %q, %q, %q, %q or %q", c.Kind, KindUnbounded, KindPositive, KindContinuous, KindDiscrete, KindPeriodic)
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

// DomainReason says why a value has no density.
type DomainReason int

const (
	// NotFinite is a NaN or infinite value.
	NotFinite DomainReason = iota + 1
	// UnseenLevel is a value of a discrete column that is not one of its
	// training levels: the model gives it mass zero.
	UnseenLevel
)

// String names the reason as reports and JSON output show it.
func (r DomainReason) String() string {
	switch r {
	case NotFinite:
		return "not finite"
	case UnseenLevel:
		return "discrete level not seen in training"
	}
	return fmt.Sprintf("DomainReason(%d)", int(r))
}

// DomainError reports a value the scaler cannot map: not finite, or not a
// training level of a discrete column. Every finite value of a continuous or
// periodic column maps.
type DomainError struct {
	Row    int    // row within the batch given
	Col    int    // column index
	Column string // column name
	Value  float64
	Reason DomainReason
	detail string
}

// Error implements error.
func (e *DomainError) Error() string {
	return fmt.Sprintf("row %d, column %q: value %g %s", e.Row, e.Column, e.Value, e.detail)
}

// Check reports the first value in the row-major batch x (rows x Dim) that
// ToLatent cannot map, as a *DomainError, or nil when every row is in the
// support. Call it with rows = 1 on each row to filter held-out events.
// It panics if x is shorter than rows*Dim.
func (s *Scaler) Check(x []float64, rows int) error {
	d := len(s.cols)
	mustLen("x", len(x), rows*d)
	for i := 0; i < rows; i++ {
		row := x[i*d : (i+1)*d]
		for j := range s.cols {
			col := &s.cols[j]
			v := row[j]
			if !finite(v) {
				return &DomainError{Row: i, Col: j, Column: col.Name, Value: v, Reason: NotFinite, detail: "is not finite"}
			}
			if col.Kind == KindDiscrete {
				if col.level(v) < 0 {
					return &DomainError{Row: i, Col: j, Column: col.Name, Value: v, Reason: UnseenLevel,
						detail: fmt.Sprintf("is not one of the %d values of this discrete column in the training data %v", len(col.Levels), col.Levels)}
				}
			}
		}
	}
	return nil
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
// none; logdet may be nil when not wanted. If any value has no density (see
// Check), it returns a *DomainError and leaves dst and logdet untouched.
// It panics if a slice is too short.
func (s *Scaler) ToLatent(dst []float32, x []float64, rows int, logdet []float64, rng *rand.Rand) error {
	return toLatent(s, dst, x, rows, logdet, &noise{rng: rng}, allColumns)
}

// NoisePerRow is how many uniform numbers ToLatent and Dequantize draw
// from their rng per row: one per discrete column.
func (s *Scaler) NoisePerRow() int {
	n := 0
	for i := range s.cols {
		if s.cols[i].Kind == KindDiscrete {
			n++
		}
	}
	return n
}

// DrawNoise fills u (a multiple of NoisePerRow long) with the uniform
// numbers ToLatent would draw from rng, in its order.
func (s *Scaler) DrawNoise(u []float64, rng *rand.Rand) {
	for i := range u {
		u[i] = rng.Float64()
	}
}

// ToLatentNoise is ToLatent with the dequantization noise given: u holds
// NoisePerRow numbers per row, as DrawNoise draws them, so that a batch
// split across goroutines still gives ToLatent's bits for the rng that
// DrawNoise drew from.
func (s *Scaler) ToLatentNoise(dst []float32, x []float64, rows int, logdet []float64, u []float64) error {
	mustLen("u", len(u), rows*s.NoisePerRow())
	return toLatent(s, dst, x, rows, logdet, &noise{u: u}, allColumns)
}

// DequantizeNoise is Dequantize with the noise given, as ToLatentNoise.
func (s *Scaler) DequantizeNoise(dst []float32, x []float64, rows int, logdet []float64, u []float64) error {
	if !s.hasDiscrete {
		return nil
	}
	mustLen("u", len(u), rows*s.NoisePerRow())
	return toLatent(s, dst, x, rows, logdet, &noise{u: u}, discreteColumns)
}

// noise hands out dequantization noise: from u in order when set, else
// from rng.
type noise struct {
	rng *rand.Rand
	u   []float64
}

func (n *noise) next() float64 {
	if n.u != nil {
		v := n.u[0]
		n.u = n.u[1:]
		return v
	}
	return n.rng.Float64()
}

func (n *noise) empty() bool { return n == nil || n.rng == nil && n.u == nil }

// ToLatent64 is ToLatent with a float64 output, for tests and callers that
// need the map without float32 rounding.
func (s *Scaler) ToLatent64(dst []float64, x []float64, rows int, logdet []float64, rng *rand.Rand) error {
	return toLatent(s, dst, x, rows, logdet, &noise{rng: rng}, allColumns)
}

// ToLatentContinuous is the part of ToLatent that needs no random numbers:
// it writes only the continuous and periodic columns of dst and adds only
// their log|dy/ds| to logdet. Together with Dequantize it is ToLatent, split
// so that training can redraw the dequantization noise every epoch without
// recomputing the rest.
func (s *Scaler) ToLatentContinuous(dst []float32, x []float64, rows int, logdet []float64) error {
	return toLatent(s, dst, x, rows, logdet, nil, continuousColumns)
}

// Dequantize is the other part of ToLatent: it writes only the discrete
// columns of dst, with fresh noise from rng, and adds only their log|dy/ds|
// to logdet. It does nothing when the scaler has no discrete columns.
func (s *Scaler) Dequantize(dst []float32, x []float64, rows int, logdet []float64, rng *rand.Rand) error {
	if !s.hasDiscrete {
		return nil
	}
	return toLatent(s, dst, x, rows, logdet, &noise{rng: rng}, discreteColumns)
}

// HasDiscrete reports whether any column is discrete (needs dequantization noise).
func (s *Scaler) HasDiscrete() bool { return s.hasDiscrete }

// ToData maps rows of the flow's input space y (float32, rows x Dim) back to
// physical values dst (float64), the exact inverse of ToLatent: continuous
// columns up to the rounding of y, discrete columns exactly to a training
// value. Any finite y maps to a value: a continuous one falls outside
// [Min, Max] where y is beyond the clip edges (the tails), a discrete level
// is clamped to the training levels. NaN maps to NaN (continuous) or the
// lowest level. It panics if a slice is too short.
func (s *Scaler) ToData(dst []float64, y []float32, rows int) {
	toData(s, dst, y, rows)
}

// ToData64 is ToData with a float64 input.
func (s *Scaler) ToData64(dst []float64, y []float64, rows int) {
	toData(s, dst, y, rows)
}

// columnSet selects the columns a toLatent call maps.
type columnSet int

const (
	allColumns columnSet = iota
	continuousColumns
	discreteColumns
)

func toLatent[T float32 | float64](s *Scaler, dst []T, x []float64, rows int, logdet []float64, rng *noise, set columnSet) error {
	d := len(s.cols)
	mustLen("dst", len(dst), rows*d)
	if logdet != nil {
		mustLen("logdet", len(logdet), rows)
	}
	if err := s.Check(x, rows); err != nil {
		return err
	}
	if s.hasDiscrete && rng.empty() && rows > 0 && set != continuousColumns {
		return fmt.Errorf("preprocess: nil random generator, needed to dequantize the discrete columns")
	}
	for i := 0; i < rows; i++ {
		row, out := x[i*d:(i+1)*d], dst[i*d:(i+1)*d]
		var ld float64
		for j := range s.cols {
			col := &s.cols[j]
			var y, l float64
			if col.Kind == KindDiscrete {
				if set == continuousColumns {
					continue
				}
				y, l = s.discreteLatent(col, col.level(row[j]), rng.next())
			} else {
				if set == discreteColumns {
					continue
				}
				raw, logSlope := s.continuousRaw(col, row[j])
				y, l = s.continuousLatent(col, row[j], raw, logSlope)
			}
			out[j] = T(y)
			ld += l
		}
		if logdet != nil {
			logdet[i] += ld
		}
	}
	return nil
}

// discreteLatent is the flow-space value and log|dy/dx| of level lvl of a
// discrete column dequantized with v in [0, 1): the one place this map is
// written (toLatent, DequantizeLevels).
func (s *Scaler) discreteLatent(col *column, lvl int, v float64) (y, l float64) {
	u := s.guard + col.w*v
	raw, logSlope := s.edge.logit((float64(lvl)+u)*col.a + s.edge.half)
	return (raw - col.Mean) * col.invStd, col.ldConst + logSlope
}

// continuousRaw is a continuous column's unstandardized map of x and its
// log slope: asinh or logit by kind.
func (s *Scaler) continuousRaw(col *column, x float64) (raw, logSlope float64) {
	if asinhKind(col.Kind) {
		return col.sinhArcsinh(x)
	}
	return s.edge.continuous(col, x)
}

// continuousLatent standardizes and caps a continuous column's raw value
// of x: the flow-space value and the whole log|dy/dx| (toLatent,
// FitTransform).
func (s *Scaler) continuousLatent(col *column, x, raw, logSlope float64) (y, l float64) {
	y = (raw - col.Mean) * col.invStd
	l = col.ldConst + logSlope
	var lc float64
	y, lc = softCap(y)
	l += lc
	if !finite(y) || !finite(l) {
		y, l = s.farAway(col, x)
	}
	return y, l
}

func toData[T float32 | float64](s *Scaler, dst []float64, y []T, rows int) {
	d := len(s.cols)
	mustLen("dst", len(dst), rows*d)
	mustLen("y", len(y), rows*d)
	for i := 0; i < rows; i++ {
		in, out := y[i*d:(i+1)*d], dst[i*d:(i+1)*d]
		for j := range s.cols {
			col := &s.cols[j]
			y := float64(in[j])
			if col.Kind != KindDiscrete {
				y = softCapInverse(y)
			}
			raw := y*col.Std + col.Mean
			switch col.Kind {
			case KindUnbounded, KindPositive:
				out[j] = col.sinhArcsinhInverse(raw)
				continue
			case KindContinuous, KindPeriodic:
				out[j] = s.edge.continuousInverse(col, raw)
				continue
			}
			t := (sigmoid(raw) - s.edge.half) / col.a // in level units
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
