package flow

import (
	"fmt"
	"slices"
	"strings"

	"hepflow/nn"
)

// Layer holds the structural constants of one transform of a built flow:
// what Build derives from the spec (permutations and coupling masks from the
// seed, MADE degrees from the sizes) rather than learns. A model file stores
// one Layer per transform, in ToLatent order, as Spec.Structure, so loading it
// does not depend on Build deriving them the same way (math/rand/v2 streams,
// the order of draws, the MADE layout).
//
// In JSON (the model file's "flow" object, key "structure"), e.g.
//
//	{"type": "maf", "params": "block0", "input_degrees": [1, 2, 3], "hidden_degrees": [[1, 1, 2, 2]]}
//	{"type": "permutation", "perm": [2, 0, 1]}
//	{"type": "coupling", "params": "block1", "mask": [1, 0, 1]}
//
// Each field is a plain list of integers, so numpy reads it with np.array.
type Layer struct {
	// Type is "maf", "nsf", "permutation", "coupling", "actnorm" or "lu".
	Type string `json:"type"`
	// Params is the name prefix of the transform's tensors ("block0" for
	// block0.0.w, block0.0.b, ...); empty for a permutation.
	Params string `json:"params,omitempty"`
	// Perm of a permutation: z[:, j] = x[:, Perm[j]] (numpy: z = x[:, perm]).
	Perm []int `json:"perm,omitempty"`
	// Mask of a coupling: 1 for the transformed (active) coordinates, 0 for
	// the passive ones that feed the conditioner (in increasing index order).
	Mask []int `json:"mask,omitempty"`
	// InputDegrees and HiddenDegrees are the degrees of a MAF or NSF block's
	// MADE (feature inputs in natural order; one list per hidden layer).
	// Context inputs, when the flow has any, come before the features in
	// the first layer's rows and have degree 0. Output j of the P*D outputs
	// (parameter 1 of every dimension, then parameter 2, ...: for the affine
	// map mu_1..mu_D, then alpha_1..alpha_D) has degree j%D+1. Weight
	// W[i][j] of a hidden layer (stored In x Out) is kept when
	// deg_out[j] >= deg_in[i], of the output layer when deg_out[j] > deg_in[i].
	InputDegrees  []int   `json:"input_degrees,omitempty"`
	HiddenDegrees [][]int `json:"hidden_degrees,omitempty"`
}

// Structure returns the structural constants of f's transforms, one Layer
// per transform, as Build(spec with Structure set) uses them. It fails for a
// transform Build does not make.
func (f *Flow) Structure() ([]Layer, error) {
	out := make([]Layer, 0, len(f.Transforms))
	for i, t := range f.Transforms {
		switch t := t.(type) {
		case *Autoregressive:
			out = append(out, madeLayer(t.kind, t.made, t.d, t.ctx))
		case *Permutation:
			out = append(out, Layer{Type: "permutation", Perm: t.Perm()})
		case *ActNorm:
			out = append(out, Layer{Type: "actnorm", Params: strings.TrimSuffix(t.b.Name, ".shift")})
		case *LU:
			out = append(out, Layer{Type: "lu", Params: strings.TrimSuffix(t.l.Name, ".lower")})
		case *Coupling:
			m := make([]int, t.d)
			for _, j := range t.active {
				m[j] = 1
			}
			out = append(out, Layer{Type: "coupling", Params: strings.TrimSuffix(t.net.Layers[0].W.Name, ".0.w"), Mask: m})
		default:
			return nil, fmt.Errorf("flow: transform %d (%T) has no stored structure", i, t)
		}
	}
	return out, nil
}

// madeLayer is the stored structure of an autoregressive block: its MADE's
// input and hidden degrees (they do not depend on the outputs per coordinate).
func madeLayer(typ string, made *nn.MLP, d, ctx int) Layer {
	hidden := make([]int, len(made.Layers)-1)
	for l := range hidden {
		hidden[l] = made.Layers[l].Out
	}
	in, hid, _ := MADEDegrees(d, ctx, hidden, 2)
	return Layer{Type: typ, Params: strings.TrimSuffix(made.Layers[0].W.Name, ".0.w"), InputDegrees: in, HiddenDegrees: hid}
}

// activeMask returns a coupling layer's mask as Build's []bool.
func (l *Layer) activeMask() []bool {
	m := make([]bool, len(l.Mask))
	for j, v := range l.Mask {
		m[j] = v == 1
	}
	return m
}

