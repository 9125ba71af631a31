package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// levels are the CPU feature levels this machine (and $HEPFLOW_CPU) lets
// the kernels run at, lowest first: Generic always, then AVX2 and AVX512
// (amd64) or NEON (arm64) where the CPU has them.
func levels() []Level {
	ls := []Level{Generic}
	if hasAVX2 {
		ls = append(ls, AVX2)
	}
	if hasAVX512 {
		ls = append(ls, AVX512)
	}
	if hasNEON {
		ls = append(ls, NEON)
	}
	return ls
}

// atLevel runs f with the kernels switched to level l (one of levels()) and
// restores the switches.
func atLevel(l Level, f func()) {
	defer func(old, old512, oldNEON bool) { useAVX2, useAVX512, useNEON = old, old512, oldNEON }(useAVX2, useAVX512, useNEON)
	useAVX2, useAVX512, useNEON = l == AVX2 || l == AVX512, l == AVX512, l == NEON
	f()
}

// eachPath runs f as a subtest at every level of levels().
func eachPath(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	if !hasAVX512 && !hasNEON {
		t.Logf("CPU level %v: the levels above it are not tested", CPU())
	}
	for _, l := range levels() {
		atLevel(l, func() { t.Run(l.String(), f) })
	}
}

const guard = 16

var sentinel = math.Float32frombits(0x7fc0dead)

// guarded returns a slice of n values carved from a larger array whose
// guard cells hold a sentinel, and a check that the guards are intact.
func guarded(t *testing.T, vals []float32) ([]float32, func()) {
	t.Helper()
	n := len(vals)
	buf := make([]float32, n+2*guard)
	for i := range buf {
		buf[i] = sentinel
	}
	s := buf[guard : guard+n : guard+n]
	copy(s, vals)
	return s, func() {
		t.Helper()
		for i, v := range buf {
			if (i < guard || i >= guard+n) && math.Float32bits(v) != math.Float32bits(sentinel) {
				t.Fatalf("wrote outside the slice at %d (len %d)", i-guard, n)
			}
		}
	}
}

// special mixes awkward values into random ones.
func special(rng *rand.Rand, n int) []float32 {
	odd := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), -float32(math.NaN()),
		float32(math.Inf(1)), float32(math.Inf(-1)), 1e-40, -1e-40}
	v := make([]float32, n)
	for i := range v {
		if rng.IntN(5) == 0 {
			v[i] = odd[rng.IntN(len(odd))]
		} else {
			v[i] = float32(rng.NormFloat64())
		}
	}
	return v
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v (%#x), want %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func TestReluBias(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, n := range []int{1, 3, 7, 8, 9, 16, 28, 31, 32, 33, 56, 67, 128} {
			for _, rows := range []int{0, 1, 2, 5} {
				y0, b := special(rng, rows*n), special(rng, n)
				y, check := guarded(t, y0)
				ReluBias(y, b, rows)
				check()
				for i, v := range y0 {
					x := v + b[i%n]
					want := x
					if math.Signbit(float64(x)) {
						want = 0
					}
					if math.IsNaN(float64(v)) && math.IsNaN(float64(b[i%n])) {
						// Which NaN an addition of two NaNs returns is up
						// to the compiler's operand order: NaN or 0.
						if y[i] != 0 && !math.IsNaN(float64(y[i])) {
							t.Fatalf("relu(NaN+NaN) = %v", y[i])
						}
						continue
					}
					if math.Float32bits(y[i]) != math.Float32bits(want) {
						t.Fatalf("n=%d rows=%d: relu(%v+%v) = %v, want %v", n, rows, v, b[i%n], y[i], want)
					}
				}
			}
		}
	})
}

func TestRelu(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 4))
		for n := 0; n <= 40; n++ {
			x := special(rng, n)
			dst, check := guarded(t, make([]float32, n))
			Relu(dst, x)
			check()
			for i, v := range x {
				want := v
				if math.Signbit(float64(v)) {
					want = 0
				}
				if math.Float32bits(dst[i]) != math.Float32bits(want) {
					t.Fatalf("n=%d: relu(%v) = %v, want %v", n, v, dst[i], want)
				}
			}
		}
	})
}

func TestAddBias(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 3))
		for _, n := range []int{1, 3, 7, 8, 9, 16, 28, 31, 32, 33, 56, 67, 128} {
			for _, rows := range []int{0, 1, 2, 5} {
				y0, b := special(rng, rows*n), special(rng, n)
				y, check := guarded(t, y0)
				AddBias(y, b, rows)
				check()
				for i, v := range y0 {
					want := v + b[i%n]
					if math.IsNaN(float64(want)) {
						if !math.IsNaN(float64(y[i])) {
							t.Fatalf("n=%d rows=%d: %v+%v = %v, want NaN", n, rows, v, b[i%n], y[i])
						}
						continue
					}
					if math.Float32bits(y[i]) != math.Float32bits(want) {
						t.Fatalf("n=%d rows=%d: %v+%v = %v, want %v", n, rows, v, b[i%n], y[i], want)
					}
				}
			}
		}
	})
}

