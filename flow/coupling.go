package flow

import (
	"fmt"
	"math/rand/v2"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// Coupling is a coupling block (RealNVP's with the affine map, Durkan et
// al.'s spline coupling with the rational-quadratic one): the passive
// coordinates pass through unchanged, and each active coordinate is mapped
// by a CoordMap whose parameters an MLP predicts from the context and the
// passive coordinates. Both directions take one network pass.
type Coupling struct {
	d       int
	ctx     int
	active  []int // transformed coordinates
	passive []int // conditioning coordinates
	net     *nn.MLP
	m       CoordMap
	g       blas.Gemm

	rows     int
	in       []float32 // conditioner input rows [context, passive]
	out      []float32 // map parameters, P*A per row
	xa, za   []float32 // active coordinates of the latest ToLatent (or ToData)
	gza, gxa []float32
	gout     []float32
	gin      []float32
}

// NewCoupling returns an affine coupling whose active coordinates are those
// with mask[i] true, with ctx context inputs. Both halves must be non-empty.
func NewCoupling(name string, mask []bool, ctx int, hidden []int, act nn.Activation, g blas.Gemm, rng *rand.Rand) (*Coupling, error) {
	return NewCouplingMap(name, mask, ctx, hidden, act, NewAffine(DefaultScaleBound), g, rng)
}

// NewCouplingMap returns a coupling of the per-coordinate map m.
func NewCouplingMap(name string, mask []bool, ctx int, hidden []int, act nn.Activation, m CoordMap, g blas.Gemm, rng *rand.Rand) (*Coupling, error) {
	c := &Coupling{d: len(mask), ctx: ctx, m: m, g: g}
	for i, a := range mask {
		if a {
			c.active = append(c.active, i)
		} else {
			c.passive = append(c.passive, i)
		}
	}
	if len(c.active) == 0 || len(c.passive) == 0 {
		return nil, fmt.Errorf("coupling %s: mask must leave both halves non-empty (%d features; a coupling needs at least 2)", name, len(mask))
	}
	if ctx < 0 {
		return nil, fmt.Errorf("coupling %s: negative context size %d", name, ctx)
	}
	sizes := append(append([]int{ctx + len(c.passive)}, hidden...), m.ParamsPerCoord()*len(c.active))
	net, err := nn.NewMLP(name, sizes, nil, act, rng)
	if err != nil {
		return nil, err
	}
	c.net = net
	return c, nil
}

// AlternatingMask returns the mask of block i: even coordinates active for
// even i, odd ones for odd i.
func AlternatingMask(d, i int) []bool {
	m := make([]bool, d)
	for j := range m {
		m[j] = j%2 == i%2
	}
	return m
}

// RandomMask returns a seeded random mask with half (rounded down, at least
// one) of the coordinates active.
func RandomMask(d int, rng *rand.Rand) []bool {
	m := make([]bool, d)
	for _, j := range rng.Perm(d)[:max(d/2, 1)] {
		m[j] = true
	}
	return m
}

// Dim implements Transform.
func (c *Coupling) Dim() int { return c.d }

// ContextDim is the number of context inputs.
func (c *Coupling) ContextDim() int { return c.ctx }

// Map is the coupling's per-coordinate map.
func (c *Coupling) Map() CoordMap { return c.m }

// Params implements Transform.
func (c *Coupling) Params() []*nn.Param { return c.net.Params() }

// Mask reports which coordinates are active.
func (c *Coupling) Mask() []bool {
	m := make([]bool, c.d)
	for _, j := range c.active {
		m[j] = true
	}
	return m
}

func (c *Coupling) ensure(rows int) {
	if rows <= c.rows {
		return
	}
	na, ni := len(c.active), c.ctx+len(c.passive)
	p := c.m.ParamsPerCoord()
	c.in = make([]float32, rows*ni)
	c.out = make([]float32, rows*p*na)
	c.xa, c.za = make([]float32, rows*na), make([]float32, rows*na)
	c.gza, c.gxa = make([]float32, rows*na), make([]float32, rows*na)
	c.gout = make([]float32, rows*p*na)
	c.gin = make([]float32, rows*ni)
	c.rows = rows
}

// condition runs the conditioner on the context and the passive
// coordinates of src and gathers src's active coordinates into dst.
func (c *Coupling) condition(dst, src, ctx []float32, rows int) {
	nc, np, na := c.ctx, len(c.passive), len(c.active)
	ni := nc + np
	for r := 0; r < rows; r++ {
		row := src[r*c.d:]
		in := c.in[r*ni : (r+1)*ni]
		copy(in[:nc], ctx[r*nc:(r+1)*nc])
		for k, j := range c.passive {
			in[nc+k] = row[j]
		}
		a := dst[r*na : (r+1)*na]
		for k, j := range c.active {
			a[k] = row[j]
		}
	}
	c.net.Forward(c.g, c.out, c.in[:rows*ni], rows)
}

// scatter writes rows of the passive coordinates of src and the active ones
// of a (rows x A) into dst.
func (c *Coupling) scatter(dst, src, a []float32, rows int) {
	na := len(c.active)
	for r := 0; r < rows; r++ {
		s, t := src[r*c.d:(r+1)*c.d], dst[r*c.d:(r+1)*c.d]
		for _, j := range c.passive {
			t[j] = s[j]
		}
		for k, j := range c.active {
			t[j] = a[r*na+k]
		}
	}
}

// ToLatent implements Transform.
func (c *Coupling) ToLatent(z, x, ctx []float32, rows int, logdet []float64) {
	c.ensure(rows)
	c.condition(c.xa, x, ctx, rows)
	c.m.Latent(c.za, c.xa, c.out, len(c.active), rows, logdet)
	c.scatter(z, x, c.za, rows)
}

// Backward implements Transform.
func (c *Coupling) Backward(gx, gz []float32, gld []float64, rows int) {
	na, ni := len(c.active), c.ctx+len(c.passive)
	for r := 0; r < rows; r++ {
		for k, j := range c.active {
			c.gza[r*na+k] = gz[r*c.d+j]
		}
	}
	if gx == nil {
		c.m.Backward(nil, c.gout, c.gza, gld, na, rows)
		c.net.Backward(c.g, nil, c.gout[:rows*c.m.ParamsPerCoord()*na], rows)
		return
	}
	c.m.Backward(c.gxa, c.gout, c.gza, gld, na, rows)
	c.net.Backward(c.g, c.gin[:rows*ni], c.gout[:rows*c.m.ParamsPerCoord()*na], rows)
	for r := 0; r < rows; r++ {
		gzr, gxr := gz[r*c.d:r*c.d+c.d], gx[r*c.d:r*c.d+c.d]
		for k, j := range c.passive {
			gxr[j] = gzr[j] + c.gin[r*ni+c.ctx+k]
		}
		for k, j := range c.active {
			gxr[j] = c.gxa[r*na+k]
		}
	}
}

// ToData implements Transform: the passive half is known, so one pass of the
// conditioner gives every active coordinate's parameters.
func (c *Coupling) ToData(x, z, ctx []float32, rows int, logdet []float64) {
	c.ensure(rows)
	c.condition(c.za, z, ctx, rows)
	c.m.Data(c.xa, c.za, c.out, len(c.active), rows, logdet)
	c.scatter(x, z, c.xa, rows)
}
