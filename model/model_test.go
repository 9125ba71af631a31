package model

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hepflow/flow"
	"hepflow/nn/blas"
	"hepflow/preprocess"
)

func testModel(t *testing.T) (*Model, []float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	const rows = 500
	x := make([]float64, rows*3)
	for r := 0; r < rows; r++ {
		a := rng.ExpFloat64()
		x[3*r] = a
		x[3*r+1] = a + rng.NormFloat64()
		x[3*r+2] = float64(rng.IntN(3)) * 1.5 // discrete
	}
	s, err := preprocess.Fit(x, rows, []string{"pt", "eta", "tag"}, preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := flow.Build(flow.Spec{Kind: "maf", Dim: 3, Blocks: 2, Hidden: []int{8}, Activation: "relu", Seed: 3}, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Info{Columns: []string{"pt", "eta", "tag"}, Spec: flow.Spec{Kind: "maf", Dim: 3, Blocks: 2, Hidden: []int{8}, Activation: "relu", Seed: 3}}, s, f)
	if err != nil {
		t.Fatal(err)
	}
	return m, x
}

func TestSaveLoadSameDensity(t *testing.T) {
	m, x := testModel(t)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := Save(path, m); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(path, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	lp1, lp2 := make([]float64, 500), make([]float64, 500)
	if _, err := m.LogProb(lp1, x, nil, 500, rand.New(rand.NewPCG(2, 2))); err != nil {
		t.Fatal(err)
	}
	if _, err := m2.LogProb(lp2, x, nil, 500, rand.New(rand.NewPCG(2, 2))); err != nil {
		t.Fatal(err)
	}
	for i := range lp1 {
		if lp1[i] != lp2[i] {
			t.Fatalf("row %d: log p %g before save, %g after", i, lp1[i], lp2[i])
		}
	}
	if m2.Info.Hepflow != Version || m2.Info.Columns[2] != "tag" {
		t.Fatalf("info not kept: %+v", m2.Info)
	}
}

func TestSampleInPhysicalUnits(t *testing.T) {
	m, _ := testModel(t)
	out := make([]float64, 3*5000)
	if err := m.Sample(out, nil, 5000, rand.New(rand.NewPCG(3, 3))); err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 5000; r++ {
		if v := out[3*r+2]; v != 0 && v != 1.5 && v != 3 {
			t.Fatalf("row %d: discrete column sampled %g, not one of 0, 1.5, 3", r, v)
		}
	}
}

// TestUnseenLevelIsMinusInf: a discrete value never seen in training has mass
// zero and is counted as such; a continuous value far beyond the training
// range still has a finite density (the scaling's tails).
func TestUnseenLevelIsMinusInf(t *testing.T) {
	m, x := testModel(t)
	x = append([]float64(nil), x[:9]...)
	x[3+2] = 0.7  // not a training level
	x[6+0] = 1e9  // far beyond the continuous range
	x[6+1] = -1e9 // and below it
	lp := make([]float64, 3)
	n, err := m.LogProb(lp, x, nil, 3, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if n != (Unscored{UnseenLevel: 1}) || !math.IsInf(lp[1], -1) || math.IsInf(lp[0], 0) || math.IsInf(lp[2], 0) || math.IsNaN(lp[2]) {
		t.Fatalf("unscored %+v, log p = %v", n, lp)
	}
	if lp[2] >= lp[0] {
		t.Errorf("event far beyond the range: log p %v, not below the in-range event's %v", lp[2], lp[0])
	}
}

func TestCorruptFilesRefused(t *testing.T) {
	m, _ := testModel(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := Save(good, m); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	cases := map[string][]byte{
		"garbage":   []byte("garbage\n"),
		"empty":     {},
		"truncated": b[:len(b)-10],
		"huge header length": func() []byte {
			c := append([]byte(nil), b...)
			binary.LittleEndian.PutUint64(c, 1<<40)
			return c
		}(),
		"foreign": func() []byte {
			h := []byte(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`)
			c := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
			return append(append(c, h...), 0, 0, 0, 0)
		}(),
		"bad metadata": bytes.Replace(b, []byte("hepflow-model"), []byte("hepflow-mode!"), 1),
	}
	for name, c := range cases {
		if _, err := Decode(c, blas.NewGo(1)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.TrimSpace(err.Error()) == "" {
			t.Errorf("%s: empty error", name)
		}
	}
}

// TestEveryFiniteValueHasADensity: however absurd a finite value of a
// continuous column (1e39 overflows float32, 1e300 nearly float64), the model
// gives the event a finite log density, under every scaling.
func TestEveryFiniteValueHasADensity(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const rows = 500
	x := make([]float64, rows*2)
	for r := range rows {
		x[2*r] = 20 + 10*rng.ExpFloat64() // positive, with a cut
		x[2*r+1] = rng.NormFloat64()      // unbounded
	}
	spec := flow.Spec{Kind: "maf", Dim: 2, Blocks: 2, Hidden: []int{8}, Activation: "tanh", Seed: 3}
	for _, sc := range []string{preprocess.ScalingAuto, preprocess.ScalingAsinh, preprocess.ScalingLogit, preprocess.ScalingSeed} {
		s, err := preprocess.Fit(x, rows, []string{"pt", "eta"}, preprocess.Options{Scaling: sc})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := flow.Build(spec, blas.NewGo(1))
		m, err := New(Info{Columns: []string{"pt", "eta"}, Spec: spec}, s, f)
		if err != nil {
			t.Fatal(err)
		}
		var ev []float64
		for _, v := range []float64{0, -1, 19, -1e27, 1e39, -1e39, 1e300, -1e300, math.MaxFloat64, -math.MaxFloat64} {
			ev = append(ev, v, 0.5, 25, v)
		}
		n := len(ev) / 2
		lp := make([]float64, n)
		un, err := m.LogProb(lp, ev, nil, n, nil)
		if err != nil || un.Total() != 0 {
			t.Fatalf("%s: %v, unscored %v", sc, err, un)
		}
		for i, v := range lp {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: event (%g, %g): log p = %v", sc, ev[2*i], ev[2*i+1], v)
			}
		}
	}
}
