package flow

import (
	"hepflow/nn/vec"
	"math"
)

// SplineMap is the rational-quadratic spline RQSpline as a CoordMap: 3K-1
// parameters per coordinate.
//
// It is the batched path of the generic functions in rqspline.go
// (rqsForward, rqsInverse, rqsBackward, which the float64 tests check),
// shares their per-bin algebra (local.value, invert, grads) and computes the
// same float64 values up to float64 rounding. What differs is the
// bookkeeping around it, which was ~90% of the map's time:
//
//   - Each softmax's exponentials come from one pass over a block of
//     coordinates, unshifted while the inputs allow it, by exp64 (no special
//     cases: about half of math.Exp's time). vec.Exp's float32 exponentials
//     would be ten times cheaper still, but their 1e-7 relative error moves
//     the knots by as much: z then rounds to another float32 about one time
//     in three, and one row of the property tests' round trip (an
//     nsf-coupling coordinate at slope 1e-3) no longer passes.
//   - The bin comes from a running sum that stops at the bin, and only the
//     two derivatives at its ends go through softplus.
//   - Latent multiplies a row's slopes (prodLog) and takes one logarithm,
//     not three per coordinate; the inverses take one per coordinate
//     (log64, about half of math.Log's time), so that Data and DataColumn
//     agree to the bit.
//   - Latent keeps the exponentials and each coordinate's bin and spline, so
//     Backward evaluates no transcendental function, and writes the softmax
//     gradients in closed form: only the bin's two knots carry a gradient.
//
// Coordinates outside [-B, B] get their exponentials computed with the rest
// of the block, but nothing else: the identity and a zero gradient, as in
// the generic path.
type SplineMap struct {
	s RQSpline

	x, theta []float32 // Latent's inputs (not owned)
	e        []float64 // Latent's softmax exponentials (2K rows of n per event)
	// at holds, field f of coordinate c of the latest Latent at
	// at[f*len(bins)+c], what Backward needs (the at* fields); bins holds
	// each coordinate's bin, -1 outside the interval. Fields in separate
	// arrays (not a struct per coordinate) so that the vector path stores
	// eight coordinates at once.
	at   []float64
	bins []int32
	de   []float64 // Data's and DataColumn's exponentials (one block)
	lg   []float64 // their log-slopes (one block)
	sl   []float64 // and slopes
	mx   []float64 // softmax maxima of one block
	k    *splineKernel
}

var _ CoordMap = (*SplineMap)(nil)

// The fields of SplineMap.at: the bin's spline (local's X, W, Y, H, D0, D1),
// the inverses of the sums of the width and height exponentials, the slopes
// of the softplus of the derivative parameters at knots b and b+1 (0 at the
// ends, whose derivatives are fixed), and dz/dx.
const (
	atX = iota
	atW
	atY
	atH
	atD0
	atD1
	atInvW
	atInvH
	atSig0
	atSig1
	atSlope
	atFields
)

// splineColumnBlock is how many events DataColumn prepares at once: the block's
// exponentials (2K rows of splineColumnBlock float64, 16 KiB for K=8) stay in L1.
const splineColumnBlock = 128

// NewSplineMap returns the map of spline s, with its own scratch.
func NewSplineMap(s RQSpline) *SplineMap { return &SplineMap{s: s, k: newSplineKernel(s)} }

// Spline is the spline's shape (bins and interval).
func (m *SplineMap) Spline() RQSpline { return m.s }

// ParamsPerCoord implements CoordMap.
func (m *SplineMap) ParamsPerCoord() int { return m.s.ParamsPerCoord() }

