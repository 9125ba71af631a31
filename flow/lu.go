package flow

import (
	"math"

	"hepflow/nn"
)

// LU is an invertible linear map z = W x of the features with W = L (U +
// diag(exp(s))), L unit lower triangular and U strictly upper triangular
// (Kingma & Dhariwal 2018, Glow's LU-decomposed 1x1 convolution): log|det
// dz/dx| = sum s, with no determinant to compute, and the inverse is two
// triangular solves. It mixes all features, where a permutation only
// reorders them. A fresh LU is the identity.
//
// The tensors are name.lower (D x D, strictly lower part free), name.upper
// (D x D, strictly upper part free) and name.logdiag (D); the masked
// entries are exactly zero.
type LU struct {
	d           int
	l, u, s     *nn.Param
	w, winv     []float64 // W and W^-1 of the current parameters
	w32, winv32 []float32
	x           []float32 // input of the latest ToLatent (not owned)
	gw          []float64 // dL/dW scratch
}

// NewLU returns an identity LU layer over d features.
func NewLU(name string, d int) *LU {
	m := &LU{d: d, l: nn.NewParam(name+".lower", d, d), u: nn.NewParam(name+".upper", d, d), s: nn.NewParam(name+".logdiag", d),
		w: make([]float64, d*d), winv: make([]float64, d*d), w32: make([]float32, d*d), winv32: make([]float32, d*d), gw: make([]float64, d*d)}
	m.l.Mask, m.u.Mask = make([]float32, d*d), make([]float32, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			if j < i {
				m.l.Mask[i*d+j] = 1
			} else if j > i {
				m.u.Mask[i*d+j] = 1
			}
		}
	}
	return m
}

// Dim implements Transform.
func (m *LU) Dim() int { return m.d }

// Params implements Transform.
func (m *LU) Params() []*nn.Param { return []*nn.Param{m.l, m.u, m.s} }

// lAt and mAt are the entries of L (unit diagonal) and M = U + diag(e^s).
func (m *LU) lAt(i, j int) float64 {
	switch {
	case i == j:
		return 1
	case j < i:
		return float64(m.l.Value[i*m.d+j])
	}
	return 0
}

func (m *LU) mAt(i, j int) float64 {
	switch {
	case i == j:
		return math.Exp(float64(m.s.Value[i]))
	case j > i:
		return float64(m.u.Value[i*m.d+j])
	}
	return 0
}

// weights computes W = L M and, when inverse, W^-1 = M^-1 L^-1, in float64,
// and returns sum s.
func (m *LU) weights(inverse bool) float64 {
	d := m.d
	var sum float64
	for i := 0; i < d; i++ {
		sum += float64(m.s.Value[i])
		for j := 0; j < d; j++ {
			var v float64
			for k := 0; k <= min(i, j); k++ {
				v += m.lAt(i, k) * m.mAt(k, j)
			}
			m.w[i*d+j], m.w32[i*d+j] = v, float32(v)
		}
	}
	if !inverse {
		return sum
	}
	// Column j of W^-1 solves L M c = e_j: forward substitution for y = L^-1 e_j,
	// back substitution for c = M^-1 y.
	y := make([]float64, d)
	for j := 0; j < d; j++ {
		for i := 0; i < d; i++ {
			v := 0.0
			if i == j {
				v = 1
			}
			for k := 0; k < i; k++ {
				v -= m.lAt(i, k) * y[k]
			}
			y[i] = v
		}
		for i := d - 1; i >= 0; i-- {
			v := y[i]
			for k := i + 1; k < d; k++ {
				v -= m.mAt(i, k) * m.winv[k*d+j]
			}
			m.winv[i*d+j] = v / m.mAt(i, i)
		}
	}
	for i, v := range m.winv {
		m.winv32[i] = float32(v)
	}
	return sum
}

// apply writes rows of dst = src A^T for a d x d matrix a.
func apply(dst, src, a []float32, d, rows int) {
	for r := 0; r < rows; r++ {
		xr, zr := src[r*d:(r+1)*d], dst[r*d:(r+1)*d]
		for i := 0; i < d; i++ {
			ai := a[i*d : (i+1)*d]
			var v float32
			for k, x := range xr {
				v += ai[k] * x
			}
			zr[i] = v
		}
	}
}

// ToLatent implements Transform.
func (m *LU) ToLatent(z, x, _ []float32, rows int, logdet []float64) {
	sum := m.weights(false)
	apply(z, x, m.w32, m.d, rows)
	for r := 0; r < rows; r++ {
		logdet[r] += sum
	}
	m.x = x
}

// Backward implements Transform.
func (m *LU) Backward(gx, gz []float32, gld []float64, rows int) {
	d := m.d
	gw := m.gw
	clear(gw)
	var gl float64
	for r := 0; r < rows; r++ {
		gl += gld[r]
		gzr, xr := gz[r*d:(r+1)*d], m.x[r*d:(r+1)*d]
		for i, g := range gzr {
			if g == 0 {
				continue
			}
			row := gw[i*d : (i+1)*d]
			for k, x := range xr {
				row[k] += float64(g) * float64(x)
			}
		}
		if gx != nil {
			// gx = W^T gz.
			gxr := gx[r*d : (r+1)*d]
			clear(gxr)
			for i, g := range gzr {
				wi := m.w32[i*d : (i+1)*d]
				for k := range gxr {
					gxr[k] += g * wi[k]
				}
			}
		}
	}
	// W = L M: dL/dL = gW M^T (strictly lower), dL/dM = L^T gW.
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			switch {
			case j < i:
				var v float64
				for k := j; k < d; k++ {
					v += gw[i*d+k] * m.mAt(j, k)
				}
				m.l.Grad[i*d+j] += float32(v)
			case j >= i:
				var v float64
				for k := i; k < d; k++ {
					v += m.lAt(k, i) * gw[k*d+j]
				}
				if j > i {
					m.u.Grad[i*d+j] += float32(v)
				} else {
					m.s.Grad[i] += float32(v*m.mAt(i, i) + gl) // logdet = sum s
				}
			}
		}
	}
}

// ToData implements Transform.
func (m *LU) ToData(x, z, _ []float32, rows int, logdet []float64) {
	sum := m.weights(true)
	apply(x, z, m.winv32, m.d, rows)
	for r := 0; r < rows; r++ {
		logdet[r] -= sum
	}
}
