package flow

import (
	"fmt"
	"math/rand/v2"

	"hepflow/nn"
)

// Permutation reorders features: z[:, j] = x[:, Perm[j]]. Its log-det is 0.
type Permutation struct {
	perm []int
	inv  []int
}

// NewPermutation checks that perm is a permutation of 0..len-1.
func NewPermutation(perm []int) (*Permutation, error) {
	inv := make([]int, len(perm))
	seen := make([]bool, len(perm))
	for j, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			return nil, fmt.Errorf("permutation: %v is not a permutation of 0..%d", perm, len(perm)-1)
		}
		seen[p] = true
		inv[p] = j
	}
	return &Permutation{perm: append([]int(nil), perm...), inv: inv}, nil
}

// Reverse returns the permutation that reverses d features.
func Reverse(d int) *Permutation {
	p := make([]int, d)
	for j := range p {
		p[j] = d - 1 - j
	}
	q, _ := NewPermutation(p)
	return q
}

// RandomPermutation returns a seeded random permutation of d features.
func RandomPermutation(d int, rng *rand.Rand) *Permutation {
	q, _ := NewPermutation(rng.Perm(d))
	return q
}

// Perm returns the permutation (z[:, j] = x[:, Perm()[j]]).
func (p *Permutation) Perm() []int { return append([]int(nil), p.perm...) }

// Dim implements Transform.
func (p *Permutation) Dim() int { return len(p.perm) }

// Params implements Transform.
func (p *Permutation) Params() []*nn.Param { return nil }

func gatherRows(dst, src []float32, idx []int, rows int) {
	d := len(idx)
	for r := 0; r < rows; r++ {
		s, t := src[r*d:r*d+d], dst[r*d:r*d+d]
		for j, k := range idx {
			t[j] = s[k]
		}
	}
}

// ToLatent implements Transform.
func (p *Permutation) ToLatent(z, x, _ []float32, rows int, _ []float64) {
	gatherRows(z, x, p.perm, rows)
}

// ToData implements Transform.
func (p *Permutation) ToData(x, z, _ []float32, rows int, _ []float64) { gatherRows(x, z, p.inv, rows) }

// Backward implements Transform.
func (p *Permutation) Backward(gx, gz []float32, _ []float64, rows int) {
	if gx != nil {
		gatherRows(gx, gz, p.inv, rows)
	}
}
