package flow

import (
	"math"
	"testing"

	"hepflow/nn"
)

// This file holds float64 re-implementations of the transforms and of their
// conditioner networks, written as plainly as possible (dense loops, masks
// multiplied in, no fused or skipped work): references the float32 code is
// checked against, and smooth enough (no float32 rounding) that central
// differences with tiny steps give their gradients to ~1e-9.

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func act64(name string, v float64) float64 {
	switch name {
	case "relu":
		return math.Max(v, 0)
	case "tanh":
		return math.Tanh(v)
	case "elu":
		if v > 0 {
			return v
		}
		return math.Expm1(v)
	case "silu":
		return v / (1 + math.Exp(-v))
	}
	panic("act64: unknown activation " + name)
}

// dact64 is the derivative of act64 at pre-activation v.
func dact64(name string, v float64) float64 {
	switch name {
	case "relu":
		if v > 0 {
			return 1
		}
		return 0
	case "tanh":
		t := math.Tanh(v)
		return 1 - t*t
	case "elu":
		if v > 0 {
			return 1
		}
		return math.Exp(v)
	case "silu":
		s := 1 / (1 + math.Exp(-v))
		return s * (1 + v*(1-s))
	}
	panic("dact64: unknown activation " + name)
}

// mlp64 is an nn.MLP in float64: layer l is y = x (W_l * mask_l) + b_l, W_l
// In x Out row-major, with the activation between layers.
type mlp64 struct {
	act     string
	in, out []int
	w, b    [][]float64
	mask    [][]float64 // nil entries: dense layers
}

// newMLP64 copies m's current weights and masks.
func newMLP64(m *nn.MLP) *mlp64 {
	r := &mlp64{act: m.Act.Name()}
	for _, l := range m.Layers {
		r.in, r.out = append(r.in, l.In), append(r.out, l.Out)
		r.w, r.b = append(r.w, to64(l.W.Value)), append(r.b, to64(l.B.Value))
		var mk []float64
		if l.W.Mask != nil {
			mk = to64(l.W.Mask)
		}
		r.mask = append(r.mask, mk)
	}
	return r
}

// params returns the value slices in the order of nn.MLP.Params.
func (m *mlp64) params() [][]float64 {
	var ps [][]float64
	for l := range m.w {
		ps = append(ps, m.w[l], m.b[l])
	}
	return ps
}

// weights returns layer l's W times its mask.
func (m *mlp64) weights(l int) []float64 {
	w := append([]float64(nil), m.w[l]...)
	if m.mask[l] != nil {
		for i := range w {
			w[i] *= m.mask[l][i]
		}
	}
	return w
}

// forward returns the outputs for x (rows x In) and, per hidden layer, the
// pre-activations and activations.
func (m *mlp64) forward(x []float64, rows int) (out []float64, pre, post [][]float64) {
	in := x
	for l := range m.w {
		ni, no, w := m.in[l], m.out[l], m.weights(l)
		y := make([]float64, rows*no)
		for r := 0; r < rows; r++ {
			yr := y[r*no : r*no+no]
			copy(yr, m.b[l])
			for i := 0; i < ni; i++ {
				xi, wi := in[r*ni+i], w[i*no:i*no+no]
				for j := range yr {
					yr[j] += xi * wi[j]
				}
			}
		}
		if l == len(m.w)-1 {
			return y, pre, post
		}
		h := make([]float64, len(y))
		for i, v := range y {
			h[i] = act64(m.act, v)
		}
		pre, post = append(pre, y), append(post, h)
		in = h
	}
	panic("unreachable")
}

// backward returns, for L = sum(gout * forward(x)), dL/dx and dL/dW, dL/db
// per layer (zero where masked), given forward's pre and post.
func (m *mlp64) backward(x []float64, pre, post [][]float64, gout []float64, rows int) (gx []float64, gw, gb [][]float64) {
	nl := len(m.w)
	gw, gb = make([][]float64, nl), make([][]float64, nl)
	gy := gout
	for l := nl - 1; l >= 0; l-- {
		ni, no, w := m.in[l], m.out[l], m.weights(l)
		in := x
		if l > 0 {
			in = post[l-1]
		}
		gw[l], gb[l] = make([]float64, ni*no), make([]float64, no)
		gin := make([]float64, rows*ni)
		for r := 0; r < rows; r++ {
			gr := gy[r*no : r*no+no]
			for j, g := range gr {
				gb[l][j] += g
			}
			for i := 0; i < ni; i++ {
				xi, wi, gwi := in[r*ni+i], w[i*no:i*no+no], gw[l][i*no:i*no+no]
				var s float64
				for j, g := range gr {
					gwi[j] += xi * g
					s += wi[j] * g
				}
				gin[r*ni+i] = s
			}
		}
		if m.mask[l] != nil {
			for i, mk := range m.mask[l] {
				gw[l][i] *= mk
			}
		}
		if l > 0 {
			for i := range gin {
				gin[i] *= dact64(m.act, pre[l-1][i])
			}
		}
		gy = gin
	}
	return gy, gw, gb
}

// ref64 is a transform's ToLatent in float64. A conditioned transform reads
// its context and then the coordinates cond into its network, whose output
// row holds the map parameters of the coordinates act in that order
// (parameter-major), and maps each of them, affinely as
// z = (x - mu) exp(-c tanh(a/c)) or by the spline; the other coordinates
// pass through. A permutation just reorders.
type ref64 struct {
	d         int
	nctx      int
	net       *mlp64
	cond, act []int
	c         float64
	perm      []int
	spline    *RQSpline // a spline map (else affine)
	// own are the parameter values of a layer without a network (ActNorm:
	// shift, log-scale; LU: lower, upper, log-diagonal), kind says which.
	own  [][]float64
	kind string
}