func TestReluGradMask(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for n := 0; n <= 67; n++ {
			for _, n := range []int{n, n + 1000} {
				g0, post := special(rng, n), special(rng, n)
				for i := range post {
					if rng.IntN(2) == 0 {
						post[i] = 0
					}
				}
				g, check := guarded(t, g0)
				ReluGradMask(g, post)
				check()
				for i := range g0 {
					want := g0[i]
					if post[i] == 0 {
						want = 0
					}
					if math.Float32bits(g[i]) != math.Float32bits(want) {
						t.Fatalf("n=%d: g[%d] = %v, want %v (post %v)", n, i, g[i], want, post[i])
					}
				}
			}
		}
	})
}

func TestSumRows(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{1, 5, 8, 9, 28, 56, 63, 64, 65, 71, 128, 200} {
			for _, rows := range []int{0, 1, 3, 17} {
				d0 := make([]float32, n)
				for i := range d0 {
					d0[i] = float32(rng.NormFloat64())
				}
				g := make([]float32, rows*n)
				for i := range g {
					g[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(8)-4)))
				}
				want := append([]float32(nil), d0...)
				for r := 0; r < rows; r++ {
					for j := range want {
						want[j] += g[r*n+j]
					}
				}
				d, check := guarded(t, d0)
				SumRows(d, g, rows)
				check()
				sameBits(t, fmt.Sprintf("n=%d rows=%d: sum", n, rows), d, want)
			}
		}
	})
}

// expInputs covers the documented range for s = ±1 and 0.5, its ends and
// small values.
func expInputs(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch rng.IntN(4) {
		case 0:
			x[i] = float32(rng.Float64()*174 - 87)
		case 1:
			x[i] = float32(rng.NormFloat64() * 1e-3)
		case 2:
			x[i] = []float32{-87, 87, 0, -0.5 * math.Ln2, 0.5 * math.Ln2, 1}[rng.IntN(6)]
		default:
			x[i] = float32(rng.NormFloat64() * 5)
		}
	}
	return x
}

func TestExp(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		worst := 0.0
		for rep := 0; rep < 40; rep++ {
			for n := 0; n <= 67; n++ {
				x := expInputs(rng, n)
				s := []float32{1, -1, 0.5}[rep%3]
				dst, check := guarded(t, make([]float32, n))
				Exp(dst, x, s)
				check()
				for i, v := range x {
					want := math.Exp(float64(s) * float64(v))
					if rel := math.Abs(float64(dst[i])-want) / want; rel > worst {
						worst = rel
					}
				}
			}
		}
		// Cephes' expf: about 2 ulp, 2.4e-7 relative.
		if worst > 3e-7 {
			t.Fatalf("worst relative error %g", worst)
		}
	})
}

func TestExpInPlace(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		x := expInputs(rand.New(rand.NewPCG(9, 9)), 37)
		want := make([]float32, len(x))
		Exp(want, x, -1)
		Exp(x, x, -1)
		sameBits(t, "in place", x, want)
	})
}

func TestTanhScaled(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(10, 11))
		worst := 0.0
		for rep := 0; rep < 40; rep++ {
			c := []float32{1, 6, 2.5}[rep%3]
			for n := 0; n <= 67; n++ {
				x := make([]float32, n)
				for i := range x {
					switch rng.IntN(4) {
					case 0:
						x[i] = float32(rng.NormFloat64() * 3 * float64(c))
					case 1:
						x[i] = float32(rng.NormFloat64() * 0.01)
					case 2: // either side of the branch point
						x[i] = c * float32(0.625+0.01*rng.NormFloat64())
					default:
						x[i] = c * float32(rng.Float64()*24-12)
					}
				}
				dst, check := guarded(t, make([]float32, n))
				TanhScaled(dst, x, c)
				check()
				for i, v := range x {
					want := float64(c) * math.Tanh(float64(v/c))
					if want == 0 {
						if dst[i] != 0 {
							t.Fatalf("tanh(%v) = %v, want 0", v, dst[i])
						}
						continue
					}
					if rel := math.Abs(float64(dst[i])-want) / math.Abs(want); rel > worst {
						worst = rel
					}
				}
			}
		}
		if worst > 5e-7 {
			t.Fatalf("worst relative error %g", worst)
		}
		edge := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1e6, -1e6, 1e-30}
		got := make([]float32, len(edge))
		TanhScaled(got, edge, 6)
		want := []float32{float32(math.NaN()), 6, -6, 0, 0, 6, -6, 1e-30}
		if !math.IsNaN(float64(got[0])) {
			t.Fatalf("tanh(NaN) = %v", got[0])
		}
		for i := 1; i < len(edge); i++ {
			if got[i] != want[i] {
				t.Fatalf("6 tanh(%v/6) = %v, want %v", edge[i], got[i], want[i])
			}
		}
	})
}

