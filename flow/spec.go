package flow

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// Spec describes a flow's architecture completely: building a Spec twice gives
// the same transforms (random masks and permutations included). A model file
// stores the Spec with Structure filled in, so that it does not rely on the
// seed deriving the same permutations and masks in every hepflow version.
type Spec struct {
	// Kind is "maf" (MADE blocks, affine), "nsf" (MADE blocks,
	// rational-quadratic splines), "realnvp" (affine couplings) or
	// "nsf-coupling" (rational-quadratic spline couplings).
	Kind string `json:"kind"`
	// Dim is the number of features.
	Dim int `json:"dim"`
	// Context is the number of context inputs per event (0: an
	// unconditional flow): the flow models p(x | c).
	Context int `json:"context,omitempty"`
	// Blocks is the number of MAF blocks or couplings.
	Blocks int `json:"blocks"`
	// Hidden are the conditioner's hidden layer sizes.
	Hidden []int `json:"hidden"`
	// Activation is relu, tanh, elu or silu.
	Activation string `json:"activation"`
	// Permutation between MAF blocks: "reverse" (default) or "random".
	Permutation string `json:"permutation,omitempty"`
	// Mask of couplings: "alternating" (default) or "random".
	Mask string `json:"mask,omitempty"`
	// Bins and TailBound of the splines of nsf and nsf-coupling flows (0:
	// DefaultSplineBins, DefaultSplineBound).
	Bins      int     `json:"bins,omitempty"`
	TailBound float64 `json:"tail_bound,omitempty"`
	// ActNorm puts an ActNorm layer (initialised from the first training
	// batch) before every block, LU an LU-decomposed invertible linear map
	// (after the ActNorm, when both are set).
	ActNorm bool `json:"actnorm,omitempty"`
	LU      bool `json:"lu,omitempty"`
	// Seed drives the initial weights and any random masks or permutations.
	Seed uint64 `json:"seed"`
	// Structure, when set, gives every transform's permutation, coupling mask
	// and MADE degrees (see Layer) in place of deriving them; the seed still
	// draws the initial weights. nil (files before Structure existed, specs
	// from the command line): derive everything from the fields above.
	Structure []Layer `json:"structure,omitempty"`
}

// DefaultSpec is hepflow's default architecture: 5 blocks [128,128] as the
// standard MAF, but with tanh: on held-out HIGGS events ReLU conditioners,
// which extrapolate linearly into the tails, gave some events absurd
// densities (mean test NLL 8.2 to 1e13 nats over 4 splits), tanh 7.1-7.5.
func DefaultSpec(kind string, dim int) Spec {
	return Spec{Kind: kind, Dim: dim, Blocks: 5, Hidden: []int{128, 128}, Activation: "tanh"}
}

// Validate checks the spec and says what is wrong.
func (s Spec) Validate() error {
	switch {
	case !slices.Contains(Kinds, s.Kind):
		return fmt.Errorf("flow kind %q: want one of %s", s.Kind, strings.Join(Kinds, ", "))
	case s.Dim < 1:
		return fmt.Errorf("flow needs at least 1 feature, got %d", s.Dim)
	case s.Context < 0:
		return fmt.Errorf("flow context size %d: want 0 or more", s.Context)
	case s.coupling() && s.Dim < 2:
		return fmt.Errorf("%s needs at least 2 features, got %d (use maf or nsf)", s.Kind, s.Dim)
	case s.Blocks < 1:
		return fmt.Errorf("flow needs at least 1 block, got %d", s.Blocks)
	case len(s.Hidden) == 0:
		return fmt.Errorf("flow needs at least one hidden layer")
	}
	for _, h := range s.Hidden {
		if h < 1 {
			return fmt.Errorf("hidden layer sizes must be positive, got %v", s.Hidden)
		}
	}
	switch s.Permutation {
	case "", "reverse", "random":
	default:
		return fmt.Errorf("permutation %q: want reverse or random", s.Permutation)
	}
	switch s.Mask {
	case "", "alternating", "random":
	default:
		return fmt.Errorf("coupling mask %q: want alternating or random", s.Mask)
	}
	if _, err := nn.ActivationByName(s.Activation); err != nil {
		return err
	}
	if _, err := s.spline(); err != nil {
		return err
	}
	if s.Structure != nil {
		return s.validateStructure()
	}
	return nil
}

