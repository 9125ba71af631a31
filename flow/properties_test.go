package flow

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"hepflow/nn"
)

// transformCase builds a fresh transform from a seed: the same seed gives the
// same transform, another seed other weights (for save/load checks).
type transformCase struct {
	name   string
	smooth bool // activation differentiable everywhere: finite differences apply
	build  func(seed uint64) Transform
	// fdStep is the float32 finite-difference step of the log-det check (0:
	// 1e-2); a spline's bins can be narrower than 1e-2.
	fdStep float64
	// rtTol is the round trip's tolerance on x (0: 1e-5). A spline's
	// inverse is ill-conditioned where its slope f' is small: float32 z
	// carries 6e-8 relative error, so x carries 6e-8/f', and the scrambled
	// splines here have slopes down to ~1e-2 (with errors compounded
	// through the next coordinates' conditioners): 1e-4. The exact float64
	// round trip of the map alone is tested to 1e-9 (TestSplineProperties).
	rtTol float64
}

func mafCase(d int, act nn.Activation) transformCase {
	return transformCase{
		name:   fmt.Sprintf("maf/D=%d/%s", d, act.Name()),
		smooth: act.Name() != "relu",
		build: func(seed uint64) Transform {
			b, err := NewMAF("m", d, []int{16, 16}, act, testGemm(), rand.New(rand.NewPCG(seed, 1)))
			if err != nil {
				panic(err)
			}
			return b
		},
	}
}

func nsfCase(d, bins int, bound float64, act nn.Activation) transformCase {
	return transformCase{
		name:   fmt.Sprintf("nsf/D=%d/K=%d/B=%g/%s", d, bins, bound, act.Name()),
		smooth: act.Name() != "relu",
		fdStep: 1e-3,
		rtTol:  1e-4,
		build: func(seed uint64) Transform {
			sp, err := NewRQSpline(bins, bound)
			if err != nil {
				panic(err)
			}
			b, err := NewNSF("n", d, []int{16, 16}, act, sp, testGemm(), rand.New(rand.NewPCG(seed, 4)))
			if err != nil {
				panic(err)
			}
			return b
		},
	}
}

func couplingCase(d int, random bool, act nn.Activation) transformCase {
	return transformCase{
		name:   fmt.Sprintf("coupling/D=%d/random=%v/%s", d, random, act.Name()),
		smooth: act.Name() != "relu",
		build: func(seed uint64) Transform {
			rng := rand.New(rand.NewPCG(seed, 2))
			mask := AlternatingMask(d, 1)
			if random {
				mask = RandomMask(d, rand.New(rand.NewPCG(7, 7)))
			}
			c, err := NewCoupling("c", mask, []int{16, 16}, act, testGemm(), rng)
			if err != nil {
				panic(err)
			}
			return c
		},
	}
}

// allTransforms is the one table every generic property runs on.
func allTransforms() []transformCase {
	cases := []transformCase{
		mafCase(1, nn.Tanh{}), mafCase(2, nn.Tanh{}), mafCase(5, nn.Tanh{}),
		mafCase(5, nn.ELU{}), mafCase(5, nn.SiLU{}), mafCase(6, nn.ReLU{}),
		nsfCase(1, 8, 5, nn.Tanh{}), nsfCase(3, 8, 5, nn.Tanh{}), nsfCase(5, 4, 2, nn.SiLU{}), nsfCase(4, 8, 3, nn.ReLU{}),
		couplingCase(2, false, nn.Tanh{}), couplingCase(5, false, nn.SiLU{}),
		couplingCase(6, true, nn.ELU{}), couplingCase(5, false, nn.ReLU{}),
		{name: "reverse/D=5", smooth: true, build: func(uint64) Transform { return Reverse(5) }},
		{name: "random-perm/D=7", smooth: true, build: func(s uint64) Transform {
			return RandomPermutation(7, rand.New(rand.NewPCG(s, 3)))
		}},
	}
	return cases
}

// scrambleOutputs makes conditioner outputs large enough that the log-scales
// matter (freshly initialised nets are close to the identity map).
func scramble(t Transform, seed uint64) { scrambleBy(t, seed, 0.3) }

