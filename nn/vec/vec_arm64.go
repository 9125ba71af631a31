package vec

import (
	"fmt"

	"golang.org/x/sys/cpu"
)

// hasAVX2, useAVX2 and their AVX-512 twins mirror vec_amd64.go so that the
// tests build everywhere; arm64 has neither.
const hasAVX2 = false

var useAVX2 = false

const hasAVX512 = false

var useAVX512 = false

// hasNEON reports whether the NEON kernels (vec_arm64.s) may run: Advanced
// SIMD is part of every AArch64 CPU, but the check keeps an emulator or OS
// without it honest, and $HEPFLOW_CPU=generic rules the kernels out.
var hasNEON = cpu.ARM64.HasASIMD && Allowed(NEON)

// useNEON selects the assembly; it is hasNEON except in tests, which flip
// it to compare the two paths.
var useNEON = hasNEON

// The assembly kernels handle whole groups of 4 values (columns for the
// row-wise kernels, elements otherwise); the wrappers below check bounds
// first, since the assembly does not, and finish the tails.

//go:noescape
func reluBiasNEON(y, b []float32, rows int)

//go:noescape
func reluNEON(dst, x []float32)

//go:noescape
func addBiasNEON(y, b []float32, rows int)

//go:noescape
func reluGradNEON(g, post []float32)

//go:noescape
func sumRowsNEON(dst, g []float32, rows int)

//go:noescape
func expNEON(dst, x []float32, s float32)

//go:noescape
func tanhNEON(dst, x []float32, c, inv float32)

//go:noescape
func adamNEON(w, g, m, v []float32, k *[7]float32)

// checkRows panics as the Go loops would if y is shorter than rows rows of n.
func checkRows(y []float32, n, rows int) {
	if rows > 0 && len(y) < rows*n {
		panic(fmt.Sprintf("vec: %d rows of %d need %d values, have %d", rows, n, rows*n, len(y)))
	}
}

func reluBias(y, b []float32, rows int) { biasRows(y, b, rows, reluBiasNEON, reluBiasGo) }

func addBias(y, b []float32, rows int) { biasRows(y, b, rows, addBiasNEON, addBiasGo) }

// biasRows runs a kernel that maps each of rows rows of y with the vector
// b: the assembly on the columns it handles (whole groups of 4), the Go
// loop from there on (or everywhere without NEON).
func biasRows(y, b []float32, rows int, asm func(y, b []float32, rows int), goLoop func(y, b []float32, rows, from int)) {
	n := len(b)
	if !useNEON || rows <= 0 || n == 0 {
		goLoop(y, b, rows, 0)
		return
	}
	checkRows(y, n, rows)
	asm(y, b, rows)
	if n4 := n &^ 3; n4 < n {
		goLoop(y, b, rows, n4)
	}
}

func relu(dst, x []float32) {
	if !useNEON {
		reluGo(dst, x)
		return
	}
	dst = dst[:len(x)]
	n4 := len(x) &^ 3
	reluNEON(dst[:n4], x[:n4])
	reluGo(dst[n4:], x[n4:])
}

func reluGradMask(g, post []float32) {
	if !useNEON {
		reluGradMaskGo(g, post)
		return
	}
	post = post[:len(g)]
	n4 := len(g) &^ 3
	reluGradNEON(g[:n4], post[:n4])
	reluGradMaskGo(g[n4:], post[n4:])
}

func sumRows(dst, g []float32, rows int) {
	n := len(dst)
	if !useNEON || rows <= 0 || n == 0 {
		sumRowsGo(dst, g, rows, 0)
		return
	}
	checkRows(g, n, rows)
	sumRowsNEON(dst, g, rows)
	if n4 := n &^ 3; n4 < n {
		sumRowsGo(dst, g, rows, n4)
	}
}

// The tails of exp and tanh go through the assembly too, via a 4-value
// buffer, so that every element of a slice is computed the same way.

func exp(dst, x []float32, s float32) {
	if !useNEON {
		expGo(dst, x, s)
		return
	}
	dst = dst[:len(x)]
	n4 := len(x) &^ 3
	expNEON(dst[:n4], x[:n4], s)
	if n4 < len(x) {
		var buf [4]float32
		copy(buf[:], x[n4:])
		expNEON(buf[:], buf[:], s)
		copy(dst[n4:], buf[:])
	}
}

func tanhScaled(dst, x []float32, c float32) {
	if !useNEON {
		tanhScaledGo(dst, x, c)
		return
	}
	dst = dst[:len(x)]
	inv := 1 / c
	n4 := len(x) &^ 3
	tanhNEON(dst[:n4], x[:n4], c, inv)
	if n4 < len(x) {
		var buf [4]float32
		copy(buf[:], x[n4:])
		tanhNEON(buf[:], buf[:], c, inv)
		copy(dst[n4:], buf[:])
	}
}

func adamStep(w, g, m, v []float32, a Adam) {
	if !useNEON {
		adamStepGo(w, g, m, v, a)
		return
	}
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	k := [7]float32{a.Beta1, 1 - a.Beta1, a.Beta2, 1 - a.Beta2, a.LR, a.Eps, a.Decay}
	n4 := n &^ 3
	adamNEON(w[:n4], g[:n4], m[:n4], v[:n4], &k)
	adamStepGo(w[n4:], g[n4:], m[n4:], v[n4:], a)
}
