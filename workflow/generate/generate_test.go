package generate

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"hepflow/flow"
	"hepflow/model"
	"hepflow/nn/blas"
	"hepflow/preprocess"
)

func testModel(t *testing.T) *model.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 0, 600)
	for range 300 {
		a := rng.NormFloat64()
		x = append(x, a, a+rng.NormFloat64())
	}
	s, err := preprocess.Fit(x, 300, []string{"a", "b"}, preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	spec := flow.Spec{Kind: "maf", Dim: 2, Blocks: 1, Hidden: []int{4}, Activation: "tanh", Seed: 1}
	f, err := flow.Build(spec, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Info{Columns: []string{"a", "b"}, Spec: spec}, s, f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func draw(t *testing.T, m *model.Model, r Run) []float64 {
	t.Helper()
	var out []float64
	if err := Generate(context.Background(), m, r, func(rows []float64) error { out = append(out, rows...); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestShardsAreTheRun: shards of any count, in order, are exactly the
// events of the whole run, blocks straddling shard edges included.
func TestShardsAreTheRun(t *testing.T) {
	m := testModel(t)
	n := int64(2*Block + 123)
	whole := draw(t, m, Run{N: n, Seed: 5})
	if int64(len(whole)) != 2*n {
		t.Fatalf("%d values for %d events", len(whole), n)
	}
	for _, of := range []int{2, 3, 7} {
		var got []float64
		for k := 1; k <= of; k++ {
			lo, hi := Shard(n, k, of)
			got = append(got, draw(t, m, Run{N: n, Lo: lo, Hi: hi, Seed: 5})...)
		}
		if !slices.Equal(got, whole) {
			t.Fatalf("%d shards differ from the whole run", of)
		}
	}
	if other := draw(t, m, Run{N: n, Seed: 6}); slices.Equal(other, whole) {
		t.Fatal("another seed gave the same events")
	}
}

// TestRunChecked: impossible runs are errors that say why.
func TestRunChecked(t *testing.T) {
	m := testModel(t)
	for _, c := range []struct {
		r    Run
		want string
	}{
		{Run{N: 0}, "at least 1"},
		{Run{N: 10, Lo: 5, Hi: 20}, "of a run of 10"},
		{Run{N: 10, Context: []float64{1}}, "no context"},
	} {
		if err := c.r.Check(m); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.r, err, c.want)
		}
	}
}