// newRef64 builds the reference of tr from its current weights.
func newRef64(t testing.TB, tr Transform) *ref64 {
	t.Helper()
	mapOf := func(r *ref64, m CoordMap) *ref64 {
		switch m := m.(type) {
		case *Affine:
			r.c = float64(m.c)
		case *SplineMap:
			sp := m.Spline()
			r.spline = &sp
		default:
			t.Fatalf("no float64 reference for map %T", m)
		}
		return r
	}
	switch v := tr.(type) {
	case *Autoregressive:
		all := make([]int, v.d)
		for i := range all {
			all[i] = i
		}
		return mapOf(&ref64{d: v.d, nctx: v.ctx, net: newMLP64(v.made), cond: all, act: all}, v.m)
	case *Coupling:
		return mapOf(&ref64{d: v.d, nctx: v.ctx, net: newMLP64(v.net), cond: v.passive, act: v.active}, v.m)
	case *Permutation:
		return &ref64{d: len(v.perm), perm: v.perm}
	case *ActNorm:
		return &ref64{d: v.d, kind: "actnorm", own: [][]float64{to64(v.b.Value), to64(v.s.Value)}}
	case *LU:
		return &ref64{d: v.d, kind: "lu", own: [][]float64{to64(v.l.Value), to64(v.u.Value), to64(v.s.Value)}}
	}
	t.Fatalf("no float64 reference for %T: add one to ref64_test.go", tr)
	return nil
}

// params returns the reference's parameter values in the order of tr.Params().
func (r *ref64) params() [][]float64 {
	if r.own != nil {
		return r.own
	}
	if r.net == nil {
		return nil
	}
	return r.net.params()
}

// toLatent returns z and log|det dz/dx| for rows of x with context rows cx,
// the raw log-scale outputs a (rows x len(act), affine maps only) and the
// conditioner's hidden pre-activations.
func (r *ref64) toLatent(x, cx []float64, rows int) (z, ld, raw []float64, pre [][]float64) {
	d := r.d
	z, ld = make([]float64, rows*d), make([]float64, rows)
	switch r.kind {
	case "actnorm":
		b, ls := r.own[0], r.own[1]
		for i := 0; i < rows; i++ {
			for j := 0; j < d; j++ {
				z[i*d+j] = (x[i*d+j] - b[j]) * math.Exp(-ls[j])
				ld[i] -= ls[j]
			}
		}
		return z, ld, nil, nil
	case "lu":
		lo, up, ls := r.own[0], r.own[1], r.own[2]
		w := make([]float64, d*d)
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				for k := 0; k <= min(i, j); k++ {
					l, m := lo[i*d+k], up[k*d+j]
					if k == i {
						l = 1
					}
					if k == j {
						m = math.Exp(ls[k])
					}
					w[i*d+j] += l * m
				}
			}
		}
		for i := 0; i < rows; i++ {
			for a := 0; a < d; a++ {
				for k := 0; k < d; k++ {
					z[i*d+a] += w[a*d+k] * x[i*d+k]
				}
			}
			for _, v := range ls {
				ld[i] += v
			}
		}
		return z, ld, nil, nil
	}
	if r.net == nil {
		for i := 0; i < rows; i++ {
			for j, k := range r.perm {
				z[i*d+j] = x[i*d+k]
			}
		}
		return z, ld, nil, nil
	}
	nc, n := r.nctx+len(r.cond), len(r.act)
	xin := make([]float64, rows*nc)
	for i := 0; i < rows; i++ {
		copy(xin[i*nc:], cx[i*r.nctx:(i+1)*r.nctx])
		for k, j := range r.cond {
			xin[i*nc+r.nctx+k] = x[i*d+j]
		}
	}
	out, pre, _ := r.net.forward(xin, rows)
	copy(z, x)
	if r.spline != nil {
		w := r.spline.ParamsPerCoord() * n
		kn := r.spline.newKnots()
		xa, za := make([]float64, n), make([]float64, n)
		for i := 0; i < rows; i++ {
			for k, j := range r.act {
				xa[k] = x[i*d+j]
			}
			ld[i] = rqsForward(*r.spline, kn, za, xa, out[i*w:(i+1)*w])
			for k, j := range r.act {
				z[i*d+j] = za[k]
			}
		}
		return z, ld, nil, pre
	}
	raw = make([]float64, rows*n)
	for i := 0; i < rows; i++ {
		for k, j := range r.act {
			mu, a := out[i*2*n+k], out[i*2*n+n+k]
			alpha := r.c * math.Tanh(a/r.c)
			z[i*d+j] = (x[i*d+j] - mu) * math.Exp(-alpha)
			ld[i] -= alpha
			raw[i*n+k] = a
		}
	}
	return z, ld, raw, pre
}

// loss is lossOf in float64, sum(G*z) + sum(c*logdet), with the hidden
// pre-activations it went through.
func (r *ref64) loss(x, cx []float64, rows int, G []float32, c []float64) (float64, [][]float64) {
	z, ld, _, pre := r.toLatent(x, cx, rows)
	var s float64
	for i := range z {
		s += float64(G[i]) * z[i]
	}
	for i := range ld {
		s += c[i] * ld[i]
	}
	return s, pre
}

// minAbs is the smallest |v| over all hidden pre-activations (+Inf if none).
func minAbs(pre [][]float64) float64 {
	m := math.Inf(1)
	for _, p := range pre {
		for _, v := range p {
			m = math.Min(m, math.Abs(v))
		}
	}
	return m
}

// maxDiff is the largest |a - b| over matching hidden pre-activations.
func maxDiff(a, b [][]float64) float64 {
	var m float64
	for l := range a {
		for i := range a[l] {
			m = math.Max(m, math.Abs(a[l][i]-b[l][i]))
		}
	}
	return m
}