// scrambleBy adds N(0, amp^2) noise to every free weight.
func scrambleBy(t Transform, seed uint64, amp float64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	for _, p := range t.Params() {
		for i := range p.Value {
			p.Value[i] += float32(amp * rng.NormFloat64())
		}
		p.ApplyMask()
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range allTransforms() {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.build(1)
			scramble(tr, 1)
			rng := rand.New(rand.NewPCG(5, 5))
			rows, d := 64, tr.Dim()
			x := randBatch(rng, rows, d)
			z, back := make([]float32, rows*d), make([]float32, rows*d)
			ldL, ldD := make([]float64, rows), make([]float64, rows)
			tr.ToLatent(z, x, rows, ldL)
			tr.ToData(back, z, rows, ldD)
			tol := tc.rtTol
			if tol == 0 {
				tol = 1e-5
			}
			for i := range x {
				if !near(float64(back[i]), float64(x[i]), tol, tol) {
					t.Fatalf("entry %d: ToData(ToLatent(x)) = %g, x = %g", i, back[i], x[i])
				}
			}
			for r := range ldL {
				if !near(ldL[r], -ldD[r], 1e-5, 1e-5) {
					t.Fatalf("row %d: log-dets %g and %g do not cancel", r, ldL[r], ldD[r])
				}
			}
		})
	}
}

func TestLogDetMatchesFiniteDifferences(t *testing.T) {
	for _, tc := range allTransforms() {
		if !tc.smooth {
			continue // a ReLU kink inside the difference step would test the step, not the code
		}
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.build(2)
			scramble(tr, 2)
			rng := rand.New(rand.NewPCG(6, 6))
			rows, d := 8, tr.Dim()
			x := randBatch(rng, rows, d)
			z, ld := make([]float32, rows*d), make([]float64, rows)
			tr.ToLatent(z, x, rows, ld)
			nonzero := false
			step := tc.fdStep
			if step == 0 {
				step = 1e-2
			}
			for r := 0; r < rows; r++ {
				fd := fdLogAbsDet(tr, x, r, step)
				if !near(ld[r], fd, 1e-3, 2e-4) {
					t.Errorf("row %d: log|det| = %.6g, finite differences give %.6g", r, ld[r], fd)
				}
				nonzero = nonzero || math.Abs(ld[r]) > 0.05
			}
			if tr.Params() != nil && !nonzero {
				t.Errorf("log-dets are all ~0: the check would not see a wrong sign")
			}
		})
	}
}

// lossOf is L = sum(G*z) + sum(c*logdet), a generic scalar that exercises
// both outputs of ToLatent.
func lossOf(tr Transform, x []float32, rows int, G []float32, c []float64) float64 {
	d := tr.Dim()
	z, ld := make([]float32, rows*d), make([]float64, rows)
	tr.ToLatent(z, x, rows, ld)
	var s float64
	for i := range z {
		s += float64(G[i]) * float64(z[i])
	}
	for r := range ld {
		s += c[r] * ld[r]
	}
	return s
}

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, tc := range allTransforms() {
		if !tc.smooth {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.build(3)
			scramble(tr, 3)
			rng := rand.New(rand.NewPCG(7, 7))
			rows, d := 4, tr.Dim()
			x := randBatch(rng, rows, d)
			G := randBatch(rng, rows, d)
			c := make([]float64, rows)
			for r := range c {
				c[r] = rng.NormFloat64()
			}
			// Analytic gradients.
			nn.ZeroGrad(tr.Params())
			z, ld := make([]float32, rows*d), make([]float64, rows)
			tr.ToLatent(z, x, rows, ld)
			gx := make([]float32, rows*d)
			tr.Backward(gx, G, c, rows)
			const h = 1e-2
			check := func(what string, v *float32, an float64) {
				old := *v
				*v = old + h
				lp := lossOf(tr, x, rows, G, c)
				*v = old - h
				lm := lossOf(tr, x, rows, G, c)
				*v = old
				fd := (lp - lm) / (2 * h)
				if !near(an, fd, 2e-2, 2e-3) {
					t.Errorf("%s: backward gives %.6g, finite differences %.6g", what, an, fd)
				}
			}
			for i := range x {
				check(fmt.Sprintf("dL/dx[%d]", i), &x[i], float64(gx[i]))
			}
			for _, p := range tr.Params() {
				for k := 0; k < 12; k++ {
					i := rng.IntN(len(p.Value))
					if p.Mask != nil && p.Mask[i] == 0 {
						if p.Grad[i] != 0 {
							t.Errorf("%s[%d] is masked but has gradient %g", p.Name, i, p.Grad[i])
						}
						continue
					}
					check(fmt.Sprintf("dL/d%s[%d]", p.Name, i), &p.Value[i], float64(p.Grad[i]))
				}
			}
		})
	}
}

