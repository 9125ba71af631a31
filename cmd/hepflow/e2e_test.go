package main

import (
	"context"
	"encoding/json"
	"hepflow/workflow/demo"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hepflow/data"
)

// TestEndToEndHIGGS trains on the real sample's background (all 28
// features), samples, and checks that generated events are in physical units
// and that held-out densities beat an independent Gaussian per feature.
func TestEndToEndHIGGS(t *testing.T) {
	dir := t.TempDir()
	sample := higgsSample(t, dir)
	ctx := context.Background()
	all, err := data.Read(ctx, sample, data.ReadOptions{Format: data.FormatHIGGS})
	if err != nil {
		t.Fatal(err)
	}
	bkg, err := demo.Select(all, "label==0", data.HiggsFeatures())
	if err != nil {
		t.Fatal(err)
	}
	trainTab, testTab := demo.Split(bkg, 0.2, 3)
	trainPath, testPath := filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv")
	for p, tab := range map[string]*data.Table{trainPath: trainTab, testPath: testTab} {
		if err := data.Write(p, tab, data.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	modelPath := filepath.Join(dir, "m.safetensors")
	out, stderr, code := hepflow(t, "train", "--data", trainPath, "--out", modelPath, "--epochs", "40", "--blocks", "3", "--hidden", "64,64", "--json")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &sum); err != nil {
		t.Fatalf("train --json: %v: %q", err, out)
	}
	genPath := filepath.Join(dir, "gen.parquet")
	if _, stderr, code := hepflow(t, "sample", "--model", modelPath, "-n", "5000", "--out", genPath, "--seed", "4"); code != 0 {
		t.Fatalf("sample: %s", stderr)
	}
	gen, err := data.Read(ctx, genPath, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gen.Rows() != 5000 || !slices.Equal(gen.Columns, data.HiggsFeatures()) {
		t.Fatalf("generated %d rows with columns %v", gen.Rows(), gen.Columns)
	}
	for _, b := range data.HiggsBTags() {
		want, _ := trainTab.Column(b)
		levels := map[float64]bool{}
		for _, v := range want {
			levels[v] = true
		}
		got, _ := gen.Column(b)
		seen := map[float64]bool{}
		for i, v := range got {
			if !levels[v] {
				t.Fatalf("%s of generated event %d is %v, not one of the training values %v", b, i, v, levels)
			}
			seen[v] = true
		}
		if len(levels) != 3 || len(seen) != 3 {
			t.Fatalf("%s: %d training levels, %d generated", b, len(levels), len(seen))
		}
	}
	for _, c := range gen.Columns {
		if strings.HasSuffix(c, "_pt") || strings.HasSuffix(c, "_pT") || c == "missing_energy_magnitude" || strings.HasPrefix(c, "m_") {
			col, _ := gen.Column(c)
			for i, v := range col {
				if v < 0 {
					t.Fatalf("%s of generated event %d is negative: %g", c, i, v)
				}
			}
		}
	}
	// Held-out log densities in physical units against the per-feature
	// independent Gaussian fitted to the training events.
	lpPath := filepath.Join(dir, "lp.csv")
	out, stderr, code = hepflow(t, "logprob", "--model", modelPath, "--data", testPath, "--out", lpPath, "--json")
	if code != 0 {
		t.Fatalf("logprob: %s", stderr)
	}
	var lp struct {
		Mean    float64 `json:"mean_logprob"`
		Outside int     `json:"outside_support"`
		Events  int     `json:"events"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &lp); err != nil {
		t.Fatal(err)
	}
	gauss := independentGaussianLogProb(trainTab, testTab)
	t.Logf("held-out mean log p: flow %.3f, independent Gaussian %.3f (%d of %d outside support)", lp.Mean, gauss, lp.Outside, lp.Events)
	if lp.Events != testTab.Rows() || lp.Outside > lp.Events/50 {
		t.Fatalf("logprob scored %d events with %d outside the support", lp.Events, lp.Outside)
	}
	// The b-tags alone make the Gaussian pay for spreading mass between
	// levels; 3 nats/event is far beyond the noise (sd of the mean ~0.3).
	if lp.Mean < gauss+3 {
		t.Fatalf("flow log p %.3f is not far better than the independent Gaussian's %.3f", lp.Mean, gauss)
	}
}

// independentGaussianLogProb is the mean log density of test under a product
// of per-feature Gaussians fitted to train.
func independentGaussianLogProb(train, test *data.Table) float64 {
	d := train.Cols()
	var total float64
	for j := 0; j < d; j++ {
		col := train.ColumnAt(j)
		var m, v float64
		for _, x := range col {
			m += x / float64(len(col))
		}
		for _, x := range col {
			v += (x - m) * (x - m) / float64(len(col))
		}
		for _, x := range test.ColumnAt(j) {
			total += -0.5*math.Log(2*math.Pi*v) - (x-m)*(x-m)/(2*v)
		}
	}
	return total / float64(test.Rows())
}
