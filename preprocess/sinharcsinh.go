package preprocess

import "math"

// positiveGuard is the distance above the shift below which a positive
// column's log continues linearly (so that every real value maps): 1e-12 of
// the smallest training distance above it (of the median's when a training
// value sits on the shift). That is log(1e12) ~ 28 below the data in
// log(x - shift), so a generated value falls below the shift only from a y
// at least 5 standard deviations below the lowest training value's (tested;
// for a pT above a cut about 9).
func positiveGuard(minAbove, medianAbove float64) float64 {
	switch {
	case minAbove > 0:
		return minAbove * 1e-12
	case medianAbove > 0:
		return medianAbove * 1e-12
	}
	return 1e-300
}

// logShift is t = log(v) for v >= g and its C1 linear continuation
// log(g) + (v-g)/g below, with log dt/dv.
func logShift(v, g float64) (t, logSlope float64) {
	if v >= g {
		return math.Log(v), -math.Log(v)
	}
	return math.Log(g) + (v-g)/g, -math.Log(g)
}

// logShiftInverse inverts logShift.
func logShiftInverse(t, g float64) float64 {
	if lg := math.Log(g); t < lg {
		return g + g*(t-lg)
	}
	return math.Exp(t)
}

// sinhArcsinhJoints derives the constants of the linear continuations of an
// unbounded or positive column: the junctions tLo, tHi in t (x, or the log
// of x - Shift) at the fitted range [Min, Max], the raw values there, the
// slope d(raw)/dt at the lower junction and d(raw)/dx at the upper one.
func (c *column) sinhArcsinhJoints() {
	c.tLo, c.tHi = c.Min, c.Max
	if c.Kind == KindPositive {
		c.tLo, _ = logShift(c.Min-c.Shift, c.Guard)
		c.tHi, _ = logShift(c.Max-c.Shift, c.Guard)
	}
	at := func(t float64) (raw, slope float64) {
		u := (t - c.Loc) / c.Scale
		return math.Asinh(u), 1 / (c.Scale * math.Hypot(1, u))
	}
	c.rawLo, c.slopeLo = at(c.tLo)
	c.rawHi, c.slopeHi = at(c.tHi)
	if c.Kind == KindPositive {
		c.slopeHi /= c.Max - c.Shift // dt/dx = 1/(x - Shift) at Max
	}
}

// sinhArcsinh maps x of an unbounded or positive column to its raw
// (unstandardized) value and log d(raw)/dx: asinh((t-Loc)/Scale) with t = x
// (unbounded) or t = log(x - Shift) (positive) on the fitted range [Min,
// Max], continued linearly (C1) beyond it: in x above Max and, for
// unbounded columns, below Min, so that the density's tails there are
// Gaussian and the flow's far samples land a modest distance out instead
// of where an inverted log-compression would put them; in t below Min for
// positive columns, so that their samples stay above Shift >= 0.
func (c *column) sinhArcsinh(x float64) (raw, logSlope float64) {
	if x > c.Max {
		return c.rawHi + c.slopeHi*(x-c.Max), math.Log(c.slopeHi)
	}
	t, ls := x, 0.0
	if c.Kind == KindPositive {
		t, ls = logShift(x-c.Shift, c.Guard)
	}
	if t < c.tLo {
		return c.rawLo + c.slopeLo*(t-c.tLo), ls + math.Log(c.slopeLo)
	}
	u := (t - c.Loc) / c.Scale
	return math.Asinh(u), ls - math.Log(c.Scale) - math.Log(math.Hypot(1, u))
}

// sinhArcsinhInverse is the exact inverse of sinhArcsinh.
func (c *column) sinhArcsinhInverse(raw float64) float64 {
	if raw > c.rawHi {
		return c.Max + (raw-c.rawHi)/c.slopeHi
	}
	t := c.Loc + c.Scale*math.Sinh(raw)
	if raw < c.rawLo {
		t = c.tLo + (raw-c.rawLo)/c.slopeLo
	}
	if c.Kind == KindPositive {
		return c.Shift + logShiftInverse(t, c.Guard)
	}
	return t
}
