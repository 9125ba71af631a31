package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"hepflow/nn/vec"
)

// TestSplineConsts: the assembly addresses splineConsts by byte offset.
func TestSplineConsts(t *testing.T) {
	var c splineConsts
	var a splineArgs
	for name, got := range map[string][2]uintptr{
		"i":      {unsafe.Offsetof(c.i), 2048},
		"masks":  {unsafe.Offsetof(c.masks), 2432},
		"exp2":   {unsafe.Offsetof(c.exp2), 2496},
		"logt":   {unsafe.Offsetof(c.logt), 3008},
		"g":      {unsafe.Offsetof(c.g), 5056},
		"q":      {unsafe.Offsetof(c.q), 5248},
		"lt":     {unsafe.Offsetof(a.lt), 32},
		"fs":     {unsafe.Offsetof(a.fs), 56},
		"consts": {unsafe.Offsetof(a.consts), 80},
	} {
		if got[0] != got[1] {
			t.Errorf("offset of %s: %d, the assembly assumes %d", name, got[0], got[1])
		}
	}
}

// splinePaths runs f once per vector kernel family this CPU has (AVX-512,
// AVX2), with that family selected, and skips the test when there is none.
func splinePaths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	if !hasSplineVector {
		t.Skip("no vector spline kernels on this CPU (or HEPFLOW_CPU rules them out)")
	}
	defer func() { useSplineVector, useSplineAVX512 = hasSplineVector, hasSplineAVX512 }()
	for _, p := range []struct {
		name   string
		has    bool
		avx512 bool
	}{{"avx512", hasSplineAVX512, true}, {"avx2", hasSplineAVX2, false}} {
		if p.has {
			useSplineAVX512 = p.avx512
			t.Run(p.name, f)
		}
	}
}

// sameBits reports whether a and b are the same float64, any NaN equal to
// any NaN (payloads may differ between the paths).
func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// TestSplineKernelMatchesGo: the vector kernel gives latentGo's bits, z,
// bins and every field Backward reads, for any number of coordinates
// (whole groups of eight and partial ones), parameter strides beyond the
// block, bin counts, spreads from flat to extreme, inputs inside, outside,
// at the ends, near a knot and NaN, and NaN parameters.
func TestSplineKernelMatchesGo(t *testing.T) { splinePaths(t, splineKernelMatchesGo) }

func splineKernelMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, tc := range []struct {
		k      int
		bound  float64
		spread float64
	}{{8, 5, 1}, {8, 5, 0.01}, {8, 5, 6}, {2, 1, 1}, {3, 2, 3}, {16, 3, 2}, {64, 4, 1}, {8, 5, 60}} {
		s := testSpline(tc.k, tc.bound)
		kern := newSplineKernel(s)
		for _, cnt := range []int{1, 3, 7, 8, 9, 16, 28, 37} {
			t.Run(fmt.Sprintf("K=%d/B=%g/spread=%g/cnt=%d", tc.k, tc.bound, tc.spread, cnt), func(t *testing.T) {
				lt := cnt + rng.IntN(3)
				P := s.ParamsPerCoord()
				theta := make([]float32, (P-1)*lt+cnt)
				for i := range theta {
					theta[i] = float32(tc.spread * rng.NormFloat64())
				}
				x := make([]float32, cnt)
				for i := range x {
					x[i] = float32(1.3 * s.B * (2*rng.Float64() - 1))
				}
				specials := []float32{float32(-s.B), float32(s.B), math.Nextafter32(float32(s.B), 0),
					math.Nextafter32(float32(-s.B), -10), float32(math.NaN()), float32(math.Inf(1)), 0}
				for i := range x {
					if rng.IntN(4) == 0 {
						x[i] = specials[rng.IntN(len(specials))]
					}
				}
				if cnt > 2 {
					theta[(2*s.K)*lt+1] = float32(math.NaN()) // a derivative parameter
					theta[0*lt+2] = float32(math.NaN())       // a width
				}
				m := NewSplineMap(s)
				e := make([]float64, 2*s.K*cnt)
				m.prepare(e, theta, lt, cnt)
				if cnt > 4 {
					// Coordinate 4 at its last inner knot, rounded to float32.
					invW, _ := s.sums(e, cnt, 4)
					_, lo, _ := s.scan(e, cnt, 4, 0, invW, MinBinWidth, s.B)
					x[4] = float32(lo)
				}
				fs := cnt + 5
				zg, zv := make([]float32, cnt), make([]float32, cnt)
				ag, av := make([]float64, atFields*fs), make([]float64, atFields*fs)
				bg, bv := make([]int32, cnt), make([]int32, cnt)
				s.latentGo(zg, x, e, theta, lt, cnt, ag, fs, bg)
				kern.latent(zv, x, e, theta, lt, cnt, av, fs, bv)
				for i := range cnt {
					if bg[i] != bv[i] {
						t.Fatalf("coordinate %d (x %g): bin %d (Go) vs %d (vector)", i, x[i], bg[i], bv[i])
					}
					if !sameBits(float64(zg[i]), float64(zv[i])) {
						t.Fatalf("coordinate %d (x %g): z %g (Go) vs %g (vector)", i, x[i], zg[i], zv[i])
					}
					if bg[i] < 0 {
						continue
					}
					for f := range atFields {
						if g, v := ag[f*fs+i], av[f*fs+i]; !sameBits(g, v) {
							t.Fatalf("coordinate %d (x %g, bin %d): field %d %v (Go) vs %v (vector)", i, x[i], bg[i], f, g, v)
						}
					}
				}
				// Nothing past cnt is written.
				for f := range atFields {
					for i := cnt; i < fs; i++ {
						if av[f*fs+i] != 0 {
							t.Fatalf("field %d written at %d, past the %d coordinates", f, i, cnt)
						}
					}
				}
			})
		}
	}
}

// TestSplineMapVectorMatchesGo: SplineMap gives the same bits with the
// vector kernels as without, through Latent (z, log-dets), Backward (every
// gradient), Data and DataColumn, including blocks that take the shifted
// softmax (inputs beyond splineExpRange, NaN) and an infinite derivative.
// (The outputs are float32: a float64 rounding difference inside Backward
// would rarely show; the float64 state Latent leaves is compared exactly
// by TestSplineKernelMatchesGo.)
func TestSplineMapVectorMatchesGo(t *testing.T) { splinePaths(t, splineMapVectorMatchesGo) }

func splineMapVectorMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, tc := range []struct {
		k       int
		bound   float64
		spread  float64
		n, rows int
	}{{8, 5, 1, 28, 9}, {8, 5, 3, 5, 13}, {2, 1, 1, 3, 5}, {16, 3, 2, 17, 3}, {64, 4, 1, 11, 3}, {8, 5, 100, 6, 4}} {
		s := testSpline(tc.k, tc.bound)
		c := newSplineBatch(rng, s, tc.n, tc.rows, tc.spread)
		n, rows, p := c.n, c.rows, s.ParamsPerCoord()
		if rows > 2 {
			c.th[2*p*n+1*n+1] = float32(math.NaN())
			c.th[1*p*n+3*n+0] = 800
			c.th[0*p*n+(2*s.K+1)*n+2] = float32(math.Inf(1)) // a derivative: an infinite slope
		}
		gz := make([]float32, n*rows)
		gld := make([]float64, rows)
		for i := range gz {
			gz[i] = float32(rng.NormFloat64())
		}
		for r := range gld {
			gld[r] = rng.NormFloat64()
		}
		g := runSplinePaths(s, c, gz, gld, false)
		compareSplineRuns(t, fmt.Sprintf("K=%d/B=%g/spread=%g/n=%d", tc.k, tc.bound, tc.spread, tc.n), g, runSplinePaths(s, c, gz, gld, true))
	}
}

