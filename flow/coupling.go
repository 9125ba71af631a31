package flow

import (
	"fmt"
	"math/rand/v2"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// Coupling is a RealNVP affine coupling: the passive coordinates pass through
// unchanged, and each active coordinate is mapped as z = (x - mu) * exp(-alpha)
// with (mu, alpha) predicted by an MLP from the passive ones. Both directions
// take one network pass.
type Coupling struct {
	d       int
	active  []int // transformed coordinates
	passive []int // conditioning coordinates
	net     *nn.MLP
	m       affine
	g       blas.Gemm

	rows  int
	xp    []float32 // passive inputs gathered, rows x len(passive)
	out   []float32 // mu (A) then a (A) per row
	alpha []float32
	scale []float32
	za    []float32 // active outputs of the latest ToLatent
	gout  []float32
	gxp   []float32
}

// NewCoupling returns a coupling whose active coordinates are those with
// mask[i] true. Both halves must be non-empty.
func NewCoupling(name string, mask []bool, hidden []int, act nn.Activation, g blas.Gemm, rng *rand.Rand) (*Coupling, error) {
	c := &Coupling{d: len(mask), m: affine{c: DefaultScaleBound}, g: g}
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
	sizes := append(append([]int{len(c.passive)}, hidden...), 2*len(c.active))
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
	na, np := len(c.active), len(c.passive)
	c.xp = make([]float32, rows*np)
	c.out = make([]float32, rows*2*na)
	c.alpha = make([]float32, rows*na)
	c.scale = make([]float32, rows*na)
	c.za = make([]float32, rows*na)
	c.gout = make([]float32, rows*2*na)
	c.gxp = make([]float32, rows*np)
	c.rows = rows
}

func (c *Coupling) condition(src []float32, rows int) {
	np := len(c.passive)
	for r := 0; r < rows; r++ {
		row := src[r*c.d:]
		dst := c.xp[r*np : r*np+np]
		for k, j := range c.passive {
			dst[k] = row[j]
		}
	}
	c.net.Forward(c.g, c.out, c.xp[:rows*np], rows)
}

// ToLatent implements Transform.
func (c *Coupling) ToLatent(z, x []float32, rows int, logdet []float64) {
	c.ensure(rows)
	c.condition(x, rows)
	na := len(c.active)
	c.m.alphasRows(c.alpha, c.scale, c.out, na, rows, -1)
	for r := 0; r < rows; r++ {
		xr, zr := x[r*c.d:r*c.d+c.d], z[r*c.d:r*c.d+c.d]
		for _, j := range c.passive {
			zr[j] = xr[j]
		}
		o := c.out[2*na*r:]
		al, sc := c.alpha[r*na:(r+1)*na], c.scale[r*na:(r+1)*na]
		var sum float64
		for k, j := range c.active {
			zr[j] = (xr[j] - o[k]) * sc[k]
			c.za[r*na+k] = zr[j]
			sum += float64(al[k])
		}
		logdet[r] -= sum
	}
}

// Backward implements Transform.
func (c *Coupling) Backward(gx, gz []float32, gld []float64, rows int) {
	na, np := len(c.active), len(c.passive)
	for r := 0; r < rows; r++ {
		gzr := gz[r*c.d:]
		o := c.gout[2*na*r:]
		gl := float32(gld[r])
		for k, j := range c.active {
			i := r*na + k
			o[k] = -gzr[j] * c.scale[i]
			o[na+k] = (-gzr[j]*c.za[i] - gl) * c.m.dAlpha(c.alpha[i])
		}
	}
	if gx == nil {
		c.net.Backward(c.g, nil, c.gout[:rows*2*na], rows)
		return
	}
	c.net.Backward(c.g, c.gxp[:rows*np], c.gout[:rows*2*na], rows)
	for r := 0; r < rows; r++ {
		gzr, gxr := gz[r*c.d:r*c.d+c.d], gx[r*c.d:r*c.d+c.d]
		for k, j := range c.passive {
			gxr[j] = gzr[j] + c.gxp[r*np+k]
		}
		for k, j := range c.active {
			gxr[j] = gzr[j] * c.scale[r*na+k]
		}
	}
}

// ToData implements Transform: the passive half is known, so one pass of the
// conditioner gives every active coordinate's parameters.
func (c *Coupling) ToData(x, z []float32, rows int, logdet []float64) {
	c.ensure(rows)
	c.condition(z, rows)
	na := len(c.active)
	c.m.alphasRows(c.alpha, c.scale, c.out, na, rows, 1)
	for r := 0; r < rows; r++ {
		xr, zr := x[r*c.d:r*c.d+c.d], z[r*c.d:r*c.d+c.d]
		for _, j := range c.passive {
			xr[j] = zr[j]
		}
		o := c.out[2*na*r:]
		al, sc := c.alpha[r*na:(r+1)*na], c.scale[r*na:(r+1)*na]
		var sum float64
		for k, j := range c.active {
			xr[j] = zr[j]*sc[k] + o[k]
			sum += float64(al[k])
		}
		logdet[r] += sum
	}
}
