package flow

import (
	"fmt"
	"math"
	"sort"
)

// Defaults of the rational-quadratic spline (Durkan et al. 2019, "Neural
// Spline Flows"), as in nflows and zuko.
const (
	DefaultSplineBins  = 8
	DefaultSplineBound = 5
	// MinBinWidth, MinBinHeight and MinDerivative keep every bin and slope
	// away from zero, so the map stays strictly monotone with a bounded
	// log-derivative whatever the network predicts.
	MinBinWidth   = 1e-3
	MinBinHeight  = 1e-3
	MinDerivative = 1e-3
)

// RQSpline is the monotone rational-quadratic spline map on [-B, B] with K
// bins and identity tails outside (its derivative is 1 at +-B, so the map is
// C1 there). Per coordinate it takes 3K-1 raw parameters: K bin widths and K
// bin heights (through a softmax with a floor), and the K-1 derivatives at
// the inner knots (through a softplus with a floor).
//
// Everything is computed in float64 from the float32 inputs, and per
// coordinate with a branch, not with masks: a coordinate outside [-B, B]
// never evaluates the spline, so no NaN or Inf from the unselected branch can
// reach its gradients (FlowJAX #239), a batch entirely outside the interval
// is fine (nflows #23), and the inverse's discriminant is clamped at 0 before
// the root (nflows #87: float cancellation made it slightly negative).
type RQSpline struct {
	K int     // bins
	B float64 // half-width of the interval
}

// NewRQSpline returns a spline map with k bins on [-bound, bound].
func NewRQSpline(k int, bound float64) (RQSpline, error) {
	if k < 2 || k > 64 {
		return RQSpline{}, fmt.Errorf("spline bins %d: want 2 to 64", k)
	}
	if !(bound > 0) || math.IsInf(bound, 0) {
		return RQSpline{}, fmt.Errorf("spline tail bound %g: want a positive, finite half-width", bound)
	}
	if float64(k)*MinBinWidth >= 1 {
		return RQSpline{}, fmt.Errorf("spline bins %d: too many for the minimum bin width %g", k, MinBinWidth)
	}
	return RQSpline{K: k, B: bound}, nil
}

// ParamsPerCoord is the number of raw parameters per coordinate: K widths,
// K heights, K-1 derivatives.
func (s RQSpline) ParamsPerCoord() int { return 3*s.K - 1 }

// knots are one coordinate's spline: knot positions in x and y (K+1 each)
// and derivatives at the knots, plus the normalized widths and heights
// (softmax outputs) the gradients need.
type knots struct {
	cx, cy, d []float64
	smW, smH  []float64
	rawD      []float64 // raw inner derivative parameters (K-1)
	// Backward's scratch: gradients at the knots and of the softmax outputs.
	gcx, gcy, gd, gsm []float64
}

func (s RQSpline) newKnots() *knots {
	k := s.K
	return &knots{cx: make([]float64, k+1), cy: make([]float64, k+1), d: make([]float64, k+1),
		smW: make([]float64, k), smH: make([]float64, k), rawD: make([]float64, k-1),
		gcx: make([]float64, k+1), gcy: make([]float64, k+1), gd: make([]float64, k+1), gsm: make([]float64, k)}
}

// float is the element type of the map's inputs: float32 in flows, float64
// in the tests' finite differences.
type float interface{ ~float32 | ~float64 }

// fill computes coordinate i's knots from theta (parameter-major, n coordinates).
func fill[T float](s RQSpline, kn *knots, theta []T, i, n int) {
	k := s.K
	softmax := func(dst []float64, off int) {
		mx := math.Inf(-1)
		for j := range k {
			mx = max(mx, float64(theta[(off+j)*n+i]))
		}
		var sum float64
		for j := range k {
			dst[j] = math.Exp(float64(theta[(off+j)*n+i]) - mx)
			sum += dst[j]
		}
		for j := range k {
			dst[j] /= sum
		}
	}
	softmax(kn.smW, 0)
	softmax(kn.smH, k)
	cum := func(dst, sm []float64, minBin float64) {
		dst[0] = -s.B
		var acc float64
		for j := 0; j < k-1; j++ {
			acc += minBin + float64((1-float64(minBin*float64(k)))*sm[j])
			dst[j+1] = -s.B + float64(2*s.B*acc)
		}
		dst[k] = s.B
	}
	cum(kn.cx, kn.smW, MinBinWidth)
	cum(kn.cy, kn.smH, MinBinHeight)
	kn.d[0], kn.d[k] = 1, 1
	for j := 1; j < k; j++ {
		u := float64(theta[(2*k+j-1)*n+i])
		kn.rawD[j-1] = u
		kn.d[j] = MinDerivative + softplus(u)
	}
}

// softplus is log(1+e^u) without overflow.
func softplus(u float64) float64 {
	if u > 30 {
		return u
	}
	return math.Log1p(math.Exp(u))
}

// bin returns k with c[k] <= v < c[k+1], for v in [c[0], c[K]).
func bin(c []float64, v float64) int {
	k := sort.SearchFloat64s(c, v) // first index with c[index] >= v
	if k < len(c) && c[k] == v {
		return min(k, len(c)-2)
	}
	return max(k-1, 0)
}