// TestSplinePrepareMatchesGo: the vector prepare writes the Go loop's
// exponentials and finds the same largest input, for partial groups and
// strides beyond the block.
func TestSplinePrepareMatchesGo(t *testing.T) { splinePaths(t, splinePrepareMatchesGo) }

func splinePrepareMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	kern := newSplineKernel(testSpline(8, 5))
	for _, cnt := range []int{1, 5, 8, 13, 28, 128} {
		for _, spread := range []float64{1, 300} {
			rows, lt := 16, cnt+rng.IntN(4)
			theta := make([]float32, (rows-1)*lt+cnt)
			for i := range theta {
				theta[i] = float32(spread * rng.NormFloat64())
			}
			want := uint32(0)
			for j := range rows {
				for _, v := range theta[j*lt : j*lt+cnt] {
					want = max(want, math.Float32bits(v)&0x7fffffff)
				}
			}
			e := make([]float64, rows*cnt+3)
			worst, ok := kern.prepare(e, theta, lt, cnt, rows)
			if !ok || worst != want {
				t.Fatalf("cnt %d spread %g: worst %#x, %v; want %#x", cnt, spread, worst, ok, want)
			}
			for j := range rows {
				for i := range cnt {
					if w := vec.Exp64(float64(theta[j*lt+i])); !sameBits(e[j*cnt+i], w) {
						t.Fatalf("cnt %d spread %g: e[%d][%d] = %v, want Exp64(%v) = %v", cnt, spread, j, i, e[j*cnt+i], theta[j*lt+i], w)
					}
				}
			}
			for _, v := range e[rows*cnt:] {
				if v != 0 {
					t.Fatalf("cnt %d: written past the block", cnt)
				}
			}
		}
	}
}

// TestSplineMax0: the assembly's max(v, 0) (local.invert's clamps of the
// discriminant and the root) is Go's: +0 for -0 and negatives, NaN kept.
func TestSplineMax0(t *testing.T) {
	src := [8]float64{-1, math.Copysign(0, -1), 0, 2.5, math.NaN(), math.Inf(-1), math.Inf(1), -1e-310}
	for _, k := range []struct {
		name string
		has  bool
		f    func(dst, src *[8]float64)
	}{{"avx512", hasSplineAVX512, splineMax0Vector}, {"avx2", hasSplineAVX2, splineMax0AVX2}} {
		if !k.has {
			t.Logf("%s: not on this CPU (or HEPFLOW_CPU caps it)", k.name)
			continue
		}
		var dst [8]float64
		k.f(&dst, &src)
		for i, v := range src {
			if want := max(v, 0); !sameBits(dst[i], want) || math.Signbit(dst[i]) != math.Signbit(want) {
				t.Errorf("%s: max(%v, 0) = %v, want %v", k.name, v, dst[i], want)
			}
		}
	}
}

// splineRun is everything SplineMap computes for one batch: Latent's z and
// log-dets, Backward's gradients, Data's and DataColumn's inverses and
// log-dets.
type splineRun struct {
	z, gx, gth, back, col []float32
	ld, ldd, ldc          []float64
}

// runSplinePaths runs batch c through a fresh SplineMap on the vector
// kernels (the family selected) or on the Go path.
func runSplinePaths(s RQSpline, c splineBatch, gz []float32, gld []float64, vector bool) splineRun {
	defer func(v bool) { useSplineVector = v }(useSplineVector)
	useSplineVector = vector
	n, rows, p := c.n, c.rows, s.ParamsPerCoord()
	m := NewSplineMap(s)
	o := splineRun{z: make([]float32, n*rows), gx: make([]float32, n*rows), gth: make([]float32, len(c.th)),
		back: make([]float32, n*rows), ld: make([]float64, rows), ldd: make([]float64, rows)}
	m.Latent(o.z, c.x, c.th, n, rows, o.ld)
	m.Backward(o.gx, o.gth, gz, gld, n, rows)
	m.Data(o.back, o.z, c.th, n, rows, o.ldd)
	// DataColumn on each coordinate's column of parameters.
	o.col, o.ldc = make([]float32, n*rows), make([]float64, n*rows)
	thT, zc := make([]float32, p*rows), make([]float32, rows)
	for i := range n {
		for r := range rows {
			zc[r] = o.z[r*n+i]
			for q := range p {
				thT[q*rows+r] = c.th[r*p*n+q*n+i]
			}
		}
		m.DataColumn(o.col[i*rows:(i+1)*rows], zc, thT, rows, rows, o.ldc[i*rows:(i+1)*rows])
	}
	return o
}

