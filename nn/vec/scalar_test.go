package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExp32Accuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	worst := 0.0
	for i := 0; i < 200000; i++ {
		x := float32(rng.Float64()*170 - 86)
		got, want := float64(Exp32(x)), math.Exp(float64(x))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 3e-7 {
		t.Fatalf("Exp32 worst relative error %g", worst)
	}
	if !math.IsInf(float64(Exp32(100)), 1) || Exp32(-100) != 0 || Exp32(0) != 1 {
		t.Fatal("Exp32 edge cases")
	}
}

func TestTanh32Accuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	worst := 0.0
	for i := 0; i < 200000; i++ {
		x := float32(rng.NormFloat64() * 3)
		if i%4 == 0 {
			x *= 0.01
		}
		got, want := float64(Tanh32(x)), math.Tanh(float64(x))
		if rel := math.Abs(got-want) / math.Abs(want); want != 0 && rel > worst {
			worst = rel
		}
	}
	if worst > 5e-7 {
		t.Fatalf("Tanh32 worst relative error %g", worst)
	}
}

func BenchmarkScalarExp32(b *testing.B) {
	x := make([]float32, 1024)
	for i := range x {
		x[i] = float32(i)/100 - 5
	}
	var s float32
	for i := 0; i < b.N; i++ {
		for _, v := range x {
			s += Exp32(v)
		}
	}
	_ = s
}

func BenchmarkScalarMathExp(b *testing.B) {
	x := make([]float32, 1024)
	for i := range x {
		x[i] = float32(i)/100 - 5
	}
	var s float32
	for i := 0; i < b.N; i++ {
		for _, v := range x {
			s += float32(math.Exp(float64(v)))
		}
	}
	_ = s
}
