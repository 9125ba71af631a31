package flow

import "hepflow/nn/vec"

// DefaultScaleBound is c in the soft bound alpha = c*tanh(a/c) of affine
// log-scales: a bad batch cannot push exp(alpha) to inf, and for |a| << c the
// map is the plain affine one.
const DefaultScaleBound = 6

// Affine is the per-coordinate map z = (x - mu) * exp(-alpha) with the
// bounded log-scale alpha = c*tanh(a/c): two parameters (mu, a) per
// coordinate. log f' = -alpha.
type Affine struct {
	c float32

	alpha, scale []float32 // Latent's bounded log-scales and exp(-alpha)
	z            []float32 // Latent's output (not owned)
	dAl, dSc     []float32 // Data's and DataColumn's scratch
}

var _ CoordMap = (*Affine)(nil)

// NewAffine returns an affine map with the log-scale bound c
// (DefaultScaleBound in every flow Build makes).
func NewAffine(c float32) *Affine { return &Affine{c: c} }

// ParamsPerCoord implements CoordMap: a shift and a raw log-scale.
func (m *Affine) ParamsPerCoord() int { return 2 }

// alphas writes the bounded log-scales of raw outputs a into dst (which may
// be a itself) and exp(sign*alpha) into scale, one vectorised pass each:
// sign -1 for the ToLatent direction, +1 for ToData.
func (m *Affine) alphas(dst, scale, a []float32, sign float32) {
	vec.TanhScaled(dst, a, m.c)
	vec.Exp(scale, dst, sign)
}

// alphasRows is alphas for the raw log-scales of rows parameter rows laid
// out as (mu, a) with n of each per row. The a's are first gathered into
// dst (rows*n values) so that the vector kernels see one contiguous run
// rather than a short row with a tail at a time.
func (m *Affine) alphasRows(dst, scale, theta []float32, n, rows int, sign float32) {
	for r := range rows {
		copy(dst[r*n:(r+1)*n], theta[2*n*r+n:2*n*r+2*n])
	}
	m.alphas(dst[:rows*n], scale[:rows*n], dst[:rows*n], sign)
}

// dAlpha is d alpha/d a expressed through alpha.
func (m *Affine) dAlpha(alpha float32) float32 {
	t := alpha / m.c
	return 1 - t*t
}

// Latent implements CoordMap.
func (m *Affine) Latent(z, x, theta []float32, n, rows int, logdet []float64) {
	m.alpha, m.scale = grow(m.alpha, rows*n), grow(m.scale, rows*n)
	m.alphasRows(m.alpha, m.scale, theta, n, rows, -1)
	for r := 0; r < rows; r++ {
		mu := theta[2*n*r : 2*n*r+n]
		xr, zr := x[r*n:r*n+n], z[r*n:r*n+n]
		al, sc := m.alpha[r*n:r*n+n], m.scale[r*n:r*n+n]
		var sum float64
		for j := range xr {
			zr[j] = (xr[j] - mu[j]) * sc[j]
			sum += float64(al[j])
		}
		logdet[r] -= sum
	}
	m.z = z
}

// Backward implements CoordMap.
func (m *Affine) Backward(gx, gtheta, gz []float32, gld []float64, n, rows int) {
	for r := 0; r < rows; r++ {
		gzr, zr := gz[r*n:r*n+n], m.z[r*n:r*n+n]
		al, sc := m.alpha[r*n:r*n+n], m.scale[r*n:r*n+n]
		gmu := gtheta[2*n*r : 2*n*r+n]
		ga := gtheta[2*n*r+n : 2*n*r+2*n]
		gl := float32(gld[r])
		for j := range gzr {
			gmu[j] = -gzr[j] * sc[j]
			// z = (x-mu)exp(-alpha) and log f' = -alpha.
			ga[j] = (-gzr[j]*zr[j] - gl) * m.dAlpha(al[j])
		}
	}
	if gx != nil {
		for i, v := range gz[:rows*n] {
			gx[i] = v * m.scale[i]
		}
	}
}

// Data implements CoordMap.
func (m *Affine) Data(x, z, theta []float32, n, rows int, logdet []float64) {
	m.dAl, m.dSc = grow(m.dAl, rows*n), grow(m.dSc, rows*n)
	m.alphasRows(m.dAl, m.dSc, theta, n, rows, 1)
	for r := 0; r < rows; r++ {
		mu := theta[2*n*r : 2*n*r+n]
		xr, zr := x[r*n:r*n+n], z[r*n:r*n+n]
		al, sc := m.dAl[r*n:r*n+n], m.dSc[r*n:r*n+n]
		var sum float64
		for j := range zr {
			xr[j] = zr[j]*sc[j] + mu[j]
			sum += float64(al[j])
		}
		logdet[r] += sum
	}
}

// DataColumn implements CoordMap.
func (m *Affine) DataColumn(x, z, theta []float32, stride, rows int, logdet []float64) {
	m.dAl, m.dSc = grow(m.dAl, rows), grow(m.dSc, rows)
	al, sc := m.dAl[:rows], m.dSc[:rows]
	m.alphas(al, sc, theta[stride:stride+rows], 1)
	mu := theta[:rows]
	for r := range rows {
		x[r] = z[r]*sc[r] + mu[r]
		logdet[r] += float64(al[r])
	}
}
