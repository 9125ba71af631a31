package flow

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"hepflow/nn"
)

// MADEDegrees returns the degrees of the seed talk's MADE: inputs 1..D,
// hidden units cycling 1..D-1, and nOut*D outputs where output j has degree
// j%D + 1 (so each coordinate's parameters come in blocks of D). With context
// inputs (ctx > 0, degree 0) the hidden units cycle 0..D-1 instead: units of
// degree 0 see the context alone, and without them the first coordinate's
// parameters (degree 1: fed by units of degree < 1) could not depend on the
// context at all, the bug that silently dropped the context of a D=1 flow in
// a peer library.
//
// Hidden units are exchangeable, so their order is only a labelling: they
// are listed sorted by degree (the cycle's multiset of degrees, in order).
// Then "units of degree <= k" is a prefix of each layer, which is what lets
// the inverse run as one masked pass of prefix products (madeInverter).
func MADEDegrees(d, ctx int, hidden []int, nOut int) (in []int, hid [][]int, out []int) {
	in = make([]int, d)
	for i := range in {
		in[i] = i + 1
	}
	cyc, lo := max(d-1, 1), 1
	if ctx > 0 {
		cyc, lo = d, 0
	}
	for _, h := range hidden {
		dh := make([]int, h)
		for k := range dh {
			dh[k] = k%cyc + lo
		}
		slices.Sort(dh)
		hid = append(hid, dh)
	}
	out = make([]int, nOut*d)
	for j := range out {
		out[j] = j%d + 1
	}
	return in, hid, out
}

// MADEMasks returns one mask per layer in the In x Out layout of nn.Dense:
// hidden masks connect i -> j when deg_j >= deg_i, the output mask when
// deg_j > deg_i, so output d depends only on inputs < d. ctx context inputs
// come first, with degree 0: they reach every hidden unit of the first
// layer, so every output may depend on them.
func MADEMasks(d, ctx int, hidden []int, nOut int) [][]float32 {
	in, hid, out := MADEDegrees(d, ctx, hidden, nOut)
	in = append(make([]int, ctx), in...)
	layers := append([][]int{in}, hid...)
	layers = append(layers, out)
	masks := make([][]float32, len(layers)-1)
	for l := 0; l+1 < len(layers); l++ {
		a, b := layers[l], layers[l+1]
		m := make([]float32, len(a)*len(b))
		strict := l+1 == len(layers)-1
		for i, di := range a {
			for j, dj := range b {
				if dj > di || (!strict && dj == di) {
					m[i*len(b)+j] = 1
				}
			}
		}
		masks[l] = m
	}
	return masks
}

// NewMADE returns a masked MLP with ctx+d inputs (the context, then the
// features) and nOut*d outputs whose output d' depends only on the context
// and the features before d' (autoregressive in the natural order).
func NewMADE(name string, d, ctx int, hidden []int, nOut int, act nn.Activation, rng *rand.Rand) (*nn.MLP, error) {
	if d < 1 {
		return nil, fmt.Errorf("made: need at least 1 feature, got %d", d)
	}
	if ctx < 0 {
		return nil, fmt.Errorf("made: negative context size %d", ctx)
	}
	sizes := append(append([]int{ctx + d}, hidden...), nOut*d)
	return nn.NewMLP(name, sizes, MADEMasks(d, ctx, hidden, nOut), act, rng)
}
