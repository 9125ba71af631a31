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
	ctx    int  // context inputs per event
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

// context returns the case's context rows for a batch (empty without one).
func (tc transformCase) context(seed uint64, rows int) []float32 {
	return randBatch(rand.New(rand.NewPCG(seed, 0xc0)), rows, tc.ctx)
}

func mafCase(d, ctx int, act nn.Activation) transformCase {
	return transformCase{
		name:   fmt.Sprintf("maf/D=%d/ctx=%d/%s", d, ctx, act.Name()),
		smooth: act.Name() != "relu",
		ctx:    ctx,
		build: func(seed uint64) Transform {
			b, err := NewMAF("m", d, ctx, []int{16, 16}, act, testGemm(), rand.New(rand.NewPCG(seed, 1)))
			if err != nil {
				panic(err)
			}
			return b
		},
	}
}

func testSpline(bins int, bound float64) RQSpline {
	sp, err := NewRQSpline(bins, bound)
	if err != nil {
		panic(err)
	}
	return sp
}

func nsfCase(d, ctx, bins int, bound float64, act nn.Activation) transformCase {
	return transformCase{
		name:   fmt.Sprintf("nsf/D=%d/ctx=%d/K=%d/B=%g/%s", d, ctx, bins, bound, act.Name()),
		smooth: act.Name() != "relu",
		ctx:    ctx,
		fdStep: 1e-3,
		rtTol:  1e-4,
		build: func(seed uint64) Transform {
			b, err := NewNSF("n", d, ctx, []int{16, 16}, act, testSpline(bins, bound), testGemm(), rand.New(rand.NewPCG(seed, 4)))
			if err != nil {
				panic(err)
			}
			return b
		},
	}
}

// couplingCase is an affine coupling, or with bins > 0 a spline coupling.
func couplingCase(d, ctx int, random bool, act nn.Activation, bins int) transformCase {
	tc := transformCase{
		name:   fmt.Sprintf("coupling/D=%d/ctx=%d/random=%v/%s", d, ctx, random, act.Name()),
		smooth: act.Name() != "relu",
		ctx:    ctx,
		build: func(seed uint64) Transform {
			rng := rand.New(rand.NewPCG(seed, 2))
			mask := AlternatingMask(d, 1)
			if random {
				mask = RandomMask(d, rand.New(rand.NewPCG(7, 7)))
			}
			var m CoordMap = NewAffine(DefaultScaleBound)
			if bins > 0 {
				m = NewSplineMap(testSpline(bins, 3))
			}
			c, err := NewCouplingMap("c", mask, ctx, []int{16, 16}, act, m, testGemm(), rng)
			if err != nil {
				panic(err)
			}
			return c
		},
	}
	if bins > 0 {
		tc.name = fmt.Sprintf("nsf-coupling/D=%d/ctx=%d/K=%d/random=%v/%s", d, ctx, bins, random, act.Name())
		tc.fdStep, tc.rtTol = 1e-3, 1e-4
	}
	return tc
}

