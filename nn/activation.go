package nn

import (
	"fmt"

	"hepflow/nn/vec"
)

// Activation is an elementwise non-linearity with its derivative.
type Activation interface {
	// Name is the name used in model files ("relu", "tanh", "elu", "silu").
	Name() string
	// Apply writes f(pre) into post. post and pre may be the same slice when
	// FromOutput is true.
	Apply(post, pre []float32)
	// Grad multiplies g in place by f'(pre), given pre and post = f(pre).
	Grad(g, pre, post []float32)
	// FromOutput reports whether the derivative can be computed from post
	// alone, so the layer can work in place and skip storing pre.
	FromOutput() bool
}

// ActivationByName returns the activation with the given name.
func ActivationByName(name string) (Activation, error) {
	switch name {
	case "relu":
		return ReLU{}, nil
	case "tanh":
		return Tanh{}, nil
	case "elu":
		return ELU{}, nil
	case "silu":
		return SiLU{}, nil
	}
	return nil, fmt.Errorf("unknown activation %q (want relu, tanh, elu or silu)", name)
}

// biasActivation is an activation that can add a per-column bias and apply
// itself in one pass, in place, over rows of len(b) values.
type biasActivation interface {
	applyBias(y, b []float32, rows int)
}

// ReLU is max(0, x).
type ReLU struct{}

// Name implements Activation.
func (ReLU) Name() string { return "relu" }

// FromOutput implements Activation.
func (ReLU) FromOutput() bool { return true }

// Apply implements Activation: max(pre, 0), with -0 and negative NaNs
// becoming +0 as in the fused forward pass (vec.Relu).
func (ReLU) Apply(post, pre []float32) { vec.Relu(post, pre) }

// Grad implements Activation: g is cut where post is zero (vec.ReluGradMask,
// branch-free, vectorised where the CPU allows).
func (ReLU) Grad(g, _, post []float32) {
	vec.ReluGradMask(g, post)
}

// applyBias is vec.ReluBias: a NaN sum with its sign bit set becomes 0.
func (ReLU) applyBias(y, b []float32, rows int) {
	vec.ReluBias(y, b, rows)
}

// Tanh is the hyperbolic tangent.
type Tanh struct{}

// Name implements Activation.
func (Tanh) Name() string { return "tanh" }

// FromOutput implements Activation.
func (Tanh) FromOutput() bool { return true }

// Apply implements Activation.
func (Tanh) Apply(post, pre []float32) { vec.TanhScaled(post, pre, 1) }

// Grad implements Activation.
func (Tanh) Grad(g, _, post []float32) {
	post = post[:len(g)]
	for i, v := range post {
		g[i] *= 1 - v*v
	}
}

func (Tanh) applyBias(y, b []float32, rows int) {
	n := len(b)
	addBias(y, b, rows)
	vec.TanhScaled(y[:rows*n], y[:rows*n], 1)
}

// ELU is x for x > 0 and exp(x)-1 otherwise.
type ELU struct{}

// Name implements Activation.
func (ELU) Name() string { return "elu" }

// FromOutput implements Activation.
func (ELU) FromOutput() bool { return true }

// Apply implements Activation.
func (ELU) Apply(post, pre []float32) {
	post = post[:len(pre)]
	for i, v := range pre {
		if v > 0 {
			post[i] = v
		} else {
			post[i] = vec.Exp32(v) - 1
		}
	}
}

// Grad implements Activation.
func (ELU) Grad(g, _, post []float32) {
	post = post[:len(g)]
	for i, v := range post {
		if v <= 0 {
			g[i] *= v + 1
		}
	}
}

// SiLU is x*sigmoid(x).
type SiLU struct{}

// Name implements Activation.
func (SiLU) Name() string { return "silu" }

// FromOutput implements Activation.
func (SiLU) FromOutput() bool { return false }

// Apply implements Activation.
func (SiLU) Apply(post, pre []float32) {
	post = post[:len(pre)]
	for i, v := range pre {
		post[i] = v / (1 + vec.Exp32(-v))
	}
}

// Grad implements Activation.
func (SiLU) Grad(g, pre, _ []float32) {
	pre = pre[:len(g)]
	for i, v := range pre {
		s := 1 / (1 + vec.Exp32(-v))
		g[i] *= s * (1 + v*(1-s))
	}
}
