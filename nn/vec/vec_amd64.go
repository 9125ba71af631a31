package vec

import (
	"fmt"

	"golang.org/x/sys/cpu"
)

// hasAVX2 reports whether the CPU and OS support the assembly kernels
// (AVX2 only: they use no FMA, to stay bit-identical to the Go loops) and
// $HEPFLOW_CPU allows them.
var hasAVX2 = cpu.X86.HasAVX2 && Allowed(AVX2)

// useAVX2 selects the assembly; it is hasAVX2 except in tests, which flip
// it to compare the two paths.
var useAVX2 = hasAVX2

// hasAVX512 reports whether the 16-lane exp and tanh can run; useAVX512
// selects them (with useAVX2 also set), and tests flip it.
var (
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F && Allowed(AVX512)
	useAVX512 = hasAVX512
)

// hasNEON and useNEON mirror vec_arm64.go so that the tests build
// everywhere; amd64 has no NEON.
const hasNEON = false

var useNEON = false

// The assembly kernels handle whole groups of 8 values (columns for the
// row-wise kernels, elements otherwise); the wrappers below check bounds
// first, since the assembly does not, and finish the tails.

//go:noescape
func reluBiasAVX2(y, b []float32, rows int)

//go:noescape
func reluAVX2(dst, x []float32)

//go:noescape
func addBiasAVX2(y, b []float32, rows int)

//go:noescape
func reluGradAVX2(g, post []float32)

//go:noescape
func sumRowsAVX2(dst, g []float32, rows int)

//go:noescape
func expAVX2(dst, x []float32, s float32)

//go:noescape
func tanhAVX2(dst, x []float32, c, inv float32)

//go:noescape
func expAVX512(dst, x []float32, s float32)

//go:noescape
func tanhAVX512(dst, x []float32, c, inv float32)

//go:noescape
func adamAVX2(w, g, m, v []float32, k *[7]float32)

// checkRows panics as the Go loops would if y is shorter than rows rows of n.
func checkRows(y []float32, n, rows int) {
	if rows > 0 && len(y) < rows*n {
		panic(fmt.Sprintf("vec: %d rows of %d need %d values, have %d", rows, n, rows*n, len(y)))
	}
}

func reluBias(y, b []float32, rows int) { biasRows(y, b, rows, reluBiasAVX2, reluBiasGo) }

func addBias(y, b []float32, rows int) { biasRows(y, b, rows, addBiasAVX2, addBiasGo) }

// biasRows runs a kernel that maps each of rows rows of y with the vector
// b: the assembly on the columns it handles (whole groups of 8), the Go
// loop from there on (or everywhere without AVX2).
func biasRows(y, b []float32, rows int, asm func(y, b []float32, rows int), goLoop func(y, b []float32, rows, from int)) {
	n := len(b)
	if !useAVX2 || rows <= 0 || n == 0 {
		goLoop(y, b, rows, 0)
		return
	}
	checkRows(y, n, rows)
	asm(y, b, rows)
	if n8 := n &^ 7; n8 < n {
		goLoop(y, b, rows, n8)
	}
}

func relu(dst, x []float32) {
	if !useAVX2 {
		reluGo(dst, x)
		return
	}
	dst = dst[:len(x)]
	n8 := len(x) &^ 7
	reluAVX2(dst[:n8], x[:n8])
	reluGo(dst[n8:], x[n8:])
}

func reluGradMask(g, post []float32) {
	if !useAVX2 {
		reluGradMaskGo(g, post)
		return
	}
	post = post[:len(g)]
	n8 := len(g) &^ 7
	reluGradAVX2(g[:n8], post[:n8])
	reluGradMaskGo(g[n8:], post[n8:])
}

func sumRows(dst, g []float32, rows int) {
	n := len(dst)
	if !useAVX2 || rows <= 0 || n == 0 {
		sumRowsGo(dst, g, rows, 0)
		return
	}
	checkRows(g, n, rows)
	sumRowsAVX2(dst, g, rows)
	if n8 := n &^ 7; n8 < n {
		sumRowsGo(dst, g, rows, n8)
	}
}

// The tails of exp and tanh go through the assembly too, via an 8-value
// buffer, so that every element of a slice is computed the same way.

func exp(dst, x []float32, s float32) {
	if !useAVX2 {
		expGo(dst, x, s)
		return
	}
	dst = dst[:len(x)]
	if useAVX512 {
		n16 := len(x) &^ 15
		expAVX512(dst[:n16], x[:n16], s)
		dst, x = dst[n16:], x[n16:]
	}
	n8 := len(x) &^ 7
	expAVX2(dst[:n8], x[:n8], s)
	if n8 < len(x) {
		var buf [8]float32
		copy(buf[:], x[n8:])
		expAVX2(buf[:], buf[:], s)
		copy(dst[n8:], buf[:])
	}
}

func tanhScaled(dst, x []float32, c float32) {
	if !useAVX2 {
		tanhScaledGo(dst, x, c)
		return
	}
	dst = dst[:len(x)]
	inv := 1 / c
	if useAVX512 {
		n16 := len(x) &^ 15
		tanhAVX512(dst[:n16], x[:n16], c, inv)
		dst, x = dst[n16:], x[n16:]
	}
	n8 := len(x) &^ 7
	tanhAVX2(dst[:n8], x[:n8], c, inv)
	if n8 < len(x) {
		var buf [8]float32
		copy(buf[:], x[n8:])
		tanhAVX2(buf[:], buf[:], c, inv)
		copy(dst[n8:], buf[:])
	}
}

func adamStep(w, g, m, v []float32, a Adam) {
	if !useAVX2 {
		adamStepGo(w, g, m, v, a)
		return
	}
	n := len(w)
	g, m, v = g[:n], m[:n], v[:n]
	k := [7]float32{a.Beta1, 1 - a.Beta1, a.Beta2, 1 - a.Beta2, a.LR, a.Eps, a.Decay}
	n8 := n &^ 7
	adamAVX2(w[:n8], g[:n8], m[:n8], v[:n8], &k)
	adamStepGo(w[n8:], g[n8:], m[n8:], v[n8:], a)
}
