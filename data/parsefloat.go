package data

import (
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

// parseFast handles plain decimals ([+-]digits[.digits][e[+-]digits]) whose
// value is exactly representable as m * 10^e with m < 2^53 and |e| <= 22.
// Then float64(m) and 10^|e| are both exact, so one IEEE multiplication or
// division rounds correctly, giving the same bits as strconv (Clinger's
// fast path, which strconv itself uses for these inputs). Anything else
// returns ok == false and goes to strconv.
func parseFast(b []byte) (float64, bool) {
	i, n := 0, len(b)
	if n == 0 || n > 40 {
		return 0, false
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	// Accumulate every digit, leading zeros included (they add nothing);
	// more than 19 digits could overflow, so those go to strconv, which
	// costs a rare fallback for long zero-padded fractions.
	var mant uint64
	d0 := i
	for ; i < n && b[i]-'0' < 10; i++ {
		mant = mant*10 + uint64(b[i]-'0')
	}
	digits := i - d0
	exp := 0
	if i < n && b[i] == '.' {
		i++
		f0 := i
		for ; i < n && b[i]-'0' < 10; i++ {
			mant = mant*10 + uint64(b[i]-'0')
		}
		exp = f0 - i
		digits += i - f0
	}
	if digits == 0 || digits > 19 {
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
	if i != n || mant > 1<<53 {
		return 0, false
	}
	f := float64(mant)
	switch {
	case mant == 0 || exp == 0:
	case exp > 0 && exp <= 22:
		f *= pow10[exp]
	case exp < 0 && exp >= -22:
		f /= pow10[-exp]
	default:
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}