// prepare writes into e[j*cnt+i] the softmax exponentials of the cnt
// coordinates whose raw parameter j is at theta[j*lt+i], widths (rows
// 0..K-1) and heights (K..2K-1). The softmaxes are shift-invariant, and
// while every input lies in [-splineExpRange, splineExpRange] its exponentials and their
// sums are normal float64s without a shift, so the maxima are only found
// (prepareShifted, fill's way) for a block with an input beyond, or NaN.
func (m *SplineMap) prepare(e []float64, theta []float32, lt, cnt int) {
	k := m.s.K
	// worst is the largest |a| as float32 bits, which order like the
	// values; NaN above +Inf.
	worst, done := m.k.prepare(e, theta, lt, cnt, 2*k)
	if !done {
		for j := 0; j < 2*k; j++ {
			dst := e[j*cnt : (j+1)*cnt]
			for i, v := range theta[j*lt : j*lt+cnt] {
				dst[i] = float64(v)
				worst = max(worst, math.Float32bits(v)&0x7fffffff)
			}
		}
	}
	if worst > math.Float32bits(splineExpRange) {
		m.prepareShifted(e, theta, lt, cnt)
		return
	}
	if !done {
		expInPlace(e[:2*k*cnt])
	}
}

// splineExpRange bounds the softmax inputs exponentiated unshifted: with K <= 64,
// 64 e^700 = 6.5e305 does not overflow and e^-700 = 1e-304 is normal.
const splineExpRange = 700

// prepareShifted is prepare with each softmax's maximum subtracted first,
// as fill does: every value in (0, 1], each sum at least 1.
func (m *SplineMap) prepareShifted(e []float64, theta []float32, lt, cnt int) {
	k := m.s.K
	if len(m.mx) < cnt {
		m.mx = make([]float64, cnt)
	}
	mx := m.mx[:cnt]
	for off := 0; off < 2*k; off += k {
		for i, v := range theta[off*lt : off*lt+cnt] {
			mx[i] = float64(v)
		}
		for j := off + 1; j < off+k; j++ {
			for i, v := range theta[j*lt : j*lt+cnt] {
				if v := float64(v); v > mx[i] { // a NaN maximum stays, a NaN value reaches its exponential
					mx[i] = v
				}
			}
		}
		for j := off; j < off+k; j++ {
			dst := e[j*cnt : (j+1)*cnt]
			for i, v := range theta[j*lt : j*lt+cnt] {
				dst[i] = exp64(float64(v) - mx[i])
			}
		}
	}
}

// The helpers below read coordinate i of a prepared block: exponential j at
// e[j*cnt+i], raw parameter j at theta[j*lt+i].

// sums returns the inverses of the width and height exponentials' sums.
func (s RQSpline) sums(e []float64, cnt, i int) (invW, invH float64) {
	var sw, sh float64
	for j := 0; j < s.K; j++ {
		sw += e[j*cnt+i]
		sh += e[(s.K+j)*cnt+i]
	}
	return 1 / sw, 1 / sh
}

// scan returns the bin b of v in [-B, B) among the knots -B + 2B*cumsum of
// the floored softmax whose exponentials start at row off (fill's knots),
// and knots b and b+1. Like bin, it picks the last knot at or below v.
func (s RQSpline) scan(e []float64, cnt, i, off int, inv, minBin, v float64) (b int, lo, hi float64) {
	k := s.K
	scale := 1 - float64(minBin*float64(k))
	lo = -s.B
	var acc float64
	for ; b < k-1; b++ {
		acc += minBin + float64(scale*(e[(off+b)*cnt+i]*inv))
		next := -s.B + float64(2*s.B*acc)
		if v < next {
			return b, lo, next
		}
		lo = next
	}
	return k - 1, lo, s.B
}

// pair returns knots b and b+1 of the floored softmax at row off (see scan).
func (s RQSpline) pair(e []float64, cnt, i, off, b int, inv, minBin float64) (lo, hi float64) {
	k := s.K
	scale := 1 - float64(minBin*float64(k))
	var acc float64
	for j := 0; j < b; j++ {
		acc += minBin + float64(scale*(e[(off+j)*cnt+i]*inv))
	}
	lo = -s.B + float64(2*s.B*acc)
	if b == k-1 {
		return lo, s.B
	}
	acc += minBin + float64(scale*(e[(off+b)*cnt+i]*inv))
	return lo, -s.B + float64(2*s.B*acc)
}

