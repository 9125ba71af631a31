package validate

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkCompare: every per-feature test and the correlation matrices for
// 1e5 events x 28 features per sample.
func BenchmarkCompare(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := gaussSample(rng, 100000, 28, -1, 0), gaussSample(rng, 100000, 28, 3, 0.05)
	b.ResetTimer()
	for range b.N {
		if _, err := Compare(context.Background(), x, y, CompareOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkC2STLogistic: the classifier test with the logistic baseline,
// 1e5 events x 28 features per sample.
func BenchmarkC2STLogistic(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := gaussSample(rng, 100000, 28, -1, 0), gaussSample(rng, 100000, 28, 3, 0.05)
	b.ResetTimer()
	for range b.N {
		if _, err := C2ST(context.Background(), x, y, &Logistic{}, C2STOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
