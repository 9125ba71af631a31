package data

import (
	"encoding/binary"
	"math"
	"strconv"
)

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat parses b exactly as strconv.ParseFloat(string(b), 64) does,
// without allocating. It returns ok == false where strconv returns an error.
func parseFloat(b []byte) (v float64, ok bool) {
	if v, ok := parseFast(b); ok {
		return v, true
	}
	// The string conversion does not allocate: ParseFloat does not keep its
	// argument (it clones it into errors).
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		// Overflow: strconv returns ±Inf with ErrRange; the caller refuses
		// infinities anyway and reports the field, so keep the value.
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange && math.IsInf(v, 0) {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// parseFast handles plain decimals ([+-]digits[.digits][e[+-]digits]) with
// at most 19 significant digits, so that the mantissa m is exact in a
// uint64: when m < 2^53 and |e| <= 22, float64(m) and 10^|e| are both
// exact, so one IEEE multiplication or division rounds correctly (Clinger's
// fast path); otherwise the Eisel-Lemire algorithm gives the correctly
// rounded value or says it cannot decide. Both are what strconv itself
// uses for these inputs, so the bits are strconv's; anything else returns
// ok == false and goes to strconv. This is where the 19-digit "%.18e" of
// the HIGGS file's values spends its time.
func parseFast(b []byte) (float64, bool) {
	i, n := 0, len(b)
	if n == 0 || n > 40 {
		return 0, false
	}
	if n == 24 || n == 25 && b[0] == '-' {
		if v, ok := parseE18(b); ok {
			return v, true
		}
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	// Leading zeros add nothing to the mantissa and are not counted
	// against the 19 digits a uint64 holds.
	var mant uint64
	digits, sig := 0, 0
	for ; i < n && b[i]-'0' < 10; i++ {
		digits++
		if mant == 0 && b[i] == '0' {
			continue
		}
		mant = mant*10 + uint64(b[i]-'0')
		sig++
	}
	exp := 0
	if i < n && b[i] == '.' {
		i++
		for i < n && b[i]-'0' < 10 {
			// Eight digits at a time once the mantissa has started (so
			// that all eight count against the 19 it can hold): the
			// 18-digit fractions of "%.18e" in two steps and two digits.
			if mant != 0 && sig+8 <= 19 && i+8 <= n {
				if v, ok := eightDigits(b[i:]); ok {
					mant = mant*100000000 + v
					sig += 8
					digits += 8
					exp -= 8
					i += 8
					continue
				}
			}
			digits++
			exp--
			if mant != 0 || b[i] != '0' {
				mant = mant*10 + uint64(b[i]-'0')
				sig++
			}
			i++
		}
	}
	if digits == 0 || sig > 19 {
		return 0, false
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < n && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		if i == n {
			return 0, false
		}
		e := 0
		for ; i < n && b[i]-'0' < 10; i++ {
			if e > 1000 {
				return 0, false
			}
			e = e*10 + int(b[i]-'0')
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != n {
		return 0, false
	}
	return decimal(mant, exp, neg)
}

// decimal is mant * 10^exp (negated when neg), correctly rounded, for a
// mantissa of at most 19 digits: Clinger's fast path or Eisel-Lemire, or
// ok == false when neither decides.
func decimal(mant uint64, exp int, neg bool) (float64, bool) {
	if mant == 0 {
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	}
	// Trailing zeros of a long mantissa ("8.692932128906250000e-01", the
	// %.18e of a float32) move to the exponent: the value is the same.
	for mant > 1<<53 && mant%10 == 0 {
		mant /= 10
		exp++
	}
	if mant <= 1<<53 && exp >= -22 && exp <= 22 {
		f := float64(mant)
		if exp > 0 {
			f *= pow10[exp]
		} else if exp < 0 {
			f /= pow10[-exp]
		}
		if neg {
			f = -f
		}
		return f, true
	}
	return eiselLemire(mant, exp, neg)
}

// eightDigits returns the value of the eight ASCII digits b[0:8], with
// ok == false if any of them is not a digit (Lemire's SWAR method: the
// check and the conversion in a few word operations).
func eightDigits(b []byte) (uint64, bool) {
	v := binary.LittleEndian.Uint64(b)
	if (v&0xF0F0F0F0F0F0F0F0)|(((v+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) != 0x3333333333333333 {
		return 0, false
	}
	v -= 0x3030303030303030
	v = v*10 + v>>8
	v = ((v&0x000000FF000000FF)*(100+(1000000<<32)) + (v>>16&0x000000FF000000FF)*(1+(10000<<32))) >> 32
	return v, true
}

// parseE18 parses the exact form "%.18e" writes with a two-digit exponent,
// [-]d.ddddddddddddddddddde±dd, the form of every value of the UCI HIGGS
// file, in straight-line code: 19 digits as 1 + 8 + 8 + 2. Anything else
// returns ok == false for the general path.
func parseE18(b []byte) (float64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) != 24 || b[1] != '.' || b[20] != 'e' || b[21] != '-' && b[21] != '+' {
		return 0, false
	}
	d0, d1, d2, e1, e2 := b[0]-'0', b[18]-'0', b[19]-'0', b[22]-'0', b[23]-'0'
	if d0 > 9 || d1 > 9 || d2 > 9 || e1 > 9 || e2 > 9 {
		return 0, false
	}
	hi, ok1 := eightDigits(b[2:10])
	lo, ok2 := eightDigits(b[10:18])
	if !ok1 || !ok2 {
		return 0, false
	}
	mant := uint64(d0)*1e18 + hi*1e10 + lo*100 + uint64(d1)*10 + uint64(d2)
	exp := int(e1)*10 + int(e2)
	if b[21] == '-' {
		exp = -exp
	}
	return decimal(mant, exp-18, neg)
}