// deriv returns the derivative at knot j, MinDerivative + softplus(u) (1 at
// the ends), and e^-|u| for its sigmoid.
func (s RQSpline) deriv(theta []float32, lt, i, j int) (d, ev float64) {
	if j == 0 || j == s.K {
		return 1, 0
	}
	u := float64(theta[(2*s.K+j-1)*lt+i])
	ev = exp64(-math.Abs(u))
	// softplus(u) = max(u, 0) + log(1 + e^-|u|), without a branch on u's
	// sign, which the CPU cannot predict. log(1+e) rather than log1p: where
	// they differ (e < 1e-16) the derivative is at least MinDerivative,
	// which hides the difference.
	return MinDerivative + max(u, 0) + log64(1+ev), ev
}

// softplusSlope is d softplus(u)/du, the sigmoid, from u and e^-|u|, as
// sigmoidF.
func softplusSlope(u float32, ev float64) float64 {
	if u >= 0 {
		return 1 / (1 + ev)
	}
	return ev / (1 + ev)
}

// spline returns coordinate i's spline in bin b, given its knots in x and y.
func (s RQSpline) spline(theta []float32, lt, i, b int, xlo, xhi, ylo, yhi float64) (l local, ev0, ev1 float64) {
	l = local{X: xlo, W: xhi - xlo, Y: ylo, H: yhi - ylo}
	l.D0, ev0 = s.deriv(theta, lt, i, b)
	l.D1, ev1 = s.deriv(theta, lt, i, b+1)
	return l, ev0, ev1
}

// Latent implements CoordMap.
func (m *SplineMap) Latent(z, x, theta []float32, n, rows int, logdet []float64) {
	k, w, c := m.s.K, m.s.ParamsPerCoord()*n, rows*n
	if len(m.e) < rows*2*k*n {
		m.e = make([]float64, rows*2*k*n)
	}
	if len(m.bins) < c {
		m.bins = make([]int32, c)
		m.at = make([]float64, atFields*c)
	}
	fs := len(m.bins)
	for r := 0; r < rows; r++ {
		e, th := m.e[r*2*k*n:(r+1)*2*k*n], theta[r*w:(r+1)*w]
		m.prepare(e, th, n, n)
		bins := m.bins[r*n : (r+1)*n]
		m.k.latent(z[r*n:(r+1)*n], x[r*n:(r+1)*n], e, th, n, n, m.at[r*n:], fs, bins)
		ld := newProdLog()
		for i, b := range bins {
			if b >= 0 {
				ld.mul(m.at[atSlope*fs+r*n+i])
			}
		}
		logdet[r] += ld.log()
	}
	m.x, m.theta = x, theta
}

// latentGo is the per-coordinate body of Latent in Go, which the vector
// path (splineKernel.latent) must reproduce to the bit: z, bins and the at
// fields of the cnt coordinates of one prepared block (exponentials e,
// parameter rows theta with stride lt), field f of coordinate i written to
// at[f*fs+i].
func (s RQSpline) latentGo(z, x []float32, e []float64, theta []float32, lt, cnt int, at []float64, fs int, bins []int32) {
	s.latentGoFrom(0, z, x, e, theta, lt, cnt, at, fs, bins)
}

// latentGoFrom is latentGo for coordinates i0..cnt-1 only (the tail the
// AVX2 kernel leaves).
func (s RQSpline) latentGoFrom(i0 int, z, x []float32, e []float64, theta []float32, lt, cnt int, at []float64, fs int, bins []int32) {
	for i := i0; i < cnt; i++ {
		xv := x[i]
		v := float64(xv)
		if !(v >= -s.B && v < s.B) { // outside (or NaN): identity
			z[i] = xv
			bins[i] = -1
			continue
		}
		invW, invH := s.sums(e, cnt, i)
		b, xlo, xhi := s.scan(e, cnt, i, 0, invW, MinBinWidth, v)
		ylo, yhi := s.pair(e, cnt, i, s.K, b, invH, MinBinHeight)
		l, ev0, ev1 := s.spline(theta, lt, i, b, xlo, xhi, ylo, yhi)
		var sig0, sig1 float64
		if b > 0 {
			sig0 = softplusSlope(theta[(2*s.K+b-1)*lt+i], ev0)
		}
		if b < s.K-1 {
			sig1 = softplusSlope(theta[(2*s.K+b)*lt+i], ev1)
		}
		zv, slope := l.value(v)
		z[i] = float32(zv)
		bins[i] = int32(b)
		for f, v := range [atFields]float64{l.X, l.W, l.Y, l.H, l.D0, l.D1, invW, invH, sig0, sig1, slope} {
			at[f*fs+i] = v
		}
	}
}

