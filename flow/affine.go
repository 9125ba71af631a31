package flow

import "hepflow/nn/vec"

// DefaultScaleBound is c in the soft bound alpha = c*tanh(a/c) of affine
// log-scales: a bad batch cannot push exp(alpha) to inf, and for |a| << c the
// map is the plain affine one.
const DefaultScaleBound = 6

// affine is the per-coordinate monotone map z = (x - mu) * exp(-alpha) with
// alpha = c*tanh(a/c). A conditioner network predicts (mu, a) per coordinate;
// the map itself knows nothing of that network.
type affine struct {
	c float32
}

// alpha returns the bounded log-scale for a raw conditioner output a.
func (m affine) alpha(a float32) float32 {
	return m.c * vec.Tanh32(a/m.c)
}

// alphas writes the bounded log-scales of raw outputs a into dst (which may
// be a itself) and exp(sign*alpha) into scale, one vectorised pass each:
// sign -1 for the ToLatent direction, +1 for ToData.
func (m affine) alphas(dst, scale, a []float32, sign float32) {
	vec.TanhScaled(dst, a, m.c)
	vec.Exp(scale, dst, sign)
}

// alphasRows is alphas for the raw log-scales of rows conditioner outputs
// laid out as (mu, a) with n of each per row. The a's are first gathered
// into dst (rows*n values) so that the vector kernels see one contiguous run
// rather than a short row with a tail at a time.
func (m affine) alphasRows(dst, scale, out []float32, n, rows int, sign float32) {
	for r := range rows {
		copy(dst[r*n:(r+1)*n], out[2*n*r+n:2*n*r+2*n])
	}
	m.alphas(dst[:rows*n], scale[:rows*n], dst[:rows*n], sign)
}

// dAlpha is d alpha/d a expressed through alpha.
func (m affine) dAlpha(alpha float32) float32 {
	t := alpha / m.c
	return 1 - t*t
}
