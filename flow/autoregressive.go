package flow

import (
	"fmt"
	"math/rand/v2"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// Autoregressive is one masked autoregressive block: z_d = f(x_d; theta_d)
// with f a CoordMap and theta_d predicted by a MADE from the context and
// x_1..x_{d-1}. With the affine map it is a MAF block (Papamakarios et al.
// 2017), with the rational-quadratic spline an autoregressive NSF block
// (Durkan et al. 2019). ToLatent is one network pass; ToData inverts
// dimension by dimension in one masked pass of the network (madeInverter).
type Autoregressive struct {
	kind string // the stored structure's layer type: "maf" or "nsf"
	d    int
	ctx  int
	made *nn.MLP
	m    CoordMap
	g    blas.Gemm

	rows int
	in   []float32 // conditioner input rows [context, x] (ctx > 0 only)
	out  []float32 // conditioner outputs: P*d per row, parameter-major
	gout []float32 // dL/d conditioner outputs
	gxs  []float32 // dL/dx through the map
	gin  []float32 // dL/d conditioner inputs

	inv madeInverter
}

// NewMAF returns an affine autoregressive block over d features with ctx
// context inputs (0 for none).
func NewMAF(name string, d, ctx int, hidden []int, act nn.Activation, g blas.Gemm, rng *rand.Rand) (*Autoregressive, error) {
	return NewAutoregressive(name, "maf", d, ctx, hidden, act, NewAffine(DefaultScaleBound), g, rng)
}

// NewNSF returns a rational-quadratic spline autoregressive block.
func NewNSF(name string, d, ctx int, hidden []int, act nn.Activation, spline RQSpline, g blas.Gemm, rng *rand.Rand) (*Autoregressive, error) {
	return NewAutoregressive(name, "nsf", d, ctx, hidden, act, NewSplineMap(spline), g, rng)
}

// NewAutoregressive returns a block of map m under a MADE conditioner; kind
// names it in the model file's structure.
func NewAutoregressive(name, kind string, d, ctx int, hidden []int, act nn.Activation, m CoordMap, g blas.Gemm, rng *rand.Rand) (*Autoregressive, error) {
	made, err := NewMADE(name, d, ctx, hidden, m.ParamsPerCoord(), act, rng)
	if err != nil {
		return nil, fmt.Errorf("%s block %s: %w", kind, name, err)
	}
	return &Autoregressive{kind: kind, d: d, ctx: ctx, made: made, m: m, g: g}, nil
}

// Dim implements Transform.
func (b *Autoregressive) Dim() int { return b.d }

// ContextDim is the number of context inputs.
func (b *Autoregressive) ContextDim() int { return b.ctx }

// Map is the block's per-coordinate map.
func (b *Autoregressive) Map() CoordMap { return b.m }

// Params implements Transform.
func (b *Autoregressive) Params() []*nn.Param { return b.made.Params() }

func (b *Autoregressive) ensure(rows int) {
	if rows <= b.rows {
		return
	}
	n, p := rows*b.d, b.m.ParamsPerCoord()
	if b.ctx > 0 { // without context the conditioner reads x itself
		b.in = make([]float32, rows*(b.ctx+b.d))
	}
	b.out = make([]float32, p*n)
	b.gout = make([]float32, p*n)
	b.gxs = make([]float32, n)
	b.gin = make([]float32, rows*(b.ctx+b.d))
	b.rows = rows
}

// ToLatent implements Transform.
func (b *Autoregressive) ToLatent(z, x, c []float32, rows int, logdet []float64) {
	b.ensure(rows)
	in := joinContext(b.in, c, b.ctx, x, b.d, rows)
	b.made.Forward(b.g, b.out, in, rows)
	b.m.Latent(z, x, b.out, b.d, rows, logdet)
}

// Backward implements Transform.
func (b *Autoregressive) Backward(gx, gz []float32, gld []float64, rows int) {
	d, w := b.d, b.m.ParamsPerCoord()*b.d
	if gx == nil {
		b.m.Backward(nil, b.gout, gz, gld, d, rows)
		b.made.Backward(b.g, nil, b.gout[:w*rows], rows)
		return
	}
	b.m.Backward(b.gxs, b.gout, gz, gld, d, rows)
	b.made.Backward(b.g, b.gin[:(b.ctx+d)*rows], b.gout[:w*rows], rows)
	for r := 0; r < rows; r++ {
		gxr, gs := gx[r*d:(r+1)*d], b.gxs[r*d:(r+1)*d]
		gm := b.gin[r*(b.ctx+d)+b.ctx : (r+1)*(b.ctx+d)]
		for j := range gxr {
			gxr[j] = gs[j] + gm[j]
		}
	}
}

// ToData implements Transform. It inverts dimension by dimension, but in
// one masked pass of the conditioner rather than D full passes (see
// madeInverter).
func (b *Autoregressive) ToData(x, z, c []float32, rows int, logdet []float64) {
	b.inv.load(b.made, b.d, b.ctx, b.m.ParamsPerCoord())
	b.inv.invert(b.g, b.m, x, z, c, rows, logdet)
}

// joinContext returns the conditioner input rows [c_r, x_r] (nc + nx
// values each) in buf, or x itself when there is no context.
func joinContext(buf, c []float32, nc int, x []float32, nx, rows int) []float32 {
	if nc == 0 {
		return x[:rows*nx]
	}
	w := nc + nx
	for r := 0; r < rows; r++ {
		copy(buf[r*w:r*w+nc], c[r*nc:(r+1)*nc])
		copy(buf[r*w+nc:(r+1)*w], x[r*nx:(r+1)*nx])
	}
	return buf[:rows*w]
}
