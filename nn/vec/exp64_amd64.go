package vec

//go:noescape
func exp64AVX512(e []float64, k *[11]float64, table *[64]float64)

// expInPlace64 runs whole groups of 8 in AVX-512 assembly and the tail
// through an 8-value buffer, so every element is computed the same way.
func expInPlace64(e []float64) {
	if !useAVX512 {
		expInPlace64Go(e)
		return
	}
	n8 := len(e) &^ 7
	exp64AVX512(e[:n8], &exp64Consts, &exp2Frac)
	if n8 < len(e) {
		var buf [8]float64
		copy(buf[:], e[n8:])
		exp64AVX512(buf[:], &exp64Consts, &exp2Frac)
		copy(e[n8:], buf[:len(e)-n8])
	}
}