// compareSplineRuns fails t unless the Go path's run g and the vector
// path's v agree to the bit (any NaN equal to any NaN).
func compareSplineRuns(t *testing.T, name string, g, v splineRun) {
	t.Helper()
	cmp32 := func(what string, a, b []float32) {
		t.Helper()
		for i := range a {
			if !sameBits(float64(a[i]), float64(b[i])) {
				t.Fatalf("%s: %s[%d] %g (Go) vs %g (vector)", name, what, i, a[i], b[i])
			}
		}
	}
	cmp64 := func(what string, a, b []float64) {
		t.Helper()
		for i := range a {
			if !sameBits(a[i], b[i]) {
				t.Fatalf("%s: %s[%d] %v (Go) vs %v (vector)", name, what, i, a[i], b[i])
			}
		}
	}
	cmp32("z", g.z, v.z)
	cmp32("dL/dx", g.gx, v.gx)
	cmp32("dL/dtheta", g.gth, v.gth)
	cmp32("f^-1(z)", g.back, v.back)
	cmp32("f^-1(z) by columns", g.col, v.col)
	cmp64("Latent's log-det", g.ld, v.ld)
	cmp64("Data's log-det", g.ldd, v.ldd)
	cmp64("DataColumn's log-det", g.ldc, v.ldc)
}

// FuzzSplineVectorMatchesGo: for any parameters and inputs (the fuzzer's
// bytes as values in [-33, 33], or NaN, +-Inf, +-1e30 or a subnormal where a
// byte says so), every vector kernel family gives the Go path's bits.
func FuzzSplineVectorMatchesGo(f *testing.F) {
	f.Add([]byte{7, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{0, 3, 250, 251, 252, 253, 254, 255, 0, 1})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !hasSplineVector || len(data) < 2 {
			return
		}
		k, n, rows := 2+int(data[0])%15, 1+int(data[1])%13, 2
		s := testSpline(k, 2+float64(data[0]%4))
		c := splineBatch{s: s, n: n, rows: rows, x: make([]float32, n*rows), th: make([]float32, rows*n*s.ParamsPerCoord())}
		pos := 2
		next := func() float32 {
			if len(data) < 3 {
				return 0.5
			}
			b0, b1 := data[pos%len(data)], data[(pos+1)%len(data)]
			pos += 2
			switch b0 {
			case 250:
				return float32(math.NaN())
			case 251:
				return float32(math.Inf(1))
			case 252:
				return float32(math.Inf(-1))
			case 253:
				return 1e30
			case 254:
				return -1e30
			case 255:
				return 1e-40
			}
			return float32(int16(uint16(b0)<<8|uint16(b1))) / 1000
		}
		for i := range c.th {
			c.th[i] = next()
		}
		for i := range c.x {
			c.x[i] = next() / 4
		}
		gz, gld := make([]float32, n*rows), []float64{1, -0.5}
		for i := range gz {
			gz[i] = next()
		}
		g := runSplinePaths(s, c, gz, gld, false)
		splinePaths(t, func(t *testing.T) {
			compareSplineRuns(t, "fuzz", g, runSplinePaths(s, c, gz, gld, true))
		})
	})
}
