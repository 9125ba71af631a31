//go:build !amd64 && !arm64

package vec

// hasAVX2, useAVX2, their AVX-512 twins and hasNEON, useNEON mirror
// vec_amd64.go and vec_arm64.go so that the tests build everywhere; off
// amd64 and arm64 there is only the Go path.
const hasAVX2 = false

var useAVX2 = false

const hasAVX512 = false

var useAVX512 = false

const hasNEON = false

var useNEON = false

func reluBias(y, b []float32, rows int)      { reluBiasGo(y, b, rows, 0) }
func addBias(y, b []float32, rows int)       { addBiasGo(y, b, rows, 0) }
func relu(dst, x []float32)                  { reluGo(dst, x) }
func reluGradMask(g, post []float32)         { reluGradMaskGo(g, post) }
func sumRows(dst, g []float32, rows int)     { sumRowsGo(dst, g, rows, 0) }
func exp(dst, x []float32, s float32)        { expGo(dst, x, s) }
func tanhScaled(dst, x []float32, c float32) { tanhScaledGo(dst, x, c) }
func adamStep(w, g, m, v []float32, a Adam)  { adamStepGo(w, g, m, v, a) }

func expInPlace64(e []float64) { expInPlace64Go(e) }