// Backward implements CoordMap.
func (m *SplineMap) Backward(gx, gtheta, gz []float32, gld []float64, n, rows int) {
	w, fs := m.s.ParamsPerCoord()*n, len(m.bins)
	for r := 0; r < rows; r++ {
		var gxr []float32
		if gx != nil {
			gxr = gx[r*n : (r+1)*n]
		}
		m.k.backward(gxr, gtheta[r*w:(r+1)*w], gz[r*n:(r+1)*n], gld[r], m.x[r*n:(r+1)*n],
			m.e[r*2*m.s.K*n:(r+1)*2*m.s.K*n], m.at[r*n:], fs, m.bins[r*n:(r+1)*n])
	}
}

// backwardGo is Backward for one row of n = len(x) coordinates in Go, which
// the vector path (splineKernel.backward) must reproduce to the bit: the
// gradients gx (nil: not wanted) and gt (parameter-major, rows of n) from
// gz, gld and what latentGo left in e, at (field stride fs) and bins.
func (s RQSpline) backwardGo(gx, gt, gz []float32, gld float64, x []float32, e, at []float64, fs int, bins []int32) {
	s.backwardGoFrom(0, gx, gt, gz, gld, x, e, at, fs, bins)
}

// backwardGoFrom is backwardGo for coordinates i0..len(x)-1 only (the tail
// the AVX2 kernel leaves).
func (s RQSpline) backwardGoFrom(i0 int, gx, gt, gz []float32, gld float64, x []float32, e, at []float64, fs int, bins []int32) {
	k, n := s.K, len(x)
	// dL/dsoftmax_j is 2B(1 - K min) times the knots' gradients above j.
	scaleW := 2 * s.B * (1 - float64(MinBinWidth*float64(k)))
	scaleH := 2 * s.B * (1 - float64(MinBinHeight*float64(k)))
	for i := i0; i < n; i++ {
		b := int(bins[i])
		if b < 0 {
			if gx != nil {
				gx[i] = gz[i]
			}
			for p := 0; p < 3*k-1; p++ {
				gt[p*n+i] = 0
			}
			continue
		}
		l := local{X: at[atX*fs+i], W: at[atW*fs+i], Y: at[atY*fs+i], H: at[atH*fs+i], D0: at[atD0*fs+i], D1: at[atD1*fs+i]}
		gxv, gX, gW, gY, gH, gD0, gD1 := l.grads(float64(x[i]), float64(gz[i]), gld)
		if gx != nil {
			gx[i] = float32(gxv)
		}
		// X = cx[b], W = cx[b+1]-cx[b]; likewise in y.
		softmaxGrads(gt, e, n, i, 0, k, b, at[atInvW*fs+i], scaleW, gX-gW, gW)
		softmaxGrads(gt, e, n, i, k, k, b, at[atInvH*fs+i], scaleH, gY-gH, gH)
		for j := 1; j < k; j++ {
			var g float64
			switch j {
			case b:
				g = gD0 * at[atSig0*fs+i]
			case b + 1:
				g = gD1 * at[atSig1*fs+i]
			}
			gt[(2*k+j-1)*n+i] = float32(g)
		}
	}
}

