package preprocess

import (
	"math/rand/v2"
	"testing"
)

// benchScaler is a HIGGS-shaped scaler: 28 columns, 4 of them discrete.
func benchScaler(b *testing.B, rows int) (*Scaler, []float64) {
	rng := rand.New(rand.NewPCG(1, 1))
	const d = 28
	names := make([]string, d)
	x := make([]float64, rows*d)
	for j := range d {
		names[j] = string(rune('a'+j%26)) + string(rune('0'+j/26))
		for i := range rows {
			if j%7 == 6 {
				x[i*d+j] = float64(rng.IntN(3))
			} else {
				x[i*d+j] = rng.ExpFloat64()
			}
		}
	}
	s, err := Fit(x, rows, names, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return s, x
}

func BenchmarkToLatent(b *testing.B) {
	const rows = 4096
	s, x := benchScaler(b, rows)
	y, ld := make([]float32, len(x)), make([]float64, rows)
	rng := rand.New(rand.NewPCG(2, 2))
	b.SetBytes(int64(len(x) * 8))
	for b.Loop() {
		if err := s.ToLatent(y, x, rows, ld, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
}

func BenchmarkToData(b *testing.B) {
	const rows = 4096
	s, x := benchScaler(b, rows)
	y := make([]float32, len(x))
	if err := s.ToLatent(y, x, rows, make([]float64, rows), rand.New(rand.NewPCG(2, 2))); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(x) * 8))
	for b.Loop() {
		s.ToData(x, y, rows)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
}

func BenchmarkFit(b *testing.B) {
	const rows = 100000
	s, x := benchScaler(b, rows)
	for b.Loop() {
		if _, err := Fit(x, rows, s.Names(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