// local is the spline inside one bin at xi in [0, 1]: value and log-slope,
// and their partial derivatives, for the backward pass.
type local struct {
	X, W, Y, H, D0, D1 float64
}

// eval returns z and log dz/dx at x in bin k.
func (l local) eval(x float64) (z, logSlope float64) {
	z, slope := l.value(x)
	return z, math.Log(slope)
}

// value returns z and dz/dx = s^2 m / den^2 at x, whose logarithm SplineMap
// takes once per row of a product rather than once per coordinate. It
// neither overflows nor underflows: den >= s/2 (t <= 1/4), so q = s/den is
// in (0, 2], and m, a weighted mean of D0, D1 and s, lies (for float32
// parameters) between float32's extremes, far inside float64's range.
//
// Here and in the other per-coordinate functions of the batched path
// (grads, invert, RQSpline.scan, pair, deriv, softmaxGrads, log64) every
// product that feeds an addition is rounded by an explicit conversion, which
// keeps the compiler from fusing them into multiply-adds (it does on arm64
// and with GOAMD64=v3): the vector kernels, which do not fuse, then give the
// same bits whatever the build.
func (l local) value(x float64) (z, slope float64) {
	xi := (x - l.X) / l.W
	s := l.H / l.W
	t := xi * (1 - xi)
	den := s + float64((l.D0+l.D1-float64(2*s))*t)
	z = l.Y + l.H*(float64(s*xi*xi)+float64(l.D0*t))/den
	m := float64(l.D1*xi*xi) + float64(2*s*t) + float64(l.D0*(1-xi)*(1-xi))
	q := s / den
	return z, q * q * m
}

// grads returns dQ/d(x, X, W, Y, H, D0, D1) for Q = gz*z + gld*log dz/dx.
func (l local) grads(x, gz, gld float64) (gx, gX, gW, gY, gH, gD0, gD1 float64) {
	xi := (x - l.X) / l.W
	s := l.H / l.W
	t := float64(xi * (1 - xi)) // doubled below: 2t may become t + t, fused with this product
	c := l.D0 + l.D1 - float64(2*s)
	num := float64(s*xi*xi) + float64(l.D0*t)
	den := s + float64(c*t)
	m := float64(l.D1*xi*xi) + float64(2*s*t) + float64(l.D0*(1-xi)*(1-xi))
	// Partials of num, den, m in xi, s, D0, D1.
	o2x := 1 - float64(2*xi)
	nXi, nS, nD0 := float64(2*s*xi)+float64(l.D0*o2x), xi*xi, t
	dXi, dS, dD0, dD1 := float64(c*o2x), 1-float64(2*t), t, t
	mXi, mS, mD0, mD1 := float64(2*l.D1*xi)+float64(2*s*o2x)-float64(2*l.D0*(1-xi)), 2*t, (1-xi)*(1-xi), xi*xi
	den2 := den * den
	// z = Y + H num/den; L = 2 log s + log m - 2 log den.
	zXi := l.H * (float64(nXi*den) - float64(num*dXi)) / den2
	zS := l.H * (float64(nS*den) - float64(num*dS)) / den2
	zD0 := l.H * (float64(nD0*den) - float64(num*dD0)) / den2
	zD1 := l.H * (-num * dD1) / den2
	lXi := mXi/m - 2*dXi/den
	lS := 2/s + mS/m - 2*dS/den
	lD0 := mD0/m - 2*dD0/den
	lD1 := mD1/m - 2*dD1/den
	qXi, qS := float64(gz*zXi)+float64(gld*lXi), float64(gz*zS)+float64(gld*lS)
	// xi = (x-X)/W, s = H/W.
	gx = qXi / l.W
	gX = -qXi / l.W
	gW = -(float64(xi*qXi) + float64(s*qS)) / l.W
	gH = qS/l.W + gz*num/den
	gY = gz
	gD0 = float64(gz*zD0) + float64(gld*lD0)
	gD1 = float64(gz*zD1) + float64(gld*lD1)
	return
}

func (kn *knots) local(k int) local {
	return local{X: kn.cx[k], W: kn.cx[k+1] - kn.cx[k], Y: kn.cy[k], H: kn.cy[k+1] - kn.cy[k], D0: kn.d[k], D1: kn.d[k+1]}
}

// Forward maps one block of n = len(x) coordinates with parameter-major
// theta (theta[p*n+i] is parameter p of coordinate i), writes z and returns
// sum_i log f'(x_i). It allocates its scratch: flows use SplineMap.
func (s RQSpline) Forward(z, x, theta []float32) float64 {
	return rqsForward(s, s.newKnots(), z, x, theta)
}

// Inverse writes x = f^-1(z) for one block (see Forward) and returns
// sum_i log (f^-1)'(z_i).
func (s RQSpline) Inverse(x, z, theta []float32) float64 {
	return rqsInverse(s, s.newKnots(), x, z, theta)
}

