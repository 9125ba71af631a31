package flow

import (
	"math"

	"hepflow/nn"
)

// ActNorm is a per-feature affine layer z = (x - b) * exp(-s) (Kingma &
// Dhariwal 2018, Glow) with log|det dz/dx| = -sum s. Both vectors are
// ordinary trainable parameters saved with the model: a fresh layer is the
// identity, and InitFromData sets b and s once, from the first training
// batch, to the mean and log standard deviation of its input. Only the
// training set-up calls it, never a load, so a reloaded model keeps its
// trained values (the normflows bug: a reloaded ActNorm re-initialised
// itself on the first batch it saw).
type ActNorm struct {
	d     int
	b, s  *nn.Param
	scale []float32 // exp(-s) of the latest ToLatent
	x     []float32 // input of the latest ToLatent (not owned)
}

// NewActNorm returns an identity ActNorm over d features; its tensors are
// named name.shift and name.logscale.
func NewActNorm(name string, d int) *ActNorm {
	return &ActNorm{d: d, b: nn.NewParam(name+".shift", d), s: nn.NewParam(name+".logscale", d), scale: make([]float32, d)}
}

// Dim implements Transform.
func (a *ActNorm) Dim() int { return a.d }

// Params implements Transform.
func (a *ActNorm) Params() []*nn.Param { return []*nn.Param{a.b, a.s} }

// InitFromData sets the shift and log-scale so that rows of x map to zero
// mean and unit variance per feature (a constant feature keeps scale 1).
func (a *ActNorm) InitFromData(x, _ []float32, rows int) {
	d := a.d
	for j := 0; j < d; j++ {
		var s, ss float64
		for r := 0; r < rows; r++ {
			s += float64(x[r*d+j])
		}
		mean := s / float64(rows)
		for r := 0; r < rows; r++ {
			v := float64(x[r*d+j]) - mean
			ss += v * v
		}
		ls := 0.0
		if std := math.Sqrt(ss / float64(rows)); std > 1e-6 {
			ls = math.Log(std)
		}
		a.b.Value[j], a.s.Value[j] = float32(mean), float32(ls)
	}
}

// ToLatent implements Transform.
func (a *ActNorm) ToLatent(z, x, _ []float32, rows int, logdet []float64) {
	d := a.d
	var sum float64
	for j, v := range a.s.Value {
		a.scale[j] = float32(math.Exp(-float64(v)))
		sum += float64(v)
	}
	b := a.b.Value
	for r := 0; r < rows; r++ {
		xr, zr := x[r*d:(r+1)*d], z[r*d:(r+1)*d]
		for j := range xr {
			zr[j] = (xr[j] - b[j]) * a.scale[j]
		}
		logdet[r] -= sum
	}
	a.x = x
}

// Backward implements Transform.
func (a *ActNorm) Backward(gx, gz []float32, gld []float64, rows int) {
	d := a.d
	b, gb, gs := a.b.Value, a.b.Grad, a.s.Grad
	var gl float64
	for r := 0; r < rows; r++ {
		gl += gld[r]
		gzr, xr := gz[r*d:(r+1)*d], a.x[r*d:(r+1)*d]
		for j := range gzr {
			// z = (x - b) e^-s: dz/db = -e^-s, dz/ds = -z.
			g := gzr[j] * a.scale[j]
			gb[j] -= g
			gs[j] -= g * (xr[j] - b[j])
			if gx != nil {
				gx[r*d+j] = g
			}
		}
	}
	for j := range gs {
		gs[j] -= float32(gl) // logdet = -sum s
	}
}

// ToData implements Transform.
func (a *ActNorm) ToData(x, z, _ []float32, rows int, logdet []float64) {
	d := a.d
	var sum float64
	sc := make([]float32, d)
	for j, v := range a.s.Value {
		sc[j] = float32(math.Exp(float64(v)))
		sum += float64(v)
	}
	b := a.b.Value
	for r := 0; r < rows; r++ {
		xr, zr := x[r*d:(r+1)*d], z[r*d:(r+1)*d]
		for j := range zr {
			xr[j] = zr[j]*sc[j] + b[j]
		}
		logdet[r] += sum
	}
}
