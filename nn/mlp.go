package nn

import (
	"fmt"
	"math/rand/v2"

	"hepflow/nn/blas"
)

// MLP is a stack of dense layers with one activation between them (none after
// the last). It keeps the activations of the last Forward call for Backward.
type MLP struct {
	Layers []*Dense
	Act    Activation

	rows int
	x    []float32   // input of the last Forward (not owned)
	pre  [][]float32 // pre-activations of hidden layers (only if !Act.FromOutput())
	post [][]float32 // outputs of hidden layers
	gh   [][]float32 // gradient buffers of hidden layers
}

// NewMLP builds an MLP with the given layer sizes (sizes[0] inputs,
// sizes[len-1] outputs). masks, if not nil, holds one mask per layer (nil for
// a dense layer).
func NewMLP(name string, sizes []int, masks [][]float32, act Activation, rng *rand.Rand) (*MLP, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("mlp %s: need at least input and output sizes, got %v", name, sizes)
	}
	m := &MLP{Act: act}
	for i := 0; i+1 < len(sizes); i++ {
		if sizes[i] <= 0 || sizes[i+1] <= 0 {
			return nil, fmt.Errorf("mlp %s: layer sizes must be positive, got %v", name, sizes)
		}
		var mask []float32
		if masks != nil {
			mask = masks[i]
		}
		m.Layers = append(m.Layers, NewDense(fmt.Sprintf("%s.%d", name, i), sizes[i], sizes[i+1], mask, rng))
	}
	return m, nil
}

// In is the number of inputs.
func (m *MLP) In() int { return m.Layers[0].In }

// Out is the number of outputs.
func (m *MLP) Out() int { return m.Layers[len(m.Layers)-1].Out }

// Params returns all layer parameters in order.
func (m *MLP) Params() []*Param {
	var ps []*Param
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

func (m *MLP) ensure(rows int) {
	if rows <= m.rows && m.post != nil {
		return
	}
	nh := len(m.Layers) - 1
	m.post = make([][]float32, nh)
	m.gh = make([][]float32, nh)
	m.pre = make([][]float32, nh)
	for i := 0; i < nh; i++ {
		n := rows * m.Layers[i].Out
		m.post[i] = make([]float32, n)
		m.gh[i] = make([]float32, n)
		if !m.Act.FromOutput() {
			m.pre[i] = make([]float32, n)
		}
	}
	m.rows = rows
}

// Forward writes the network output for x (rows x In) into out (rows x Out)
// and remembers x and the hidden activations for Backward.
func (m *MLP) Forward(g blas.Gemm, out, x []float32, rows int) {
	m.ensure(rows)
	m.x = x
	in := x
	last := len(m.Layers) - 1
	for i, l := range m.Layers {
		if i == last {
			l.Forward(g, out, in, rows)
			break
		}
		n := rows * l.Out
		h := m.post[i][:n]
		if fa, ok := m.Act.(biasActivation); ok {
			// One pass over the layer output instead of two.
			l.product(g, h, in, rows)
			fa.applyBias(h, l.B.Value, rows)
		} else if m.Act.FromOutput() {
			l.Forward(g, h, in, rows)
			m.Act.Apply(h, h)
		} else {
			p := m.pre[i][:n]
			l.Forward(g, p, in, rows)
			m.Act.Apply(h, p)
		}
		in = h
	}
}

// Backward takes gout = dL/dout for the last Forward, accumulates parameter
// gradients and, when gx is not nil, writes dL/dx. gout is not modified.
func (m *MLP) Backward(g blas.Gemm, gx, gout []float32, rows int) {
	last := len(m.Layers) - 1
	gy := gout
	for i := last; i >= 0; i-- {
		l := m.Layers[i]
		in := m.x
		if i > 0 {
			in = m.post[i-1][:rows*l.In]
		}
		var gin []float32
		if i > 0 {
			gin = m.gh[i-1][:rows*l.In]
		} else {
			gin = gx
		}
		l.Backward(g, gin, gy, in, rows)
		if i > 0 {
			var pre []float32
			if m.pre[i-1] != nil {
				pre = m.pre[i-1][:rows*l.In]
			}
			m.Act.Grad(gin, pre, m.post[i-1][:rows*l.In])
			gy = gin
		}
	}
}