// Backward, for Forward at (x, theta), takes gz = dL/dz and gld =
// dL/d(sum log f') and writes gx = dL/dx (gx may be nil) and gtheta.
func (s RQSpline) Backward(gx, gtheta, gz, x, theta []float32, gld float64) {
	rqsBackward(s, s.newKnots(), gx, gtheta, gz, x, theta, gld)
}

// rqsForward, rqsInverse and rqsBackward are Forward, Inverse and Backward
// with the caller's scratch kn (from newKnots), so a flow block allocates nothing per
// call, and generic so that tests can run them in float64.
func rqsForward[T float](s RQSpline, kn *knots, z, x, theta []T) float64 {
	n := len(x)
	var ld float64
	for i, xv := range x {
		v := float64(xv)
		if !(v >= -s.B && v < s.B) { // outside (or NaN): identity
			z[i] = xv
			continue
		}
		fill(s, kn, theta, i, n)
		zv, l := kn.local(bin(kn.cx, v)).eval(v)
		z[i] = T(zv)
		ld += l
	}
	return ld
}

func rqsInverse[T float](s RQSpline, kn *knots, x, z, theta []T) float64 {
	n := len(z)
	var ld float64
	for i, zv := range z {
		v := float64(zv)
		if !(v >= -s.B && v < s.B) {
			x[i] = zv
			continue
		}
		fill(s, kn, theta, i, n)
		l := kn.local(bin(kn.cy, v))
		xi := l.invert(v)
		xv := l.X + xi*l.W
		_, slope := l.eval(xv)
		x[i] = T(xv)
		ld -= slope
	}
	return ld
}

// invert solves z(xi) = v for xi in [0, 1] in the stable root form.
func (l local) invert(v float64) float64 {
	s := l.H / l.W
	dy := v - l.Y
	c := l.D0 + l.D1 - float64(2*s)
	a := float64(l.H*(s-l.D0)) + float64(dy*c)
	b := float64(l.H*l.D0) - float64(dy*c)
	cc := float64(-s * dy)
	disc := max(float64(b*b)-float64(4*a*cc), 0)
	den := -b - math.Sqrt(disc)
	if den == 0 {
		return 0
	}
	return min(max(2*cc/den, 0), 1)
}

func rqsBackward[T float](s RQSpline, kn *knots, gx, gtheta, gz, x, theta []T, gld float64) {
	n, k := len(x), s.K
	gcx, gcy, gd := kn.gcx, kn.gcy, kn.gd
	for i, xv := range x {
		v := float64(xv)
		for p := 0; p < 3*k-1; p++ {
			gtheta[p*n+i] = 0
		}
		if !(v >= -s.B && v < s.B) {
			if gx != nil {
				gx[i] = gz[i]
			}
			continue
		}
		fill(s, kn, theta, i, n)
		b := bin(kn.cx, v)
		gxv, gX, gW, gY, gH, gD0, gD1 := kn.local(b).grads(v, float64(gz[i]), gld)
		if gx != nil {
			gx[i] = T(gxv)
		}
		clear(gcx)
		clear(gcy)
		clear(gd)
		// X = cx[b], W = cx[b+1]-cx[b]; likewise in y.
		gcx[b] += gX - gW
		gcx[b+1] += gW
		gcy[b] += gY - gH
		gcy[b+1] += gH
		gd[b] += gD0
		gd[b+1] += gD1
		knotGrads(s, gtheta, gcx, kn.smW, kn.gsm, MinBinWidth, 0, i, n)
		knotGrads(s, gtheta, gcy, kn.smH, kn.gsm, MinBinHeight, k, i, n)
		for j := 1; j < k; j++ {
			// d_j = min + softplus(u): d softplus/du = sigmoid(u).
			gtheta[(2*k+j-1)*n+i] = T(gd[j] * sigmoidF(kn.rawD[j-1]))
		}
	}
}

// knotGrads takes dL/d(knot positions) through the cumulative sum (the end
// knots are fixed at -B and B) and the floored softmax to the raw parameters
// off..off+K-1 of coordinate i.
func knotGrads[T float](s RQSpline, gtheta []T, gc, sm, gsm []float64, minBin float64, off, i, n int) {
	k := s.K
	// c[j] = -B + 2B sum_{m<j} w_m for j = 1..K-1: dL/dw_m = 2B sum_{j>m, j<K} gc[j].
	gsm[k-1] = 0
	var acc float64
	for j := k - 1; j >= 1; j-- {
		acc += gc[j]
		gsm[j-1] = 2 * s.B * acc * (1 - minBin*float64(k))
	}
	// gsm[K-1] = 0: the last width only moves the fixed end knot.
	var dot float64
	for j := range k {
		dot += sm[j] * gsm[j]
	}
	for j := range k {
		gtheta[(off+j)*n+i] = T(sm[j] * (gsm[j] - dot))
	}
}

// sigmoidF is 1/(1+e^-u) without overflow.
func sigmoidF(u float64) float64 {
	if u >= 0 {
		return 1 / (1 + math.Exp(-u))
	}
	e := math.Exp(u)
	return e / (1 + e)
}
