package preprocess

import "math"

// positiveGuard bounds the fraction of Min - Shift above the shift where a
// positive column's log stops: below Shift + guard the map continues with a
// decaying tail in x (every real value maps, and a value below the shift,
// impossible for a true pT or mass, still gets a density of the order of
// the far upper tail's). The guard is chosen at least guardSigmas standard
// deviations of y below Min (and at most positiveGuard of Min - Shift), so
// a generated value falls below the shift only from a y that far below the
// lowest training value.
const (
	positiveGuard = 1e-6
	guardSigmas   = 10
)

// sinhArcsinhJoints derives the constants of the continuations of an
// unbounded or positive column: the junctions in t (x, or log(x - Shift)) at
// the ends of its fitted range [Min, Max], the raw values and slopes
// d(raw)/dt there, and for positive columns the lower guard's tail.
func (c *column) sinhArcsinhJoints() {
	c.tLo, c.tHi = c.Min, c.Max
	if c.Kind == KindPositive {
		c.tLo, c.tHi = math.Log(c.Min-c.Shift), math.Log(c.Max-c.Shift)
	}
	at := func(t float64) (raw, slope float64) {
		u := (t - c.Loc) / c.Scale
		return math.Asinh(u), 1 / (c.Scale * math.Hypot(1, u))
	}
	c.rawLo, c.slopeLo = at(c.tLo)
	c.rawHi, c.slopeHi = at(c.tHi)
	c.logScale = math.Log(c.Scale)
	if c.Kind == KindPositive {
		c.slopeHi /= c.Max - c.Shift // d(raw)/dx at Max; slopeLo stays d(raw)/dt
		// Below Min raw falls by slopeLo per unit of log(x - Shift): the
		// guard sits guardSigmas standard deviations of y further down.
		frac := min(positiveGuard, math.Exp(-guardSigmas*c.Std/c.slopeLo))
		g := max(frac, 1e-290) * (c.Min - c.Shift)
		c.guard = g
		c.rawG = c.rawLo + c.slopeLo*(math.Log(g)-c.tLo)
		// At Shift+g the slope in x is slopeLo/g; far below it settles to
		// the upper tail's slope.
		c.below = decayTail{s: c.slopeLo / g, lambda: min(c.slopeHi, c.slopeLo/g/2), kappa: tailKappa}
	}
	c.logSlopeLo, c.logSlopeHi = math.Log(c.slopeLo), math.Log(c.slopeHi)
}

// sinhArcsinh maps x of an unbounded or positive column to its raw
// (unstandardized) value and log d(raw)/dx: asinh((t-Loc)/Scale) with t = x
// (unbounded) or t = log(x - Shift) (positive) on the fitted range [Min,
// Max]; above Max, and below Min for unbounded columns, it continues
// linearly in x (C1), so that the density's tails are Gaussian and the
// flow's far samples land a modest distance out instead of where an
// inverted log-compression would put them. Below Min a positive column
// continues linearly in t = log(x - Shift), which keeps its samples above
// the shift, down to Shift + guard, then with a decaying tail in x.
func (c *column) sinhArcsinh(x float64) (raw, logSlope float64) {
	if x > c.Max {
		return c.rawHi + c.slopeHi*(x-c.Max), c.logSlopeHi
	}
	if c.Kind != KindPositive {
		if x < c.Min {
			return c.rawLo + c.slopeLo*(x-c.Min), c.logSlopeLo
		}
		u := (x - c.Loc) / c.Scale
		return math.Asinh(u), -c.logScale - math.Log(math.Hypot(1, u))
	}
	v := x - c.Shift
	switch {
	case v < c.guard:
		r, ls := c.below.rise(c.guard - v)
		return c.rawG - r, ls
	case x < c.Min:
		return c.rawLo + c.slopeLo*(math.Log(v)-c.tLo), c.logSlopeLo - math.Log(v)
	}
	u := (math.Log(v) - c.Loc) / c.Scale
	return math.Asinh(u), -math.Log(v) - c.logScale - math.Log(math.Hypot(1, u))
}

// sinhArcsinhInverse is the exact inverse of sinhArcsinh.
func (c *column) sinhArcsinhInverse(raw float64) float64 {
	if raw > c.rawHi {
		return c.Max + (raw-c.rawHi)/c.slopeHi
	}
	if c.Kind != KindPositive {
		if raw < c.rawLo {
			return c.Min + (raw-c.rawLo)/c.slopeLo
		}
		return c.Loc + c.Scale*math.Sinh(raw)
	}
	switch {
	case raw < c.rawG:
		return c.Shift + c.guard - c.below.inverse(c.rawG-raw)
	case raw < c.rawLo:
		return c.Shift + math.Exp(c.tLo+(raw-c.rawLo)/c.slopeLo)
	}
	return c.Shift + math.Exp(c.Loc+c.Scale*math.Sinh(raw))
}

// CapY is where the standardized value of a continuous column stops growing
// linearly and grows like a logarithm instead: |y| <= CapY is untouched (a
// flow never samples or sees anything near a thousand standard deviations),
// beyond it y = ±(CapY + log1p(|y| - CapY)). So any finite value, however
// absurd (1e39 in a column of order 1), maps to a y well inside float32 with
// a finite log-density, instead of overflowing the flow's input.
const CapY = 1000

// softCap applies the cap and returns log dy'/dy.
func softCap(y float64) (float64, float64) {
	a := math.Abs(y)
	if !(a > CapY) { // also NaN, which Check refuses before
		return y, 0
	}
	if math.IsInf(a, 0) {
		return y, math.Inf(-1)
	}
	e := a - CapY
	return math.Copysign(CapY+math.Log1p(e), y), -math.Log1p(e)
}

// softCapInverse inverts softCap.
func softCapInverse(y float64) float64 {
	a := math.Abs(y)
	if !(a > CapY) {
		return y
	}
	return math.Copysign(CapY+math.Expm1(a-CapY), y)
}

// farAway is the capped y and the column's whole log|dy/dx| of a value so
// far beyond the fitted range (|x| ~ 1e300) that the linear tail overflowed
// float64 before the cap: there y = ±(CapY + log1p(e)) with e the huge
// linear excess, dominated by the tail's asymptotic slope, so log1p(e) =
// log(d) + log(slope/Std) to far better than float64 shows, and
// log|dy/dx| = -log(d) + the rounding of that.
func (s *Scaler) farAway(c *column, x float64) (y, logdet float64) {
	edge, slope := c.Max, 0.0
	switch c.Kind {
	case KindContinuous, KindPeriodic:
		slope = s.edge.tail.lambda * c.a
		if x < c.Min {
			edge = c.Min
		}
	case KindUnbounded:
		slope = c.slopeHi
		if x < c.Min {
			edge, slope = c.Min, c.slopeLo
		}
	case KindPositive:
		slope = c.slopeHi
		if x < c.Max {
			edge, slope = c.Shift+c.guard, c.below.lambda
		}
	}
	d := math.Abs(x - edge)
	if math.IsInf(d, 0) { // x - edge itself overflowed
		d = math.MaxFloat64
	}
	return math.Copysign(CapY+math.Log(d)+math.Log(slope)-math.Log(c.Std), x-edge), -math.Log(d)
}
