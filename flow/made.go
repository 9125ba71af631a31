package flow

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"hepflow/nn"
)

// MADEDegrees returns the degrees of the seed talk's MADE: inputs 1..D,
// hidden units cycling 1..D-1, and nOut*D outputs where output j has degree
// j%D + 1 (so each coordinate's parameters come in blocks of D).
//
// Hidden units are exchangeable, so their order is only a labelling: they
// are listed sorted by degree (the cycle's multiset of degrees, in order).
// Then "units of degree <= k" is a prefix of each layer, which is what lets
// the MAF inverse run as one masked pass of prefix products (madeInverter).
func MADEDegrees(d int, hidden []int, nOut int) (in []int, hid [][]int, out []int) {
	in = make([]int, d)
	for i := range in {
		in[i] = i + 1
	}
	cyc := max(d-1, 1)
	for _, h := range hidden {
		dh := make([]int, h)
		for k := range dh {
			dh[k] = k%cyc + 1
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
// deg_j > deg_i, so output d depends only on inputs < d.
func MADEMasks(d int, hidden []int, nOut int) [][]float32 {
	in, hid, out := MADEDegrees(d, hidden, nOut)
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

// NewMADE returns a masked MLP with d inputs and nOut*d outputs whose output
// d' depends only on inputs before d' (autoregressive in the natural order).
func NewMADE(name string, d int, hidden []int, nOut int, act nn.Activation, rng *rand.Rand) (*nn.MLP, error) {
	if d < 1 {
		return nil, fmt.Errorf("made: need at least 1 feature, got %d", d)
	}
	sizes := append(append([]int{d}, hidden...), nOut*d)
	return nn.NewMLP(name, sizes, MADEMasks(d, hidden, nOut), act, rng)
}
