package data

import (
	"math"
	"math/big"
	"math/bits"
)

// The Eisel-Lemire algorithm (Lemire, "Number Parsing at a Gigabyte per
// Second", 2021), as in strconv and fast_float: a 64-bit decimal mantissa
// times a 128-bit approximation of 10^e gives the correctly rounded
// float64, or a signal that the approximation cannot decide (then strconv's
// slower exact path does).

// Exponent range of the powers-of-ten table; outside it, strconv.
const (
	pow10MinExp = -348
	pow10MaxExp = 347
)

// pow10Table[e-pow10MinExp] is the 128-bit mantissa of 10^e as {lo, hi},
// normalised so that hi's top bit is set: truncated for e >= 0, and for
// e < 0 one more than the truncation of a quotient (fast_float's table, and
// strconv's up to Go 1.25; Go 1.26 truncates 1e-27..1e-1 too, which sends
// ~11% of the HIGGS file's values to the slow path). Computed once with
// math/big rather than pasted in as 700 constants.
// Computed once with math/big rather than pasted in as 700 constants.
var pow10Table = makePow10Table()

func makePow10Table() [][2]uint64 {
	t := make([][2]uint64, pow10MaxExp-pow10MinExp+1)
	one := big.NewInt(1)
	two128 := new(big.Int).Lsh(one, 128)
	mask := new(big.Int).Sub(new(big.Int).Lsh(one, 64), one)
	put := func(e int, c *big.Int) {
		t[e-pow10MinExp] = [2]uint64{new(big.Int).And(c, mask).Uint64(), new(big.Int).Rsh(c, 64).Uint64()}
	}
	for q := pow10MinExp; q < 0; q++ {
		p5 := new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(-q)), nil)
		z := p5.BitLen() // the least z with 2^z >= 5^-q (5^-q is never a power of two)
		b := 2*z + 128
		if q >= -27 {
			b = z + 127
		}
		c := new(big.Int).Div(new(big.Int).Lsh(one, uint(b)), p5)
		c.Add(c, one)
		for c.Cmp(two128) >= 0 {
			c.Rsh(c, 1)
		}
		put(q, c)
	}
	for q := 0; q <= pow10MaxExp; q++ {
		c := new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(q)), nil)
		if s := 128 - c.BitLen(); s > 0 {
			c.Lsh(c, uint(s))
		} else {
			c.Rsh(c, uint(-s))
		}
		put(q, c)
	}
	return t
}

// eiselLemire returns man * 10^exp10 (negated when neg) correctly rounded,
// or ok == false when it cannot decide; man must not be zero.
func eiselLemire(man uint64, exp10 int, neg bool) (float64, bool) {
	if exp10 < pow10MinExp || exp10 > pow10MaxExp {
		return 0, false
	}
	// Normalisation.
	clz := bits.LeadingZeros64(man)
	man <<= uint(clz)
	const bias = 1023
	retExp2 := uint64(217706*exp10>>16+64+bias) - uint64(clz)
	// Multiplication.
	p := pow10Table[exp10-pow10MinExp]
	xHi, xLo := bits.Mul64(man, p[1])
	// Wider approximation.
	if xHi&0x1FF == 0x1FF && xLo+man < man {
		yHi, yLo := bits.Mul64(man, p[0])
		mergedHi, mergedLo := xHi, xLo+yHi
		if mergedLo < xLo {
			mergedHi++
		}
		if mergedHi&0x1FF == 0x1FF && mergedLo+1 == 0 && yLo+man < man {
			return 0, false
		}
		xHi, xLo = mergedHi, mergedLo
	}
	// Shift to 54 bits.
	msb := xHi >> 63
	retMantissa := xHi >> (msb + 9)
	retExp2 -= 1 ^ msb
	// Half-way ambiguity.
	if xLo == 0 && xHi&0x1FF == 0 && retMantissa&3 == 1 {
		return 0, false
	}
	// From 54 to 53 bits.
	retMantissa += retMantissa & 1
	retMantissa >>= 1
	if retMantissa>>53 > 0 {
		retMantissa >>= 1
		retExp2++
	}
	// Zero or underflow: subnormal; 0x7FF or above: overflow. strconv's.
	if retExp2-1 >= 0x7FF-1 {
		return 0, false
	}
	retBits := retExp2<<52 | retMantissa&(1<<52-1)
	if neg {
		retBits |= 1 << 63
	}
	return math.Float64frombits(retBits), true
}
