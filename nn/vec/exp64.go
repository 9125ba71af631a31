package vec

import "math"

// exp2Frac holds 2^(j/64), j = 0..63, for Exp64.
var exp2Frac = func() (t [64]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 64)
	}
	return t
}()

// The constants of Exp64, in the order the assembly broadcasts them.
const (
	exp64Floor = -700
	exp64Inv   = 64 / math.Ln2
	exp64Magic = 0x1.8p52              // adding it rounds to an integer, kept in the low bits
	exp64Ln2Hi = 0x1.62e42fefa0000p-7  // ln2/64 to 37 bits: k*ln2hi is exact for |k| < 2^16
	exp64Ln2Lo = 0x1.cf79abc9e3b3ap-46 // the rest of ln2/64
)

var exp64Consts = [11]float64{exp64Floor, exp64Inv, exp64Magic, exp64Ln2Hi, exp64Ln2Lo,
	1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1, math.Float64frombits(63)}

// The explicit float64 conversions round every product that feeds an
// addition or subtraction, which keeps the compiler from fusing them into
// multiply-adds (it does on arm64, and on amd64 with GOAMD64=v3), so Exp64
// gives the same bits on every architecture and matches the assembly.

// Exp64 is e^a to ~2 ulp for a up to ~709: a = (64k + j) ln2/64 + r with
// |r| <= ln2/128, e^a = 2^k 2^(j/64) e^r, e^r by a degree-5 polynomial. It
// skips math.Exp's range checks and special cases, about half of its time,
// so its argument is clamped at -700 (e^-700 = 1e-304; -Inf included); NaN
// gives NaN; above ~709 the result is wrong (callers keep their arguments
// below: a spline's softmax inputs after their shift, softplus's -|u|).
func Exp64(a float64) float64 {
	if a < exp64Floor { // NaN stays NaN
		a = exp64Floor
	}
	kf := float64(a*exp64Inv) + exp64Magic
	k := math.Float64bits(kf)
	kf -= exp64Magic
	r := (a - float64(kf*exp64Ln2Hi)) - float64(kf*exp64Ln2Lo)
	p := 1 + float64(r*(1+float64(r*(1.0/2+float64(r*(1.0/6+float64(r*(1.0/24+float64(r*(1.0/120))))))))))
	// k's low 6 bits pick 2^(j/64); the rest, two's complement, adds to the
	// exponent field (the result is normal: |a| <= 700).
	return math.Float64frombits(math.Float64bits(exp2Frac[k&63]*p) + (k>>6)<<52)
}

// ExpInPlace64 replaces every a in e by Exp64(a), 8 at a time in AVX-512
// assembly where the CPU has it, 2 at a time in NEON assembly on arm64 (the
// same operations in the same order, no fused multiply-adds, so the bits
// are Exp64's).
func ExpInPlace64(e []float64) { expInPlace64(e) }

// expInPlace64Go is ExpInPlace64 in Go. The body is Exp64 inlined (a call
// per element costs a third more).
func expInPlace64Go(e []float64) {
	for i, a := range e {
		if a < exp64Floor {
			a = exp64Floor
		}
		kf := float64(a*exp64Inv) + exp64Magic
		k := math.Float64bits(kf)
		kf -= exp64Magic
		r := (a - float64(kf*exp64Ln2Hi)) - float64(kf*exp64Ln2Lo)
		p := 1 + float64(r*(1+float64(r*(1.0/2+float64(r*(1.0/6+float64(r*(1.0/24+float64(r*(1.0/120))))))))))
		e[i] = math.Float64frombits(math.Float64bits(exp2Frac[k&63]*p) + (k>>6)<<52)
	}
}
