package vec

//go:noescape
func exp64NEON(e []float64, k *[11]float64, table *[64]float64)

// expInPlace64 runs whole pairs in NEON assembly and the last odd value
// through a 2-value buffer, so every element is computed the same way.
func expInPlace64(e []float64) {
	if !useNEON {
		expInPlace64Go(e)
		return
	}
	n2 := len(e) &^ 1
	exp64NEON(e[:n2], &exp64Consts, &exp2Frac)
	if n2 < len(e) {
		buf := [2]float64{e[n2]}
		exp64NEON(buf[:], &exp64Consts, &exp2Frac)
		e[n2] = buf[0]
	}
}
