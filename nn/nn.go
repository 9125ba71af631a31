// Package nn holds the neural-network arithmetic hepflow's flows are built from:
// float32 parameters, dense and masked dense layers, activations, multi-layer
// perceptrons with hand-written backward passes, and the Adam optimiser.
//
// Batches are row-major float32 slices of rows x features. Layers keep the
// workspaces they need between a forward call and the matching backward call,
// sized once per batch size, so a training step allocates nothing.
package nn

import (
	"math"
)

// Param is one trainable tensor: its values, the gradient accumulated by
// backward passes, and an optional constant mask (1 where the entry is free,
// 0 where it must stay zero, as in MADE).
type Param struct {
	Name  string
	Shape []int
	Value []float32
	Grad  []float32
	// Mask, when not nil, has the length of Value; entries where it is 0 are
	// kept at exactly zero: their gradient is zeroed after every backward pass.
	Mask []float32
}

// NewParam returns a zero-valued parameter of the given shape.
func NewParam(name string, shape ...int) *Param {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return &Param{Name: name, Shape: append([]int(nil), shape...), Value: make([]float32, n), Grad: make([]float32, n)}
}

// Size is the number of entries.
func (p *Param) Size() int { return len(p.Value) }

// ApplyMask zeroes the masked entries of the value (once, at construction or
// after loading) so that a masked product needs no mask at run time.
func (p *Param) ApplyMask() {
	if p.Mask == nil {
		return
	}
	for i, m := range p.Mask {
		if m == 0 {
			p.Value[i] = 0
		}
	}
}

// maskGrad zeroes the gradient of masked entries.
func (p *Param) maskGrad() {
	if p.Mask == nil {
		return
	}
	// A multiply, not a branch: masks are 0/1 and the pattern changes every
	// few entries, which a branch predictor keeps getting wrong. 0*NaN is
	// NaN, but a NaN gradient stops training anyway.
	g := p.Grad[:len(p.Mask)]
	for i, m := range p.Mask {
		g[i] *= m
	}
}

// ZeroGrad clears the accumulated gradients of all params.
func ZeroGrad(ps []*Param) {
	for _, p := range ps {
		clear(p.Grad)
	}
}

// GradNorm returns the global L2 norm of all gradients, accumulated in float64.
func GradNorm(ps []*Param) float64 {
	var s float64
	for _, p := range ps {
		for _, g := range p.Grad {
			s += float64(g) * float64(g)
		}
	}
	return math.Sqrt(s)
}

// ClipGradNorm rescales all gradients so that their global L2 norm is at most
// maxNorm, and returns the norm before clipping. maxNorm <= 0 disables it.
func ClipGradNorm(ps []*Param, maxNorm float64) float64 {
	n := GradNorm(ps)
	if maxNorm <= 0 || n <= maxNorm || n == 0 {
		return n
	}
	s := float32(maxNorm / n)
	for _, p := range ps {
		for i := range p.Grad {
			p.Grad[i] *= s
		}
	}
	return n
}

// CountParams returns the number of free (unmasked) entries.
func CountParams(ps []*Param) int {
	n := 0
	for _, p := range ps {
		if p.Mask == nil {
			n += len(p.Value)
			continue
		}
		for _, m := range p.Mask {
			if m != 0 {
				n++
			}
		}
	}
	return n
}

// Snapshot returns a deep copy of the parameter values, for keeping the best
// weights seen during training.
func Snapshot(ps []*Param) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = append([]float32(nil), p.Value...)
	}
	return out
}

// Restore writes a snapshot taken by Snapshot back into ps.
func Restore(ps []*Param, snap [][]float32) {
	for i, p := range ps {
		copy(p.Value, snap[i])
	}
}
