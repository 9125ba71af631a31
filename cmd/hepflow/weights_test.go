package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hepflow/model"
	"hepflow/nn/blas"
)

func writeWeighted(t *testing.T, path string, n int, seed uint64, negFrac float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("x,y,w\n")
	for i := 0; i < n; i++ {
		w := 1.0
		if rng.Float64() < negFrac {
			w = -0.5
		}
		fmt.Fprintf(&b, "%g,%g,%g\n", rng.NormFloat64(), rng.NormFloat64()+2, w)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWeightedTrainingFromTwoInputs: --weight with negative weights and a
// second input scaled by @factor train, and the weight column is not a
// feature of the model.
func TestWeightedTrainingFromTwoInputs(t *testing.T) {
	dir := t.TempDir()
	mc, dat := filepath.Join(dir, "mc.csv"), filepath.Join(dir, "data.csv")
	writeWeighted(t, mc, 600, 1, 0.1)
	writeWeighted(t, dat, 300, 2, 0)
	out := filepath.Join(dir, "m.safetensors")
	stdout, stderr, code := hepflow(t, "train", "--data", mc, "--data", dat+"@0.5", "--weight", "w", "--out", out,
		"--epochs", "3", "--blocks", "2", "--hidden", "16", "--json")
	if code != 0 {
		t.Fatalf("weighted training failed: %s", stderr)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &s); err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(out, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Columns(), ","); got != "x,y" {
		t.Fatalf("model columns %s, want x,y (the weight column is not a feature)", got)
	}
	if m.Info.Data.Weight != "w" || len(m.Info.Data.Files) != 2 {
		t.Fatalf("data info not recorded: %+v", m.Info.Data)
	}
	// All weights negative: weighted maximum likelihood has no meaning.
	neg := filepath.Join(dir, "neg.csv")
	writeWeighted(t, neg, 100, 3, 1)
	_, stderr, code = hepflow(t, "train", "--data", neg, "--weight", "w", "--out", filepath.Join(dir, "n.safetensors"), "--epochs", "1")
	if code == 0 || !strings.Contains(stderr, "weights sum to") {
		t.Fatalf("negative total weight: exit %d, %s", code, stderr)
	}
	// A bad factor is a usage error.
	if _, _, code := hepflow(t, "train", "--data", mc+"@abc", "--out", filepath.Join(dir, "x.safetensors")); code != 2 {
		t.Fatalf("bad @factor: exit %d, want 2", code)
	}
}
