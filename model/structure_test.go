package model

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hepflow/flow"
	"hepflow/nn"
	"hepflow/nn/blas"
	"hepflow/preprocess"
)

// structData returns 4 correlated continuous columns and their scaler.
func structData(t *testing.T) (*preprocess.Scaler, []float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, 4))
	const rows = 400
	x := make([]float64, rows*4)
	for r := 0; r < rows; r++ {
		a, b := rng.NormFloat64(), rng.ExpFloat64()
		x[4*r], x[4*r+1], x[4*r+2], x[4*r+3] = a, b+a, a*a+rng.NormFloat64(), b-2*a
	}
	s, err := preprocess.Fit(x, rows, []string{"a", "b", "c", "d"}, preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, x
}

// structModel builds a model over structData with the given spec, whose
// weights are those of a flow trained for nothing but perturbed off their
// initial values, so every weight matters.
func structModel(t *testing.T, spec flow.Spec) (*Model, []float64) {
	t.Helper()
	s, x := structData(t)
	f, err := flow.Build(spec, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, p := range f.Params() {
		for i := range p.Value {
			p.Value[i] += float32(0.3 * rng.NormFloat64())
		}
		p.ApplyMask()
	}
	m, err := New(Info{Columns: []string{"a", "b", "c", "d"}, Spec: spec}, s, f)
	if err != nil {
		t.Fatal(err)
	}
	return m, x
}

func randomSpecs() map[string]flow.Spec {
	return map[string]flow.Spec{
		"maf":     {Kind: "maf", Dim: 4, Blocks: 3, Hidden: []int{8, 8}, Activation: "tanh", Permutation: "random", Seed: 11},
		"realnvp": {Kind: "realnvp", Dim: 4, Blocks: 3, Hidden: []int{8}, Activation: "tanh", Mask: "random", Seed: 12},
	}
}

func logProbs(t *testing.T, m *Model, x []float64) []float64 {
	t.Helper()
	rows := len(x) / m.Dim()
	lp := make([]float64, rows)
	if _, err := m.LogProb(lp, x, nil, rows, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	return lp
}

// writeRaw writes a model file as Save does, but with info as given (Save
// always stores the flow's own structure).
func writeRaw(t *testing.T, path string, info Info, f *flow.Flow) {
	t.Helper()
	meta, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := nn.WriteSafetensors(&buf, f.Params(), map[string]string{MetadataKey: string(meta), "format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// storedInfo reads the Info JSON of a model file without building anything.
func storedInfo(t *testing.T, path string) Info {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, meta, err := nn.ReadSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	var info Info
	if err := json.Unmarshal([]byte(meta[MetadataKey]), &info); err != nil {
		t.Fatal(err)
	}
	return info
}

func sameStructure(a, b []flow.Layer) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestStructureSavedAndLoaded(t *testing.T) {
	for name, spec := range randomSpecs() {
		t.Run(name, func(t *testing.T) {
			m, x := structModel(t, spec)
			path := filepath.Join(t.TempDir(), "m.safetensors")
			if err := Save(path, m); err != nil {
				t.Fatal(err)
			}
			want, err := m.Flow.Structure()
			if err != nil {
				t.Fatal(err)
			}
			stored := storedInfo(t, path).Spec.Structure
			if !sameStructure(stored, want) {
				t.Fatalf("file stores structure %+v, the flow has %+v", stored, want)
			}
			// Random structure that differs from the default one, so the
			// test would notice a load that fell back to it.
			random := false
			for i, l := range want {
				switch l.Type {
				case "permutation":
					random = random || !slices.Equal(l.Perm, []int{3, 2, 1, 0})
				case "coupling":
					random = random || !slices.Equal(l.Mask, []int{1 - i%2, i % 2, 1 - i%2, i % 2})
				}
			}
			if !random {
				t.Fatalf("seed %d gives the default structure %+v; pick another", spec.Seed, want)
			}
			m2, err := Load(path, blas.NewGo(1))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := m2.Flow.Structure()
			if !sameStructure(got, want) || !sameStructure(m2.Info.Spec.Structure, want) {
				t.Fatalf("loaded structure %+v, saved %+v", got, want)
			}
			lp1, lp2 := logProbs(t, m, x), logProbs(t, m2, x)
			for i := range lp1 {
				if lp1[i] != lp2[i] {
					t.Fatalf("row %d: log p %g before save, %g after", i, lp1[i], lp2[i])
				}
			}
		})
	}
}

// TestStoredStructureWins writes a file whose stored structure is not what
// the seed derives and checks that loading follows the file: the densities
// are those of a flow with the stored permutations/masks and the file's
// weights, not those of the seed's.
func TestStoredStructureWins(t *testing.T) {
	for name, spec := range randomSpecs() {
		t.Run(name, func(t *testing.T) {
			m, x := structModel(t, spec)
			st, _ := m.Flow.Structure()
			alt := slices.Clone(st)
			changed := false
			for i, l := range alt {
				switch l.Type {
				case "permutation": // rotate by one: another permutation
					p := append(slices.Clone(l.Perm[1:]), l.Perm[0])
					alt[i].Perm, changed = p, true
				case "coupling": // swap the halves: same sizes, other mask
					mk := make([]int, len(l.Mask))
					for j, v := range l.Mask {
						mk[j] = 1 - v
					}
					alt[i].Mask, changed = mk, true
				}
			}
			if !changed {
				t.Fatal("nothing to change")
			}
			// Reference: the stored structure assembled by hand (not by
			// Build, which is under test), with the file's weights.
			f2, err := flow.Build(spec, blas.NewGo(1))
			if err != nil {
				t.Fatal(err)
			}
			ts := slices.Clone(f2.Transforms)
			act, _ := nn.ActivationByName(spec.Activation)
			for i, l := range alt {
				switch l.Type {
				case "permutation":
					if ts[i], err = flow.NewPermutation(l.Perm); err != nil {
						t.Fatal(err)
					}
				case "coupling":
					mask := make([]bool, len(l.Mask))
					for j, v := range l.Mask {
						mask[j] = v == 1
					}
					if ts[i], err = flow.NewCoupling(l.Params, mask, 0, spec.Hidden, act, blas.NewGo(1), rand.New(rand.NewPCG(0, 0))); err != nil {
						t.Fatal(err)
					}
				}
			}
			f2, err = flow.New(flow.StdNormal{D: spec.Dim}, ts...)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range f2.Params() {
				if p.Name != m.Flow.Params()[i].Name {
					t.Fatalf("reference tensor %d is %s, the model's %s", i, p.Name, m.Flow.Params()[i].Name)
				}
				copy(p.Value, m.Flow.Params()[i].Value)
			}
			ref, err := New(m.Info, m.Scaler, f2)
			if err != nil {
				t.Fatal(err)
			}
			info := m.Info
			info.Spec.Structure = alt
			path := filepath.Join(t.TempDir(), "alt.safetensors")
			writeRaw(t, path, info, m.Flow)
			m2, err := Load(path, blas.NewGo(1))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := m2.Flow.Structure(); !sameStructure(got, alt) {
				t.Fatalf("loaded structure %+v, file holds %+v", got, alt)
			}
			seedLP, refLP, gotLP := logProbs(t, m, x), logProbs(t, ref, x), logProbs(t, m2, x)
			differ := false
			for i := range gotLP {
				if gotLP[i] != refLP[i] {
					t.Fatalf("row %d: log p %g, the stored structure gives %g (the seed's %g)", i, gotLP[i], refLP[i], seedLP[i])
				}
				differ = differ || gotLP[i] != seedLP[i]
			}
			if !differ {
				t.Fatal("the altered structure gives the seed's densities: the test proves nothing")
			}
			// Replicas (several workers) are built from the loaded spec too.
			if err := m2.Flow.SetWorkers(3); err != nil {
				t.Fatal(err)
			}
			for i, v := range logProbs(t, m2, x) {
				if v != refLP[i] {
					t.Fatalf("3 workers, row %d: log p %g, want %g", i, v, refLP[i])
				}
			}
		})
	}
}

// TestOldFormatLoads checks that files written before the structure was
// stored still load, re-deriving it from the seed.
func TestOldFormatLoads(t *testing.T) {
	for name, spec := range randomSpecs() {
		t.Run(name, func(t *testing.T) {
			m, x := structModel(t, spec)
			info := m.Info
			info.Spec.Structure = nil
			path := filepath.Join(t.TempDir(), "old.safetensors")
			writeRaw(t, path, info, m.Flow)
			b, _ := os.ReadFile(path)
			if bytes.Contains(b, []byte(`"structure"`)) {
				t.Fatal("old-format file holds a structure")
			}
			m2, err := Load(path, blas.NewGo(1))
			if err != nil {
				t.Fatal(err)
			}
			if m2.Info.Spec.Structure != nil {
				t.Fatalf("structure %+v read from an old file", m2.Info.Spec.Structure)
			}
			want, _ := m.Flow.Structure()
			if got, _ := m2.Flow.Structure(); !sameStructure(got, want) {
				t.Fatalf("re-derived structure %+v, want %+v", got, want)
			}
			lp1, lp2 := logProbs(t, m, x), logProbs(t, m2, x)
			for i := range lp1 {
				if lp1[i] != lp2[i] {
					t.Fatalf("row %d: log p %g before save, %g after", i, lp1[i], lp2[i])
				}
			}
		})
	}
}

func TestCorruptStructureRefused(t *testing.T) {
	specs := randomSpecs()
	mafM, _ := structModel(t, specs["maf"])
	nvpM, _ := structModel(t, specs["realnvp"])
	// maf structure: maf block0, permutation, maf block1, permutation, maf block2.
	// realnvp: coupling block0..block2.
	cases := []struct {
		name  string
		m     *Model
		edit  func(st []flow.Layer) []flow.Layer
		wants []string // substrings of the error, after the file name
	}{
		{"repeated index", mafM, func(st []flow.Layer) []flow.Layer {
			st[1].Perm = []int{0, 0, 1, 2}
			return st
		}, []string{"structure[1] (permutation after block0)", "perm[1] = 0: not a permutation of 0..3"}},
		{"index out of range", mafM, func(st []flow.Layer) []flow.Layer {
			st[3].Perm = []int{0, 1, 2, 4}
			return st
		}, []string{"structure[3] (permutation after block1)", "perm[3] = 4"}},
		{"short permutation", mafM, func(st []flow.Layer) []flow.Layer {
			st[1].Perm = []int{0, 1, 2}
			return st
		}, []string{"structure[1]", "perm has 3 entries, want 4"}},
		{"missing permutation", mafM, func(st []flow.Layer) []flow.Layer {
			st[1].Perm = nil
			return st
		}, []string{"structure[1]", "no perm"}},
		{"layer dropped", mafM, func(st []flow.Layer) []flow.Layer {
			return st[:4]
		}, []string{"flow structure has 4 transforms; a maf of 3 blocks over 4 features has 5"}},
		{"layers swapped", mafM, func(st []flow.Layer) []flow.Layer {
			st[0], st[1] = st[1], st[0]
			return st
		}, []string{"structure[0] (maf block0)", `type "permutation", want "maf"`}},
		{"MADE hidden degrees", mafM, func(st []flow.Layer) []flow.Layer {
			st[2].HiddenDegrees[1] = slices.Clone(st[2].HiddenDegrees[1])
			slices.Reverse(st[2].HiddenDegrees[1])
			return st
		}, []string{"structure[2] (maf block1)", "hidden_degrees[1][0] = 3"}},
		{"MADE input degrees", mafM, func(st []flow.Layer) []flow.Layer {
			st[0].InputDegrees = []int{4, 3, 2, 1}
			return st
		}, []string{"structure[0] (maf block0)", "input_degrees [4 3 2 1], want [1 2 3 4]"}},
		{"MADE params", mafM, func(st []flow.Layer) []flow.Layer {
			st[4].Params = "block7"
			return st
		}, []string{"structure[4] (maf block2)", `params "block7", want "block2"`}},
		{"mask all active", nvpM, func(st []flow.Layer) []flow.Layer {
			st[2].Mask = []int{1, 1, 1, 1}
			return st
		}, []string{"structure[2] (coupling block2)", "leaves the passive half (0) empty"}},
		{"mask all passive", nvpM, func(st []flow.Layer) []flow.Layer {
			st[0].Mask = []int{0, 0, 0, 0}
			return st
		}, []string{"structure[0] (coupling block0)", "leaves the transformed half (1) empty"}},
		{"mask not binary", nvpM, func(st []flow.Layer) []flow.Layer {
			st[1].Mask = []int{0, 2, 1, 0}
			return st
		}, []string{"structure[1] (coupling block1)", "mask[1] = 2, want 0 or 1"}},
		{"mask length", nvpM, func(st []flow.Layer) []flow.Layer {
			st[1].Mask = []int{0, 1, 1}
			return st
		}, []string{"structure[1]", "mask has 3 entries, want 4"}},
		{"perm on a coupling", nvpM, func(st []flow.Layer) []flow.Layer {
			st[1].Perm = []int{0, 1, 2, 3}
			return st
		}, []string{"structure[1]", "unexpected perm for a coupling"}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, _ := c.m.Flow.Structure()
			info := c.m.Info
			info.Spec.Structure = c.edit(st)
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".safetensors")
			writeRaw(t, path, info, c.m.Flow)
			_, err := Load(path, blas.NewGo(1))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error does not name the file: %s", msg)
			}
			for _, w := range c.wants {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
	// A value that is not an integer fails in the JSON, naming the field.
	st, _ := nvpM.Flow.Structure()
	info := nvpM.Info
	info.Spec.Structure = st
	meta, _ := json.Marshal(info)
	i := bytes.Index(meta, []byte(`"mask":[`)) + len(`"mask":[`)
	meta = slices.Concat(meta[:i], []byte("0.5"), meta[i+1:])
	var buf bytes.Buffer
	if err := nn.WriteSafetensors(&buf, nvpM.Flow.Params(), map[string]string{MetadataKey: string(meta)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "fraction.safetensors")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, blas.NewGo(1)); err == nil || !strings.Contains(err.Error(), "structure.mask") || !strings.Contains(err.Error(), path) {
		t.Fatalf("fractional mask: error %v", err)
	}
}

// TestSaveRefusesMismatchedSpec: a model whose Info.Spec does not describe
// its flow would write a file that cannot be loaded; Save says so instead.
func TestSaveRefusesMismatchedSpec(t *testing.T) {
	m, _ := structModel(t, randomSpecs()["maf"])
	m.Info.Spec.Blocks = 2
	err := Save(filepath.Join(t.TempDir(), "m.safetensors"), m)
	if err == nil || !strings.Contains(err.Error(), "does not match its spec") {
		t.Fatalf("error %v", err)
	}
}
