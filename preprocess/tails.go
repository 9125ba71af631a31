package preprocess

import "math"

// Shape of the logit's tails beyond the clip edges (see clipEdge).
const (
	// tailKappa sets how fast the slope falls beyond an edge: within a
	// distance of about tailKappa/s (s ~ 2/beta, the logit's slope at the
	// edge) it drops from s towards tailLambda, while the map rises by only
	// ~tailKappa*log(s d/tailKappa). Chosen by held-out NLL over all
	// events on the HIGGS sample (10 splits; BENCHMARKS.md): 1 (a mirror
	// image of the logit) gave 7.63 nats/event, 0.2 7.19, 0.05 7.13,
	// 0.01 7.12, with the logit on every column.
	tailKappa = 0.01
	// tailLambda is the slope the tail settles to, in raw logit units per
	// width of the fitted range: 4, the logit's smallest slope (at the
	// centre of the range), so the map is never flatter outside than
	// inside. Far beyond the range densities then fall like a Gaussian of
	// the distance, and a sample from the flow's far tail lands at most
	// (raw excess)/4 widths beyond the range.
	tailLambda = 4
)

// clipEdge holds the constants of the extended logit for a clip beta: the
// seed's logit(c) on the clipped interval [beta/2, 1-beta/2], continued
// beyond it, at a distance d (in c units, so in widths of the fitted range),
// by
//
//	logit(edge) ± (kappa log(1 + (s-lambda) d/kappa) + lambda d)
//
// with s the logit's slope at the edge: C1 there, strictly increasing, a
// bijection of the whole line with a finite log-Jacobian everywhere. A
// linear continuation with the edge slope s ~ 2/beta instead would put an
// event 1% of the width beyond the range some 2e4 raw units out (log p
// ~ -1e8); this tail puts it 0.01*log(2e4/0.01*0.01)+0.04 ~ 0.1 units out.
type clipEdge struct {
	half float64 // beta/2, the lower clip edge in c
	l    float64 // logit(1-beta/2) = -logit(beta/2)
	tail decayTail
}

func newClipEdge(beta float64) clipEdge {
	h := beta / 2
	s := 1 / (h * (1 - h))
	return clipEdge{half: h, l: math.Log1p(-h) - math.Log(h), tail: decayTail{s: s, lambda: tailLambda, kappa: tailKappa}}
}

// decayTail is a map's continuation beyond a junction where its slope is s:
// at a distance d >= 0 it rises by kappa log(1 + (s-lambda) d/kappa) +
// lambda d, so the slope is s at the junction (C1) and falls to lambda
// within a distance of order kappa/s. Requires s > lambda > 0.
type decayTail struct {
	s, lambda, kappa float64
}

// rise is the tail's rise at distance d >= 0 and log of its slope there.
func (t decayTail) rise(d float64) (rise, logSlope float64) {
	u := (t.s - t.lambda) * d / t.kappa
	return t.kappa*math.Log1p(u) + t.lambda*d, math.Log((t.s-t.lambda)/(1+u) + t.lambda)
}

// inverse solves rise(d) = r for d >= 0: safeguarded Newton in a bracket.
func (t decayTail) inverse(r float64) float64 {
	if !(r > 0) {
		return 0
	}
	if math.IsInf(r, 1) {
		return r
	}
	// Bounds: each term alone reaches r no earlier than the sum does, and
	// at the root one of them is at least r/2.
	s := t.s - t.lambda
	hi := min(t.kappa/s*math.Expm1(r/t.kappa), r/t.lambda)
	lo := min(t.kappa/s*math.Expm1(r/(2*t.kappa)), r/(2*t.lambda))
	d := lo
	for range 200 {
		f, _ := t.rise(d)
		f -= r
		if f == 0 {
			return d
		}
		if f < 0 {
			lo = d
		} else {
			hi = d
		}
		slope := s/(1+s*d/t.kappa) + t.lambda
		next := d - f/slope
		if !(next > lo && next < hi) {
			next = lo + (hi-lo)/2
		}
		if next == d || hi-lo <= 1e-16*hi {
			return next
		}
		d = next
	}
	return d
}

// continuous maps x of a continuous or periodic column to its raw
// (unstandardized) logit value and log d(raw)/dc.
func (e *clipEdge) continuous(col *column, x float64) (raw, logSlope float64) {
	switch {
	case x > col.Max:
		rise, ls := e.tail.rise((x - col.Max) * col.a)
		return e.l + rise, ls
	case x < col.Min:
		rise, ls := e.tail.rise((col.Min - x) * col.a)
		return -e.l - rise, ls
	}
	// 1-c from the upper edge keeps the seed's logit precise near c = 1,
	// where 1 - ((x-Min)a + beta/2) would cancel.
	c, c1 := (x-col.Min)*col.a+e.half, (col.Max-x)*col.a+e.half
	lc, l1c := math.Log(c), math.Log(c1)
	if c < 0.5 {
		l1c = math.Log1p(-c)
	} else {
		lc = math.Log1p(-c1)
	}
	return lc - l1c, -(lc + l1c)
}

// logit is log(c/(1-c)) and log of its derivative 1/(c(1-c)).
func (e *clipEdge) logit(c float64) (raw, logSlope float64) {
	lc, l1c := math.Log(c), math.Log1p(-c)
	return lc - l1c, -(lc + l1c)
}

// continuousInverse is the exact inverse of continuous: raw logit to x.
func (e *clipEdge) continuousInverse(col *column, raw float64) float64 {
	switch {
	case raw > e.l:
		return col.Max + e.tail.inverse(raw-e.l)/col.a
	case raw < -e.l:
		return col.Min - e.tail.inverse(-e.l-raw)/col.a
	}
	return col.Min + (sigmoid(raw)-e.half)/col.a
}
