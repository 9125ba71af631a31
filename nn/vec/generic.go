package vec

import "math"

// The loops here are the reference for every kernel and the code that runs
// on CPUs without the assembly. Explicit float32 conversions round every
// product that feeds an addition or subtraction, which keeps the compiler
// from fusing them into multiply-adds (it does on arm64, and on amd64 with
// GOAMD64=v3), so the kernels stay bit-identical to the assembly, and the
// same on every architecture, whatever GOAMD64 says.

// reluBiasGo is ReluBias over the columns [from, len(b)) of each row.
func reluBiasGo(y, b []float32, rows, from int) {
	n := len(b)
	b = b[from:]
	for r := 0; r < rows; r++ {
		row := y[r*n+from : r*n+n]
		for j, v := range b {
			// Branch-free max(x, 0): clear every bit when the sign bit is set.
			x := math.Float32bits(row[j] + v)
			row[j] = math.Float32frombits(x &^ uint32(int32(x)>>31))
		}
	}
}

func reluGo(dst, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		b := math.Float32bits(v)
		dst[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

func addBiasGo(y, b []float32, rows, from int) {
	n := len(b)
	b = b[from:]
	for r := 0; r < rows; r++ {
		row := y[r*n+from : r*n+n]
		for j, v := range b {
			row[j] += v
		}
	}
}

// reluGradMaskGo is branch-free: the bits of |post| are zero exactly where
// the gradient must be cut, and a sign pattern that a branch predictor
// cannot learn costs nothing.
func reluGradMaskGo(g, post []float32) {
	post = post[:len(g)]
	for i, v := range post {
		b := math.Float32bits(v) & 0x7fffffff // |v|: +0 and -0 both give 0
		mask := uint32(int32(b|-b) >> 31)     // all ones when b != 0
		g[i] = math.Float32frombits(math.Float32bits(g[i]) & mask)
	}
}

// sumRowsGo is SumRows over the columns [from, len(dst)).
func sumRowsGo(dst, g []float32, rows, from int) {
	n := len(dst)
	d := dst[from:]
	for r := 0; r < rows; r++ {
		row := g[r*n+from : r*n+n]
		for j, v := range row {
			d[j] += v
		}
	}
}

func expGo(dst, x []float32, s float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = expCore(float32(v * s))
	}
}

func tanhScaledGo(dst, x []float32, c float32) {
	dst = dst[:len(x)]
	inv := 1 / c
	for i, v := range x {
		dst[i] = c * Tanh32(float32(v*inv))
	}
}

// Tanh32 is tanh(x) in float32: Cephes' tanhf polynomial for |x| < 0.625
// (where 1 - 2/(e^2x + 1) would cancel) and one exponential above.
func Tanh32(x float32) float32 {
	x = float32(x) // the argument may be an inlined caller's product: no fusing into it
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if ax < 0.625 {
		z := x * x
		q := float32(-5.70498872745e-3*z) + 2.06390887954e-2
		q = float32(q*z) - 5.37397155531e-2
		q = float32(q*z) + 1.33314422036e-1
		q = float32(q*z) - 3.33332819422e-1
		return float32(float32(q*z)*x) + x
	}
	if ax > 9 {
		return float32(math.Copysign(1, float64(x)))
	}
	e := expCore(float32(2 * ax))
	t := 1 - 2/(e+1)
	if x < 0 {
		return -t
	}
	return t
}

// Exp32 is exp(x) in float32 arithmetic, accurate to about 2 ulp (Cephes'
// expf: x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r, 2^n by
// exponent bits); +Inf above 88.38 and 0 below -87.34.
func Exp32(x float32) float32 {
	switch {
	case x > 88.3762626647949:
		return float32(math.Inf(1))
	case x < -87.3365447504:
		return 0
	}
	return expCore(x)
}

// expCore is Exp32 without its range checks, for arguments in [-87, 88].
func expCore(v float32) float32 {
	const (
		ln2h  = 0.693359375
		ln2l  = -2.12194440e-4
		magic = 12582912
	)
	v = float32(v) // the argument may be an inlined caller's product: no fusing into it
	// Round to nearest without a branch on the sign: adding 1.5*2^23
	// leaves no fraction bits.
	n := (float32(v*1.44269504088896341) + magic) - magic
	r := v - float32(n*ln2h) - float32(n*ln2l)
	p := float32(1.9875691500e-4)
	p = float32(p*r) + 1.3981999507e-3
	p = float32(p*r) + 8.3334519073e-3
	p = float32(p*r) + 4.1665795894e-2
	p = float32(p*r) + 1.6666665459e-1
	p = float32(p*r) + 5.0000001201e-1
	p = float32(float32(p*r)*r) + r + 1
	return math.Float32frombits(math.Float32bits(p) + uint32(int32(n))<<23)
}

func adamStepGo(w, g, m, v []float32, a Adam) {
	b1, b2 := a.Beta1, a.Beta2
	ob1, ob2 := 1-b1, 1-b2
	m = m[:len(w)]
	v = v[:len(w)]
	g = g[:len(w)]
	for i := range w {
		gi := g[i]
		mi := float32(b1*m[i]) + float32(ob1*gi)
		vi := float32(b2*v[i]) + float32(float32(ob2*gi)*gi)
		m[i], v[i] = mi, vi
		q := float32(a.LR*mi) / (float32(math.Sqrt(float64(vi))) + a.Eps)
		w[i] = float32(w[i]*a.Decay) - q
	}
}