// allTransforms is the one table every generic property runs on.
func allTransforms() []transformCase {
	cases := []transformCase{
		mafCase(1, 0, nn.Tanh{}), mafCase(2, 0, nn.Tanh{}), mafCase(5, 0, nn.Tanh{}),
		mafCase(5, 0, nn.ELU{}), mafCase(5, 0, nn.SiLU{}), mafCase(6, 0, nn.ReLU{}),
		mafCase(1, 2, nn.Tanh{}), mafCase(5, 3, nn.SiLU{}), mafCase(4, 1, nn.ReLU{}),
		nsfCase(1, 0, 8, 5, nn.Tanh{}), nsfCase(3, 0, 8, 5, nn.Tanh{}), nsfCase(5, 0, 4, 2, nn.SiLU{}), nsfCase(4, 0, 8, 3, nn.ReLU{}),
		nsfCase(1, 1, 8, 3, nn.Tanh{}), nsfCase(4, 2, 5, 3, nn.SiLU{}),
		couplingCase(2, 0, false, nn.Tanh{}, 0), couplingCase(5, 0, false, nn.SiLU{}, 0),
		couplingCase(6, 0, true, nn.ELU{}, 0), couplingCase(5, 0, false, nn.ReLU{}, 0),
		couplingCase(5, 2, false, nn.Tanh{}, 0), couplingCase(3, 1, true, nn.ReLU{}, 0),
		couplingCase(2, 0, false, nn.Tanh{}, 8), couplingCase(5, 0, true, nn.SiLU{}, 6),
		couplingCase(5, 2, false, nn.Tanh{}, 8), couplingCase(4, 1, false, nn.ReLU{}, 4),
		{name: "actnorm/D=5", smooth: true, build: func(seed uint64) Transform {
			a := NewActNorm("a", 5)
			x := randBatch(rand.New(rand.NewPCG(seed, 5)), 50, 5)
			for i := range x {
				x[i] = 3*x[i] + float32(i%5) // means 0..4, std 3
			}
			a.InitFromData(x, nil, 50)
			return a
		}},
		{name: "lu/D=1", smooth: true, build: func(uint64) Transform {
			l := NewLU("l", 1)
			l.s.Value[0] = 0.4 // a log-det the sign check can see whatever scramble adds
			return l
		}},
		{name: "lu/D=6", smooth: true, build: func(uint64) Transform { return NewLU("l", 6) }},
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
			cb := tc.context(1, rows)
			z, back := make([]float32, rows*d), make([]float32, rows*d)
			ldL, ldD := make([]float64, rows), make([]float64, rows)
			tr.ToLatent(z, x, cb, rows, ldL)
			tr.ToData(back, z, cb, rows, ldD)
			tol := tc.rtTol
			if tol == 0 {
				tol = 1e-5
			}
			// Rows with an entry where the map is nearly flat: there the
			// log-det at ToData's result and at x differ by its steep
			// derivative times x's error, so only the log-det at the same
			// point (below) must cancel.
			flat := make([]bool, rows)
			if tc.rtTol > 0 {
				for i := range x {
					if diagSlope(tr, x, cb, rows, i, z[i]) < 0.05 {
						flat[i/d] = true
					}
				}
			}
			for i := range x {
				if near(float64(back[i]), float64(x[i]), tol, tol) {
					continue
				}
				flat[i/d] = true
				// Where the map is nearly flat, float32 z cannot pin x
				// down: z's rounding (6e-8 relative, a few ulp after the
				// map) moves x by that over the slope dz_i/dx_i (the
				// Jacobian's diagonal: the map's f', since no parameter
				// of coordinate i depends on x_i). Allow that, no more.
				slope := diagSlope(tr, x, cb, rows, i, z[i])
				allow := tol + 4*6e-8*math.Max(1, math.Abs(float64(z[i])))/slope
				if !near(float64(back[i]), float64(x[i]), 0, allow) {
					t.Fatalf("entry %d: ToData(ToLatent(x)) = %g, x = %g (slope %.3g allows %.3g)", i, back[i], x[i], slope, allow)
				}
			}
			// ToData's log-det is minus ToLatent's at the point it returns.
			again, ldB := make([]float32, rows*d), make([]float64, rows)
			tr.ToLatent(again, back, cb, rows, ldB)
			for r := range ldL {
				if !near(ldB[r], -ldD[r], 1e-5, 1e-5) {
					t.Fatalf("row %d: log-dets %g of ToLatent(ToData(z)) and %g of ToData do not cancel", r, ldB[r], ldD[r])
				}
				if !flat[r] && !near(ldL[r], -ldD[r], 1e-5, 1e-5) {
					t.Fatalf("row %d: log-dets %g and %g do not cancel", r, ldL[r], ldD[r])
				}
			}
		})
	}
}

