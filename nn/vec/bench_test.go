package vec

import (
	"math/rand/v2"
	"testing"
)

// Sizes are those of the standard MAF benchmark per worker: 2048-row
// log-density batches of width 128 (hidden) or 28 (scales), 256-row training
// batches, and about 136k parameters for Adam.

func benchPaths(b *testing.B, f func(b *testing.B)) {
	for _, l := range levels() {
		atLevel(l, func() { b.Run(l.String(), f) })
	}
}

func randSlice(n int) []float32 {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func BenchmarkReluBias(b *testing.B) {
	y, bias := randSlice(2048*128), randSlice(128)
	benchPaths(b, func(b *testing.B) {
		b.SetBytes(int64(4 * len(y)))
		for b.Loop() {
			ReluBias(y, bias, 2048)
		}
	})
}

func BenchmarkReluGradMask(b *testing.B) {
	g, post := randSlice(256*128), randSlice(256*128)
	ReluBias(post, make([]float32, 128), 256)
	benchPaths(b, func(b *testing.B) {
		b.SetBytes(int64(4 * len(g)))
		for b.Loop() {
			ReluGradMask(g, post)
		}
	})
}

func BenchmarkSumRows(b *testing.B) {
	g, dst := randSlice(256*128), make([]float32, 128)
	benchPaths(b, func(b *testing.B) {
		b.SetBytes(int64(4 * len(g)))
		for b.Loop() {
			SumRows(dst, g, 256)
		}
	})
}

func BenchmarkExp(b *testing.B) {
	x, dst := randSlice(2048*28), make([]float32, 2048*28)
	benchPaths(b, func(b *testing.B) {
		b.SetBytes(int64(4 * len(x)))
		for b.Loop() {
			Exp(dst, x, -1)
		}
	})
}

func BenchmarkTanhScaled(b *testing.B) {
	x, dst := randSlice(2048*28), make([]float32, 2048*28)
	benchPaths(b, func(b *testing.B) {
		b.SetBytes(int64(4 * len(x)))
		for b.Loop() {
			TanhScaled(dst, x, 6)
		}
	})
}

func BenchmarkAdamStep(b *testing.B) {
	const n = 136 << 10
	w, g, m, v := randSlice(n), randSlice(n), make([]float32, n), make([]float32, n)
	a := Adam{Beta1: 0.9, Beta2: 0.999, LR: 1e-3, Eps: 1e-8, Decay: 1}
	benchPaths(b, func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			AdamStep(w, g, m, v, a)
		}
	})
}