// softmaxGrads writes the gradients of the k softmax inputs at rows off.. of
// coordinate i (knotGrads in closed form), given ga = dL/dc_b and gb =
// dL/dc_(b+1) for the knots c_j = -B + 2B sum_(m<j) (min + (1-K min) sm_m).
// c_0 and c_K are fixed, so softmax output m moves knots m+1..K-1: of the
// bin's two, both for m < b, c_(b+1) alone for m = b, neither above.
func softmaxGrads(gt []float32, e []float64, cnt, i, off, k, b int, inv, scale, ga, gb float64) {
	if b == k-1 {
		// c_K is fixed. (Its gradient would add the same to every
		// dL/dsm_m, which the softmax cancels, but only up to rounding.)
		gb = 0
	}
	// dL/dsm_m for m < b and m = b; ga is only used for m < b, so never
	// for the fixed c_0.
	below, at := float64(scale*(ga+gb)), float64(scale*gb)
	var under float64
	for j := 0; j < b; j++ {
		under += e[(off+j)*cnt+i]
	}
	dot := (float64(below*under) + float64(at*e[(off+b)*cnt+i])) * inv
	for j := 0; j < k; j++ {
		g := -dot
		if j < b {
			g += below
		} else if j == b {
			g += at
		}
		gt[(off+j)*cnt+i] = float32(e[(off+j)*cnt+i] * inv * g)
	}
}

// inverse returns x = f^-1(v) and dz/dx there for coordinate i of a
// prepared block, v in [-B, B).
func (s RQSpline) inverse(e []float64, theta []float32, cnt, lt, i int, v float64) (x, slope float64) {
	invW, invH := s.sums(e, cnt, i)
	b, ylo, yhi := s.scan(e, cnt, i, s.K, invH, MinBinHeight, v)
	xlo, xhi := s.pair(e, cnt, i, 0, b, invW, MinBinWidth)
	l, _, _ := s.spline(theta, lt, i, b, xlo, xhi, ylo, yhi)
	x = l.X + float64(l.invert(v)*l.W)
	_, slope = l.value(x)
	return x, slope
}

// Data implements CoordMap.
func (m *SplineMap) Data(x, z, theta []float32, n, rows int, logdet []float64) {
	s, w := m.s, m.s.ParamsPerCoord()*n
	if len(m.de) < 2*s.K*n {
		m.de = make([]float64, 2*s.K*n)
	}
	m.growInverse(n)
	for r := 0; r < rows; r++ {
		th := theta[r*w : (r+1)*w]
		m.prepare(m.de, th, n, n)
		m.k.inverse(x[r*n:(r+1)*n], z[r*n:(r+1)*n], m.de, th, n, n, m.lg, m.sl)
		// One logarithm per coordinate, summed as DataColumn sums them, so
		// the two agree to the bit (outside the interval the logarithm is
		// +0, which leaves the sum as it is).
		var ld float64
		for _, l := range m.lg[:n] {
			ld -= l
		}
		logdet[r] += ld
	}
}

// DataColumn implements CoordMap.
func (m *SplineMap) DataColumn(x, z, theta []float32, stride, rows int, logdet []float64) {
	s := m.s
	if len(m.de) < 2*s.K*splineColumnBlock {
		m.de = make([]float64, 2*s.K*splineColumnBlock)
	}
	m.growInverse(splineColumnBlock)
	for r0 := 0; r0 < rows; r0 += splineColumnBlock {
		cnt := min(splineColumnBlock, rows-r0)
		th := theta[r0:]
		m.prepare(m.de, th, stride, cnt)
		m.k.inverse(x[r0:r0+cnt], z[r0:r0+cnt], m.de, th, stride, cnt, m.lg, m.sl)
		for i, l := range m.lg[:cnt] {
			logdet[r0+i] -= l
		}
	}
}

// growInverse makes the inverses' scratch hold n coordinates.
func (m *SplineMap) growInverse(n int) {
	if len(m.lg) < n {
		m.lg, m.sl = make([]float64, n), make([]float64, n)
	}
}

// inverseGo is the per-coordinate body of Data and DataColumn in Go, which
// the vector path (splineKernel.inverse) must reproduce to the bit: x =
// f^-1(z) for the cnt coordinates of one prepared block, with log dz/dx in
// lg and dz/dx in slope (+0 and 1 outside the interval).
func (s RQSpline) inverseGo(x, z []float32, e []float64, theta []float32, lt, cnt int, lg, slope []float64) {
	s.inverseGoFrom(0, x, z, e, theta, lt, cnt, lg, slope)
}