// diagSlope is |dz_i/dx_i| at x by a one-sided difference (zi = z[i] at x).
func diagSlope(tr Transform, x, cb []float32, rows, i int, zi float32) float64 {
	xp := append([]float32(nil), x...)
	xp[i] += 1e-3
	zp, ld := make([]float32, len(x)), make([]float64, rows)
	tr.ToLatent(zp, xp, cb, rows, ld)
	return math.Abs(float64(zp[i]-zi)) / float64(xp[i]-x[i])
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
			cb := tc.context(2, rows)
			z, ld := make([]float32, rows*d), make([]float64, rows)
			tr.ToLatent(z, x, cb, rows, ld)
			nonzero := false
			step := tc.fdStep
			if step == 0 {
				step = 1e-2
			}
			for r := 0; r < rows; r++ {
				fd := fdLogAbsDet(tr, x, cb[r*tc.ctx:(r+1)*tc.ctx], r, step)
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
func lossOf(tr Transform, x, cb []float32, rows int, G []float32, c []float64) float64 {
	d := tr.Dim()
	z, ld := make([]float32, rows*d), make([]float64, rows)
	tr.ToLatent(z, x, cb, rows, ld)
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
			cb := tc.context(3, rows)
			G := randBatch(rng, rows, d)
			c := make([]float64, rows)
			for r := range c {
				c[r] = rng.NormFloat64()
			}
			// Analytic gradients.
			nn.ZeroGrad(tr.Params())
			z, ld := make([]float32, rows*d), make([]float64, rows)
			tr.ToLatent(z, x, cb, rows, ld)
			gx := make([]float32, rows*d)
			tr.Backward(gx, G, c, rows)
			h := float32(tc.fdStep)
			if h == 0 {
				h = 1e-2
			}
			// The loss is a sum of float32 outputs, each rounded to 6e-8 of
			// itself (a few ulp after the map): a central difference
			// carries about 4*6e-8*sum|terms|/(2h) of noise. With h = 1e-3
			// (splines) that is ~1e-3 here, the size of the absolute
			// tolerance, so it is added to it.
			var mag float64
			for i := range z {
				mag += math.Abs(float64(G[i]) * float64(z[i]))
			}
			for r := range ld {
				mag += math.Abs(c[r] * ld[r])
			}
			noise := 4 * 6e-8 * mag / (2 * float64(h))
			check := func(what string, v *float32, an float64) {
				old := *v
				*v = old + h
				lp := lossOf(tr, x, cb, rows, G, c)
				*v = old - h
				lm := lossOf(tr, x, cb, rows, G, c)
				*v = old
				fd := (lp - lm) / (2 * float64(h))
				if !near(an, fd, 2e-2, 2e-3+noise) {
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
func saturateScales(t *testing.T, tr Transform, x, cb []float32, rows int) {
	ps := tr.Params()
	if len(ps) == 0 {
		return
	}
	ref := newRef64(t, tr)
	if ref.spline != nil || ref.net == nil {
		return // no log-scales; scramble already makes the splines far from the identity
	}
	_, _, raw, _ := ref.toLatent(to64(x), to64(cb), rows)
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
			var x, cb []float32
			for try := 0; ; try++ {
				x = randBatch(rng, rows, d)
				cb = tc.context(uint64(4+try), rows) // units fed by the context alone need it redrawn too
				_, _, _, pre := newRef64(t, tr).toLatent(to64(x), to64(cb), rows)
				if !kinks || minAbs(pre) > kinkMargin {
					break
				}
				if try == 100 {
					t.Fatalf("no input batch with every pre-activation %g away from a ReLU kink", kinkMargin)
				}
			}
			saturateScales(t, tr, x, cb, rows)
			G := randBatch(rng, rows, d)
			c := make([]float64, rows)
			for r := range c {
				c[r] = rng.NormFloat64()
			}
			ref := newRef64(t, tr)
			x64 := to64(x)
			c64 := to64(cb)
			z64, ld64, raw, pre := ref.toLatent(x64, c64, rows)
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
			tr.ToLatent(z, x, cb, rows, ld)
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
					lp, pp := ref.loss(x64, c64, rows, G, c)
					v[i] = old - h
					lm, pm := ref.loss(x64, c64, rows, G, c)
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
			cb := tc.context(5, rows)
			z1, l1 := make([]float32, rows*d), make([]float64, rows)
			tr.ToLatent(z1, x, cb, rows, l1)
			x2 := append([]float32(nil), x...)
			for j := 0; j < d; j++ {
				x2[5*d+j] += 1.5
			}
			c2 := append([]float32(nil), cb...)
			for j := 0; j < tc.ctx; j++ {
				c2[5*tc.ctx+j] -= 0.7
			}
			z2, l2 := make([]float32, rows*d), make([]float64, rows)
			tr.ToLatent(z2, x2, c2, rows, l2)
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
			cb := tc.context(6, rows)
			za, zb := make([]float32, rows*d), make([]float32, rows*d)
			la, lb := make([]float64, rows), make([]float64, rows)
			a.ToLatent(za, x, cb, rows, la)
			b.ToLatent(zb, x, cb, rows, lb)
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
