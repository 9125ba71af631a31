package blas

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestTranspose: both paths against the definition, with padded strides
// whose padding must stay untouched, and the panic on short slices.
func TestTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 31))
	paths := map[string]func(dst []float32, ldd int, src []float32, lds, m, n int){"exported": Transpose, "go": transposeGo}
	if hasAVX2 {
		paths["avx2"] = transposeAVX2
	}
	for name, tr := range paths {
		for _, m := range []int{1, 3, 8, 15, 16, 17, 33, 1024} {
			for _, n := range []int{1, 7, 8, 16, 28, 29} {
				lds, ldd := n+m%3, m+n%5
				src := fillPadded(rng, m, n, lds, -1)
				dst := make([]float32, n*ldd)
				for i := range dst {
					dst[i] = padMark
				}
				tr(dst, ldd, src, lds, m, n)
				for j := range n {
					for i := range ldd {
						want := padMark
						if i < m {
							want = src[i*lds+j]
						}
						if got := dst[j*ldd+i]; got != want {
							t.Fatalf("%s %dx%d: dst(%d,%d) = %v, want %v", name, m, n, j, i, got, want)
						}
					}
				}
			}
		}
	}
	defer func() {
		if r := recover(); r == nil || fmt.Sprint(r) == "" {
			t.Fatal("short dst did not panic")
		}
	}()
	Transpose(make([]float32, 5), 2, make([]float32, 6), 3, 2, 3)
}