// inverseGoFrom is inverseGo for coordinates i0..cnt-1 only (the tail the
// AVX2 kernel leaves).
func (s RQSpline) inverseGoFrom(i0 int, x, z []float32, e []float64, theta []float32, lt, cnt int, lg, slope []float64) {
	for i := i0; i < cnt; i++ {
		zv := z[i]
		v := float64(zv)
		if !(v >= -s.B && v < s.B) {
			x[i], lg[i], slope[i] = zv, 0, 1
			continue
		}
		xv, sl := s.inverse(e, theta, cnt, lt, i, v)
		x[i], lg[i], slope[i] = float32(xv), log64(sl), sl
	}
}

// exp64 is vec.Exp64: e^a for a <= splineExpRange (softmax inputs,
// softplus's -|u|) to ~2 ulp, clamped at -700, NaN to NaN.
func exp64(a float64) float64 { return vec.Exp64(a) }

// expInPlace replaces every a in e by exp64(a), eight at a time with
// AVX-512 where the CPU has it (the same bits). It has a loop of its own:
// fused with the float32 conversion, the conversion's target register would
// be the one that held the previous exponential, which chains each
// exponential to the one before (CVTSS2SD keeps the register's upper half)
// and takes twice as long.
func expInPlace(e []float64) { vec.ExpInPlace64(e) }

// logTable holds, for the 128 slices [1 + j/128, 1 + (j+1)/128) of [1, 2),
// the midpoint c_j's logarithm and inverse, for log64.
var logTable = func() (t [128]struct{ log, inv float64 }) {
	for j := range t {
		c := 1 + float64((float64(j)+0.5)/128)
		t[j].log, t[j].inv = math.Log(c), 1/c
	}
	return t
}()

// log64 is log(x) for the map's positive normal arguments (slopes, 1 +
// e^-|u|) to ~2 ulp of max(1, |log x|): x = 2^k m with m in [1, 2), m =
// c_j (1 + r) with |r| <= 1/256, log(1+r) by a degree-6 polynomial. It has
// no division, unlike math.Log, and takes about half its time; anything
// else (0, negative, subnormal, Inf, NaN) goes to math.Log.
func log64(x float64) float64 {
	bits := math.Float64bits(x)
	be := int(bits >> 52) // sign bit included: a negative x is above 0x7ff
	if be == 0 || be >= 0x7ff {
		return math.Log(x)
	}
	t := &logTable[bits>>45&127] // the top 7 bits of the mantissa
	m := math.Float64frombits(bits&(1<<52-1) | 1023<<52)
	r := (m - (1 + float64(float64(bits>>45&127)/128) + 1.0/256)) * t.inv // m - c_j is exact
	p := float64(r * (1 + float64(r*(-1.0/2+float64(r*(1.0/3+float64(r*(-1.0/4+float64(r*(1.0/5+float64(r*(-1.0/6))))))))))))
	return float64(float64(be-1023)*math.Ln2) + t.log + p
}

// prodLog accumulates a product of positive factors as a mantissa in [1, 2)
// and a binary exponent, so that the sum of their logarithms costs one
// logarithm whatever their number and range.
type prodLog struct {
	m float64
	e int
}

func newProdLog() prodLog { return prodLog{m: 1} }

// mul multiplies the product by f > 0. A factor that is not a positive
// finite float64 makes the product's mantissa 0, Inf or NaN, which stays so
// and reaches log.
func (p *prodLog) mul(f float64) {
	m := p.m * f
	bits := math.Float64bits(m)
	be := int(bits>>52) & 0x7ff
	if be == 0 || be == 0x7ff { // zero, subnormal, Inf or NaN
		p.m = m
		return
	}
	p.e += be - 1023
	p.m = math.Float64frombits(bits&^(0x7ff<<52) | 1023<<52)
}

// log returns the logarithm of the product.
func (p prodLog) log() float64 { return log64(p.m) + float64(float64(p.e)*math.Ln2) }