// saturateScales multiplies the log-scale half (the a outputs) of the last
// layer of tr's conditioner so that the raw a over x have RMS c: the bounded
// log-scale alpha = c*tanh(a/c) then reaches well into the bound, where the
// chain-rule factor dalpha/da = 1 - tanh^2(a/c) is far from 1. (With scramble
// alone |a| ~ 0.5, 1 - tanh^2 > 0.99, and a check cannot tell the factor from
// 1.) The hidden layers are untouched.
func saturateScales(t *testing.T, tr Transform, x []float32, rows int) {
	ps := tr.Params()
	if len(ps) == 0 {
		return
	}
	ref := newRef64(t, tr)
	if ref.spline != nil {
		return // no log-scales; scramble already makes the splines far from the identity
	}
	_, _, raw, _ := ref.toLatent(to64(x), rows)
	var ss float64
	for _, a := range raw {
		ss += a * a
	}
	k := float32(ref.c / math.Sqrt(ss/float64(len(raw))))
	W, B := ps[len(ps)-2], ps[len(ps)-1]
	out := len(B.Value)
	for j := len(ref.act); j < out; j++ { // columns (mu, a): a is the second half
		B.Value[j] *= k
		for i := j; i < len(W.Value); i += out {
			W.Value[i] *= k
		}
	}
}

// TestGradientsMatchFloat64Reference checks every entry of Backward's dL/dx
// and dL/dparams against central differences of the float64 reference of
// the transform (ref64_test.go), ReLU conditioners included, with the
// log-scales driven into the soft bound (saturateScales). ToLatent is first
// checked against the reference, so the differences are those of the same
// function, free of float32 rounding: with h = 1e-6 they are exact to ~1e-9
// of each tensor's scale, and the tolerance only has to cover the float32
// arithmetic of the code under test.
func TestGradientsMatchFloat64Reference(t *testing.T) {
	// Tolerance: |backward - fd| <= gradRel*|fd| + gradAbs*(largest |fd| of
	// that tensor). float32 carries 6e-8 relative; the passes are three
	// GEMMs deep with k <= 16, plus tanh/exp kernels good to a few ulp, with
	// z amplified by up to e^6 but only in relative terms, so an entry should
	// be off by ~1e-6 of its tensor's scale; sums with cancellation make
	// small entries worse in relative terms, hence the scale-relative floor.
	// Measured worst over the table: 2.3e-6 of the scale (and up to 5e-4
	// relative, on entries far below it). gradAbs leaves a margin of ~13 on
	// that, and is still ~10^4 times finer than what a wrong dalpha/da does
	// here (its factor 1 - tanh^2 is mostly 0.2-0.8).
	const (
		gradRel = 1e-4
		gradAbs = 3e-5
		h       = 1e-6
		// A ReLU reference is piecewise linear. Inputs are drawn until every
		// hidden pre-activation is at least kinkMargin from zero, which is
		// ~100 times float32's error on them (so float32 and float64 agree on
		// every unit's state), and each difference step must move none of
		// them by half as much (so no unit changes state within the step).
		kinkMargin = 1e-3
	)
	for _, tc := range allTransforms() {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.build(3)
			scramble(tr, 3)
			rng := rand.New(rand.NewPCG(7, 7))
			rows, d := 4, tr.Dim()
			kinks := false
			if ref := newRef64(t, tr); ref.net != nil {
				kinks = ref.net.act == "relu"
			}
			var x []float32
			for try := 0; ; try++ {
				x = randBatch(rng, rows, d)
				_, _, _, pre := newRef64(t, tr).toLatent(to64(x), rows)
				if !kinks || minAbs(pre) > kinkMargin {
					break
				}
				if try == 100 {
					t.Fatalf("no input batch with every pre-activation %g away from a ReLU kink", kinkMargin)
				}
			}
			saturateScales(t, tr, x, rows)
			G := randBatch(rng, rows, d)
			c := make([]float64, rows)
			for r := range c {
				c[r] = rng.NormFloat64()
			}
			ref := newRef64(t, tr)
			x64 := to64(x)
			z64, ld64, raw, pre := ref.toLatent(x64, rows)
			if len(raw) > 0 {
				// The check must see dalpha/da: make sure it is far from 1.
				var sum, hi float64
				for _, a := range raw {
					t2 := math.Pow(math.Tanh(a/ref.c), 2)
					sum, hi = sum+t2, math.Max(hi, t2)
				}
				if mean := sum / float64(len(raw)); mean < 0.25 || hi < 0.5 {
					t.Fatalf("log-scales not saturated: mean tanh^2(a/c) %.3f, max %.3f", mean, hi)
				}
			}

			nn.ZeroGrad(tr.Params())
			z, ld := make([]float32, rows*d), make([]float64, rows)
			tr.ToLatent(z, x, rows, ld)
			var zScale float64
			for _, v := range z64 {
				zScale = math.Max(zScale, math.Abs(v))
			}
			for i := range z {
				if !near(float64(z[i]), z64[i], 1e-5, 1e-6*zScale) {
					t.Fatalf("z[%d] = %.8g, float64 reference %.8g", i, z[i], z64[i])
				}
			}
			for r := range ld {
				if !near(ld[r], ld64[r], 1e-5, 1e-5) {
					t.Fatalf("logdet[%d] = %.8g, float64 reference %.8g", r, ld[r], ld64[r])
				}
			}
			gx := make([]float32, rows*d)
			tr.Backward(gx, G, c, rows)

			// check compares one tensor's backward gradients an with central
			// differences of the reference in its values v.
			check := func(what string, v []float64, an []float32, mask []float32) {
				fd := make([]float64, len(v))
				var scale float64
				for i := range v {
					old := v[i]
					v[i] = old + h
					lp, pp := ref.loss(x64, rows, G, c)
					v[i] = old - h
					lm, pm := ref.loss(x64, rows, G, c)
					v[i] = old
					if kinks && max(maxDiff(pp, pre), maxDiff(pm, pre)) > kinkMargin/2 {
						t.Fatalf("%s[%d]: the difference step moves a pre-activation by more than %g", what, i, kinkMargin/2)
					}
					fd[i] = (lp - lm) / (2 * h)
					scale = math.Max(scale, math.Abs(fd[i]))
				}
				bad := 0
				for i := range v {
					if mask != nil && mask[i] == 0 {
						if an[i] != 0 || fd[i] != 0 {
							t.Errorf("%s[%d] is masked but has gradient %g (reference %g)", what, i, an[i], fd[i])
						}
						continue
					}
					if !near(float64(an[i]), fd[i], gradRel, gradAbs*scale) {
						if bad++; bad <= 5 {
							t.Errorf("%s[%d]: backward gives %.7g, float64 finite differences %.7g", what, i, an[i], fd[i])
						}
					}
				}
				if bad > 5 {
					t.Errorf("%s: %d of %d entries off", what, bad, len(v))
				}
			}
			check("dL/dx", x64, gx, nil)
			vals := ref.params()
			for k, p := range tr.Params() {
				check("dL/d"+p.Name, vals[k], p.Grad, p.Mask)
			}
		})
	}
}