// Kinds are the flow kinds Build makes.
var Kinds = []string{"maf", "nsf", "realnvp", "nsf-coupling"}

// coupling reports whether the spec's blocks are couplings (else MADE blocks).
func (s Spec) coupling() bool { return s.Kind == "realnvp" || s.Kind == "nsf-coupling" }

// newMap returns a fresh per-coordinate map of the spec's kind.
func (s Spec) newMap() CoordMap {
	if s.Kind == "nsf" || s.Kind == "nsf-coupling" {
		sp, _ := s.spline()
		return NewSplineMap(sp)
	}
	return NewAffine(DefaultScaleBound)
}

// layerSpec is one transform of a spec's architecture: what kind of layer
// it is (the stored Layer type: "actnorm", "lu", "maf", "nsf", "coupling" or
// "permutation"), its tensor prefix (for a permutation: the block it
// follows, for messages) and its block's index. Build constructs this list
// and the stored structure is checked against it, so both always agree.
type layerSpec struct {
	typ   string
	name  string
	block int
}

// layers lists the transforms of the spec in ToLatent order: per block an
// optional ActNorm and LU, then the block (a MADE block of the spec's map,
// or a coupling), and between MADE blocks a permutation.
func (s Spec) layers() []layerSpec {
	var out []layerSpec
	for i := 0; i < s.Blocks; i++ {
		name := fmt.Sprintf("block%d", i)
		if s.ActNorm {
			out = append(out, layerSpec{"actnorm", fmt.Sprintf("actnorm%d", i), i})
		}
		if s.LU {
			out = append(out, layerSpec{"lu", fmt.Sprintf("lu%d", i), i})
		}
		if s.coupling() {
			out = append(out, layerSpec{"coupling", name, i})
			continue
		}
		out = append(out, layerSpec{s.Kind, name, i})
		if i+1 < s.Blocks && s.Dim > 1 {
			out = append(out, layerSpec{"permutation", name, i})
		}
	}
	return out
}

// Build constructs the flow of a spec over a N(0, I) base, with freshly
// initialised weights drawn from the spec's seed. With s.Structure set, the
// permutations and masks are the stored ones; the seed is consumed in the
// same order either way, so the initial weights do not depend on it.
func Build(s Spec, g blas.Gemm) (*Flow, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	act, _ := nn.ActivationByName(s.Activation)
	rng := rand.New(rand.NewPCG(s.Seed, 0x5eed))
	var ts []Transform
	for k, l := range s.layers() {
		var t Transform
		var err error
		switch l.typ {
		case "actnorm":
			t = NewActNorm(l.name, s.Dim)
		case "lu":
			t = NewLU(l.name, s.Dim)
		case "coupling":
			mask := AlternatingMask(s.Dim, l.block)
			if s.Mask == "random" {
				mask = RandomMask(s.Dim, rng)
			}
			if s.Structure != nil {
				mask = s.Structure[k].activeMask()
			}
			t, err = NewCouplingMap(l.name, mask, s.Context, s.Hidden, act, s.newMap(), g, rng)
		case "permutation":
			p := Reverse(s.Dim)
			if s.Permutation == "random" {
				p = RandomPermutation(s.Dim, rng)
			}
			if s.Structure != nil {
				p, err = NewPermutation(s.Structure[k].Perm)
			}
			t = p
		default: // a MADE block of the spec's map
			t, err = NewAutoregressive(l.name, l.typ, s.Dim, s.Context, s.Hidden, act, s.newMap(), g, rng)
		}
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	f, err := New(StdNormal{D: s.Dim}, ts...)
	if err != nil {
		return nil, err
	}
	f.ctx = s.Context
	f.spec, f.gemm = &s, g
	return f, nil
}

// spline is the spline map of a spline spec, with the defaults applied.
func (s Spec) spline() (RQSpline, error) {
	if s.Kind != "nsf" && s.Kind != "nsf-coupling" {
		if s.Bins != 0 || s.TailBound != 0 {
			return RQSpline{}, fmt.Errorf("bins and tail bound are for nsf and nsf-coupling flows, not %s", s.Kind)
		}
		return RQSpline{}, nil
	}
	k, b := s.Bins, s.TailBound
	if k == 0 {
		k = DefaultSplineBins
	}
	if b == 0 {
		b = DefaultSplineBound
	}
	return NewRQSpline(k, b)
}
