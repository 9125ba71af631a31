package flow

import (
	"math/rand/v2"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// MAF is one masked autoregressive block: z_d = (x_d - mu_d) * exp(-alpha_d)
// with (mu_d, alpha_d) predicted by a MADE from x_1..x_{d-1}. log|det dz/dx|
// is -sum_d alpha_d. ToLatent is one network pass; ToData inverts dimension by
// dimension.
type MAF struct {
	d    int
	made *nn.MLP
	m    affine
	g    blas.Gemm

	rows  int
	out   []float32 // conditioner outputs: mu (D) then a (D) per row
	alpha []float32 // bounded log-scales of the latest ToLatent
	scale []float32 // exp(-alpha)
	z     []float32 // output of the latest ToLatent (not owned)
	gout  []float32 // dL/d conditioner outputs
	gxm   []float32 // dL/dx through the conditioner

	inv madeInverter
}

// NewMAF returns a MAF block over d features with the given hidden sizes.
func NewMAF(name string, d int, hidden []int, act nn.Activation, g blas.Gemm, rng *rand.Rand) (*MAF, error) {
	made, err := NewMADE(name, d, hidden, 2, act, rng)
	if err != nil {
		return nil, err
	}
	return &MAF{d: d, made: made, m: affine{c: DefaultScaleBound}, g: g}, nil
}

// Dim implements Transform.
func (b *MAF) Dim() int { return b.d }

// Params implements Transform.
func (b *MAF) Params() []*nn.Param { return b.made.Params() }

func (b *MAF) ensure(rows int) {
	if rows <= b.rows {
		return
	}
	n := rows * b.d
	b.out = make([]float32, 2*n)
	b.alpha = make([]float32, n)
	b.scale = make([]float32, n)
	b.gout = make([]float32, 2*n)
	b.gxm = make([]float32, n)
	b.rows = rows
}

// ToLatent implements Transform.
func (b *MAF) ToLatent(z, x []float32, rows int, logdet []float64) {
	b.ensure(rows)
	d := b.d
	b.made.Forward(b.g, b.out, x, rows)
	b.m.alphasRows(b.alpha, b.scale, b.out, d, rows, -1)
	for r := 0; r < rows; r++ {
		mu := b.out[2*d*r : 2*d*r+d]
		xr, zr := x[r*d:r*d+d], z[r*d:r*d+d]
		al, sc := b.alpha[r*d:r*d+d], b.scale[r*d:r*d+d]
		var sum float64
		for j := range xr {
			zr[j] = (xr[j] - mu[j]) * sc[j]
			sum += float64(al[j])
		}
		logdet[r] -= sum
	}
	b.z = z
}

// Backward implements Transform.
func (b *MAF) Backward(gx, gz []float32, gld []float64, rows int) {
	d := b.d
	for r := 0; r < rows; r++ {
		gzr, zr := gz[r*d:r*d+d], b.z[r*d:r*d+d]
		al, sc := b.alpha[r*d:r*d+d], b.scale[r*d:r*d+d]
		gmu := b.gout[2*d*r : 2*d*r+d]
		ga := b.gout[2*d*r+d : 2*d*r+2*d]
		gl := float32(gld[r])
		for j := range gzr {
			gmu[j] = -gzr[j] * sc[j]
			// z depends on alpha as z = (x-mu)exp(-alpha); logdet = -sum alpha.
			ga[j] = (-gzr[j]*zr[j] - gl) * b.m.dAlpha(al[j])
		}
	}
	if gx == nil {
		b.made.Backward(b.g, nil, b.gout[:2*d*rows], rows)
		return
	}
	b.made.Backward(b.g, b.gxm[:d*rows], b.gout[:2*d*rows], rows)
	for i := 0; i < rows*d; i++ {
		gx[i] = gz[i]*b.scale[i] + b.gxm[i]
	}
}

// ToData implements Transform. It inverts dimension by dimension, but in
// one masked pass of the conditioner rather than D full passes (see
// madeInverter).
func (b *MAF) ToData(x, z []float32, rows int, logdet []float64) {
	b.inv.load(b.made, b.d)
	b.inv.invert(b.g, b.m, x, z, rows, logdet)
}
