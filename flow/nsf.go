package flow

import (
	"math/rand/v2"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// NSF is one autoregressive rational-quadratic spline block (Durkan et al.
// 2019, "Neural Spline Flows"): z_d = f(x_d; theta_d) with f the spline map
// (RQSpline) and theta_d predicted by a MADE from x_1..x_{d-1}, the same
// conditioner as the MAF's with 3K-1 outputs per coordinate instead of 2.
// log|det dz/dx| is the sum of the coordinates' log f'. ToLatent is one
// network pass; ToData inverts dimension by dimension with D passes (the
// MAF's one-pass inverse does not serve splines yet).
type NSF struct {
	d    int
	made *nn.MLP
	m    RQSpline
	g    blas.Gemm

	rows  int
	out   []float32 // conditioner outputs, P*d per row, parameter-major
	gout  []float32 // dL/d conditioner outputs
	gxs   []float32 // dL/dx through the spline
	gxm   []float32 // dL/dx through the conditioner
	x     []float32 // input of the latest ToLatent (not owned)
	zs    []float32 // ToData's scratch for the final forward pass
	theta []float32 // ToData's parameters of one coordinate
	kn    *knots
}

// NewNSF returns a spline block over d features.
func NewNSF(name string, d int, hidden []int, act nn.Activation, spline RQSpline, g blas.Gemm, rng *rand.Rand) (*NSF, error) {
	made, err := NewMADE(name, d, hidden, spline.ParamsPerCoord(), act, rng)
	if err != nil {
		return nil, err
	}
	return &NSF{d: d, made: made, m: spline, g: g, kn: spline.newKnots(), theta: make([]float32, spline.ParamsPerCoord())}, nil
}

// Dim implements Transform.
func (b *NSF) Dim() int { return b.d }

// Params implements Transform.
func (b *NSF) Params() []*nn.Param { return b.made.Params() }

func (b *NSF) ensure(rows int) {
	if rows <= b.rows {
		return
	}
	p := b.m.ParamsPerCoord()
	b.out = make([]float32, rows*p*b.d)
	b.gout = make([]float32, rows*p*b.d)
	b.gxs = make([]float32, rows*b.d)
	b.gxm = make([]float32, rows*b.d)
	b.zs = make([]float32, rows*b.d)
	b.rows = rows
}

// ToLatent implements Transform.
func (b *NSF) ToLatent(z, x []float32, rows int, logdet []float64) {
	b.ensure(rows)
	d, w := b.d, b.m.ParamsPerCoord()*b.d
	b.made.Forward(b.g, b.out, x, rows)
	for r := 0; r < rows; r++ {
		logdet[r] += rqsForward(b.m, b.kn, z[r*d:(r+1)*d], x[r*d:(r+1)*d], b.out[r*w:(r+1)*w])
	}
	b.x = x
}

// Backward implements Transform.
func (b *NSF) Backward(gx, gz []float32, gld []float64, rows int) {
	d, w := b.d, b.m.ParamsPerCoord()*b.d
	for r := 0; r < rows; r++ {
		rqsBackward(b.m, b.kn, b.gxs[r*d:(r+1)*d], b.gout[r*w:(r+1)*w], gz[r*d:(r+1)*d], b.x[r*d:(r+1)*d], b.out[r*w:(r+1)*w], gld[r])
	}
	if gx == nil {
		b.made.Backward(b.g, nil, b.gout[:w*rows], rows)
		return
	}
	b.made.Backward(b.g, b.gxm[:d*rows], b.gout[:w*rows], rows)
	for i := 0; i < rows*d; i++ {
		gx[i] = b.gxs[i] + b.gxm[i]
	}
}

// ToData implements Transform: coordinate j is inverted once x_1..x_{j-1}
// are known, one conditioner pass per coordinate; the log-det comes from a
// last forward pass at the result.
func (b *NSF) ToData(x, z []float32, rows int, logdet []float64) {
	b.ensure(rows)
	d, p := b.d, b.m.ParamsPerCoord()
	w := p * d
	clear(x[:rows*d])
	theta := b.theta
	for j := 0; j < d; j++ {
		b.made.Forward(b.g, b.out, x, rows)
		for r := 0; r < rows; r++ {
			out := b.out[r*w : (r+1)*w]
			for k := range theta {
				theta[k] = out[k*d+j]
			}
			rqsInverse(b.m, b.kn, x[r*d+j:r*d+j+1], z[r*d+j:r*d+j+1], theta)
		}
	}
	b.made.Forward(b.g, b.out, x, rows)
	for r := 0; r < rows; r++ {
		logdet[r] -= rqsForward(b.m, b.kn, b.zs[r*d:(r+1)*d], x[r*d:(r+1)*d], b.out[r*w:(r+1)*w])
	}
}