func TestRowsAreIndependent(t *testing.T) {
	for _, tc := range allTransforms() {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.build(4)
			scramble(tr, 4)
			rng := rand.New(rand.NewPCG(8, 8))
			rows, d := 16, tr.Dim()
			x := randBatch(rng, rows, d)
			z1, l1 := make([]float32, rows*d), make([]float64, rows)
			tr.ToLatent(z1, x, rows, l1)
			x2 := append([]float32(nil), x...)
			for j := 0; j < d; j++ {
				x2[5*d+j] += 1.5
			}
			z2, l2 := make([]float32, rows*d), make([]float64, rows)
			tr.ToLatent(z2, x2, rows, l2)
			for r := 0; r < rows; r++ {
				if r == 5 {
					continue
				}
				if l1[r] != l2[r] {
					t.Fatalf("changing row 5 changed the log-det of row %d", r)
				}
				for j := 0; j < d; j++ {
					if z1[r*d+j] != z2[r*d+j] {
						t.Fatalf("changing row 5 changed z[%d][%d]", r, j)
					}
				}
			}
		})
	}
}

func TestSaveLoadIdentity(t *testing.T) {
	for _, tc := range allTransforms() {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.build(5)
			scramble(a, 5)
			var buf bytes.Buffer
			if err := nn.WriteSafetensors(&buf, a.Params(), map[string]string{"k": "v"}); err != nil {
				t.Fatal(err)
			}
			b := tc.build(5)
			scramble(b, 6) // other weights, same architecture
			ts, meta, err := nn.ReadSafetensors(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Params()) > 0 && meta["k"] != "v" {
				t.Fatalf("metadata lost: %v", meta)
			}
			if err := nn.LoadParams(b.Params(), ts); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(9, 9))
			rows, d := 32, a.Dim()
			x := randBatch(rng, rows, d)
			za, zb := make([]float32, rows*d), make([]float32, rows*d)
			la, lb := make([]float64, rows), make([]float64, rows)
			a.ToLatent(za, x, rows, la)
			b.ToLatent(zb, x, rows, lb)
			for i := range za {
				if za[i] != zb[i] {
					t.Fatalf("z[%d]: %g before save, %g after load", i, za[i], zb[i])
				}
			}
			for r := range la {
				if la[r] != lb[r] {
					t.Fatalf("logdet[%d]: %g before save, %g after load", r, la[r], lb[r])
				}
			}
		})
	}
}