// validateStructure checks s.Structure against the rest of the spec: one
// layer per transform Build makes, of the right type and size, each a valid
// permutation, coupling mask or MADE layout. Errors name the layer.
func (s Spec) validateStructure() error {
	var want []Layer
	for _, l := range s.layers() {
		want = append(want, Layer{Type: l.typ, Params: l.name}) // a permutation's Params: only for the message
	}
	if len(s.Structure) != len(want) {
		return fmt.Errorf("flow structure has %d transforms; a %s of %d blocks over %d features has %d", len(s.Structure), s.Kind, s.Blocks, s.Dim, len(want))
	}
	for k := range s.Structure {
		l, w := &s.Structure[k], want[k]
		what := w.Type + " " + w.Params
		if w.Type == "permutation" {
			what = "permutation after " + w.Params
		}
		if err := s.validateLayer(l, w); err != nil {
			return fmt.Errorf("flow structure[%d] (%s): %w", k, what, err)
		}
	}
	return nil
}

func (s Spec) validateLayer(l *Layer, w Layer) error {
	if l.Type != w.Type {
		return fmt.Errorf("type %q, want %q", l.Type, w.Type)
	}
	if w.Type != "permutation" && l.Params != w.Params {
		return fmt.Errorf("params %q, want %q", l.Params, w.Params)
	}
	has := map[string]bool{"params": l.Params != "", "perm": l.Perm != nil, "mask": l.Mask != nil,
		"input_degrees": l.InputDegrees != nil, "hidden_degrees": l.HiddenDegrees != nil}
	need := map[string][]string{"permutation": {"perm"}, "coupling": {"params", "mask"}, "maf": {"params", "input_degrees", "hidden_degrees"},
		"nsf": {"params", "input_degrees", "hidden_degrees"}, "actnorm": {"params"}, "lu": {"params"}}[w.Type]
	for _, f := range []string{"params", "perm", "mask", "input_degrees", "hidden_degrees"} {
		if has[f] != slices.Contains(need, f) {
			if has[f] {
				return fmt.Errorf("unexpected %s for a %s", f, w.Type)
			}
			return fmt.Errorf("no %s", f)
		}
	}
	d := s.Dim
	switch w.Type {
	case "permutation":
		if len(l.Perm) != d {
			return fmt.Errorf("perm has %d entries, want %d", len(l.Perm), d)
		}
		seen := make([]bool, d)
		for j, p := range l.Perm {
			if p < 0 || p >= d || seen[p] {
				return fmt.Errorf("perm[%d] = %d: not a permutation of 0..%d", j, p, d-1)
			}
			seen[p] = true
		}
	case "coupling":
		if len(l.Mask) != d {
			return fmt.Errorf("mask has %d entries, want %d", len(l.Mask), d)
		}
		active := 0
		for j, v := range l.Mask {
			if v != 0 && v != 1 {
				return fmt.Errorf("mask[%d] = %d, want 0 or 1", j, v)
			}
			active += v
		}
		if active == 0 {
			return fmt.Errorf("mask leaves the transformed half (1) empty; a coupling needs both halves")
		}
		if active == d {
			return fmt.Errorf("mask leaves the passive half (0) empty; a coupling needs both halves")
		}
	case "maf", "nsf":
		// The MAF inverse (madeInverter) is built for the layout MADEDegrees
		// gives, so a MADE laid out otherwise cannot be loaded: refuse it
		// rather than mask its weights differently.
		in, hid, _ := MADEDegrees(d, s.Context, s.Hidden, 2)
		if !slices.Equal(l.InputDegrees, in) {
			return fmt.Errorf("input_degrees %v, want %v (inputs in natural order)", l.InputDegrees, in)
		}
		if len(l.HiddenDegrees) != len(hid) {
			return fmt.Errorf("hidden_degrees has %d layers, want %d", len(l.HiddenDegrees), len(hid))
		}
		for h, dh := range l.HiddenDegrees {
			if len(dh) != len(hid[h]) {
				return fmt.Errorf("hidden_degrees[%d] has %d units, want %d", h, len(dh), len(hid[h]))
			}
			for u, v := range dh {
				if v != hid[h][u] {
					return fmt.Errorf("hidden_degrees[%d][%d] = %d, but this hepflow's MADE has degree %d there (units sorted by degree): the file needs the hepflow version that wrote it", h, u, v, hid[h][u])
				}
			}
		}
	}
	return nil
}