// The paths of Exp and TanhScaled (Go, AVX2, AVX-512, NEON) give identical
// bits (NaN aside), tails included.
func TestTranscendentalPathsAgree(t *testing.T) {
	if len(levels()) == 1 {
		t.Skip("no AVX2 or NEON: only the Go path")
	}
	rng := rand.New(rand.NewPCG(12, 13))
	x := expInputs(rng, 100003)
	same := func(what string, f func(dst, x []float32)) {
		t.Helper()
		want := make([]float32, len(x))
		atLevel(Generic, func() { f(want, x) })
		for _, l := range levels()[1:] {
			got := make([]float32, len(x))
			atLevel(l, func() { f(got, x) })
			sameBits(t, what+" "+l.String(), got, want)
			// Every length, so that each tail (8- and 16-lane bodies, the
			// buffered last few values) meets every alignment.
			for n := range 67 {
				got, want := make([]float32, n), make([]float32, n)
				atLevel(Generic, func() { f(want, x[:n]) })
				atLevel(l, func() { f(got, x[:n]) })
				sameBits(t, fmt.Sprintf("%s %v n=%d", what, l, n), got, want)
			}
		}
	}
	same("exp", func(dst, x []float32) { Exp(dst, x, 1) })
	same("exp -1", func(dst, x []float32) { Exp(dst, x, -1) })
	for i := range x {
		x[i] /= 8
		if i%7 == 0 { // around the branch points |u| = 0.625 and 9
			x[i] = 6 * []float32{0.625, 9}[i%2] * float32(1+rng.NormFloat64()*1e-3)
		}
	}
	x = append(x, special(rng, 1000)...)
	for i := len(x) - 1000; i < len(x); i++ {
		if math.IsNaN(float64(x[i])) {
			x[i] = 1
		}
	}
	same("tanh", func(dst, x []float32) { TanhScaled(dst, x, 6) })
	same("tanh 1", func(dst, x []float32) { TanhScaled(dst, x, 1) })
}

func TestAdamStep(t *testing.T) {
	a := Adam{Beta1: 0.9, Beta2: 0.999, LR: 1e-3, Eps: 1e-8, Decay: 1 - 1e-5}
	for _, n := range []int{0, 1, 7, 8, 9, 31, 67, 1000} {
		rng := rand.New(rand.NewPCG(14, uint64(n)))
		w0 := make([]float32, n)
		for i := range w0 {
			w0[i] = float32(rng.NormFloat64())
		}
		grads := make([][]float32, 5)
		for k := range grads {
			grads[k] = make([]float32, n)
			for i := range grads[k] {
				if i%5 != 0 { // masked entries keep zero gradient
					grads[k][i] = float32(rng.NormFloat64() * 0.1)
				}
			}
		}
		run := func(l Level) []float32 {
			var w []float32
			atLevel(l, func() {
				var cw, cm, cv func()
				var m, v []float32
				w, cw = guarded(t, w0)
				m, cm = guarded(t, make([]float32, n))
				v, cv = guarded(t, make([]float32, n))
				for _, g := range grads {
					AdamStep(w, g, m, v, a)
				}
				cw()
				cm()
				cv()
			})
			return w
		}
		want := run(Generic)
		for i := range want {
			if i%5 == 0 && want[i] != w0[i]*a.Decay*a.Decay*a.Decay*a.Decay*a.Decay {
				t.Fatalf("n=%d: masked weight %d moved to %v", n, i, want[i])
			}
			// Without bias correction, by Cauchy-Schwarz step t moves a
			// weight at most lr (1-b1)/sqrt(1-b2) sqrt(t) = 3.17e-3 sqrt(t)
			// (plus the tiny weight decay); over 5 steps 0.0271.
			if i%5 != 0 && math.Abs(float64(want[i]-w0[i])) > 0.0272+2e-4*math.Abs(float64(w0[i])) {
				t.Fatalf("n=%d: weight %d moved %v in 5 steps of lr 1e-3", n, i, want[i]-w0[i])
			}
		}
		for _, l := range levels()[1:] {
			sameBits(t, fmt.Sprintf("n=%d: %v weights", n, l), run(l), want)
		}
	}
}

func TestShortSlicesPanic(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		for name, f := range map[string]func(){
			"ReluBias": func() { ReluBias(make([]float32, 15), make([]float32, 8), 2) },
			"AddBias":  func() { AddBias(make([]float32, 15), make([]float32, 8), 2) },
			"Relu":     func() { Relu(make([]float32, 8), make([]float32, 9)) },
			"SumRows":  func() { SumRows(make([]float32, 8), make([]float32, 15), 2) },
			"Exp":      func() { Exp(make([]float32, 8), make([]float32, 9), 1) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s on short slices did not panic", name)
					}
				}()
				f()
			}()
		}
	})
}
