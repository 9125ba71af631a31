package score

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/model"
	"hepflow/nn/blas"
	"hepflow/preprocess"
)

// testModel is an untrained model of (a, b, k) with a discrete column k,
// conditional on c when cond.
func testModel(t *testing.T, cond bool) *model.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	const rows = 300
	x := make([]float64, 0, rows*3)
	for range rows {
		a := rng.NormFloat64()
		x = append(x, a, a+rng.NormFloat64(), float64(rng.IntN(3)))
	}
	cols := []string{"a", "b", "k"}
	s, err := preprocess.Fit(x, rows, cols, preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	spec := flow.Spec{Kind: "maf", Dim: 3, Blocks: 2, Hidden: []int{8}, Activation: "tanh", Seed: 5}
	info := model.Info{Columns: cols}
	if cond {
		spec.Context = 1
		info.Context = []model.ContextColumn{{Name: "c", Mean: 0, Std: 1}}
	}
	info.Spec = spec
	f, err := flow.Build(spec, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(info, s, f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// eventsCSV writes n events (columns c, k, junk, b, a: another order and
// one column the model ignores) and returns the path.
func eventsCSV(t *testing.T, n int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString("c,k,junk,b,a\n")
	for range n {
		a := rng.NormFloat64()
		fmt.Fprintf(&b, "%d,%d,7,%g,%g\n", rng.IntN(2), rng.IntN(3), a+rng.NormFloat64(), a)
	}
	p := filepath.Join(t.TempDir(), "ev.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// blockwise is LogProb of the whole file a noise block at a time, each with
// its own stream: the definition File must meet however it reads.
func blockwise(t *testing.T, m *model.Model, x, c []float64, rows int, seed uint64) []float64 {
	t.Helper()
	d, k := m.Dim(), m.ContextDim()
	want := make([]float64, rows)
	for lo := 0; lo < rows; lo += model.NoiseBlock {
		hi := min(rows, lo+model.NoiseBlock)
		if _, err := m.LogProb(want[lo:hi], x[lo*d:hi*d], c[lo*k:hi*k], hi-lo, model.NoiseRand(seed, int64(lo/model.NoiseBlock))); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

// TestStreamingEqualsWhole: scoring as the reader's chunks come gives,
// event by event, the blockwise densities of the whole file, for an
// unconditional model, a conditional one with the context read from the
// file and with it fixed; the file spans several chunks.
func TestStreamingEqualsWhole(t *testing.T) {
	in := eventsCSV(t, 200_000)
	for _, c := range []struct {
		name  string
		cond  bool
		fixed []float64
	}{{"plain", false, nil}, {"context from file", true, nil}, {"fixed context", true, []float64{1}}} {
		t.Run(c.name, func(t *testing.T) {
			m := testModel(t, c.cond)
			out := filepath.Join(t.TempDir(), "lp.csv")
			chunks := 0
			res, err := File(context.Background(), m, in, out, Options{Seed: 9, Context: c.fixed, Progress: func(int64) { chunks++ }})
			if err != nil {
				t.Fatal(err)
			}
			cols := m.Columns()
			if c.cond && c.fixed == nil {
				cols = append(cols, "c")
			}
			tab, err := data.Read(context.Background(), in, data.ReadOptions{Columns: cols})
			if err != nil {
				t.Fatal(err)
			}
			rows := tab.Rows()
			x, cx := tab.Data, []float64(nil)
			if c.cond {
				x, cx = make([]float64, 0, rows*3), make([]float64, 0, rows)
				for r := range rows {
					if c.fixed != nil {
						x = append(x, tab.Data[3*r:3*r+3]...)
						cx = append(cx, c.fixed...)
					} else {
						x = append(x, tab.Data[4*r:4*r+3]...)
						cx = append(cx, tab.Data[4*r+3])
					}
				}
			}
			want := blockwise(t, m, x, cx, rows, 9)
			got, err := data.Read(context.Background(), out, data.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Columns, []string{Column}) || !slices.Equal(got.Data, want) {
				t.Fatal("streamed log densities differ from the whole file's")
			}
			if res.Events != int64(rows) || res.Scored != int64(rows) || chunks < 2 {
				t.Fatalf("result %+v over %d chunks, want %d events in several chunks", res, chunks, rows)
			}
		})
	}
}

// TestNothingLeftOnError: a failed run (a bad value in the middle of the
// file, no rows after the selection) leaves no output.
func TestNothingLeftOnError(t *testing.T) {
	m := testModel(t, false)
	dir := t.TempDir()
	in := filepath.Join(dir, "bad.csv")
	var b strings.Builder
	b.WriteString("a,b,k\n")
	for i := range 100_000 {
		if i == 90_000 {
			b.WriteString("1,oops,0\n")
			continue
		}
		b.WriteString("1,2,0\n")
	}
	os.WriteFile(in, []byte(b.String()), 0o644)
	out := filepath.Join(dir, "lp.csv")
	if _, err := File(context.Background(), m, in, out, Options{}); err == nil || !strings.Contains(err.Error(), "oops") {
		t.Fatalf("bad value: %v", err)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("a,b,k\n1,2,0\n"), 0o644)
	if _, err := File(context.Background(), m, good, out, Options{Read: data.ReadOptions{Where: "a > 5"}}); !errors.Is(err, data.ErrNoRows) {
		t.Fatalf("no rows: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Fatalf("left behind: %v", ents)
	}
}

// TestShardsUnionIsTheWhole: the shards' outputs, in order, are the whole
// file's output exactly, an empty shard included (more shards than blocks).
func TestShardsUnionIsTheWhole(t *testing.T) {
	in := eventsCSV(t, 3*model.NoiseBlock+1000)
	m := testModel(t, false)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.csv")
	if _, err := File(context.Background(), m, in, whole, Options{Seed: 4}); err != nil {
		t.Fatal(err)
	}
	want, _ := data.Read(context.Background(), whole, data.ReadOptions{})
	for _, of := range []int{3, 5} {
		var got []float64
		var first int64
		for k := 1; k <= of; k++ {
			out := filepath.Join(dir, fmt.Sprintf("s%d-%d.csv", k, of))
			res, err := File(context.Background(), m, in, out, Options{Seed: 4, Shard: k, Of: of})
			if err != nil {
				t.Fatal(err)
			}
			if res.First != first || res.Total != int64(want.Rows()) {
				t.Fatalf("shard %d/%d starts at %d of %d, want %d of %d", k, of, res.First, res.Total, first, want.Rows())
			}
			first += res.Events
			if res.Events == 0 {
				continue // header only
			}
			tab, err := data.Read(context.Background(), out, data.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, tab.Data...)
		}
		if !slices.Equal(got, want.Data) {
			t.Fatalf("%d shards: union differs from the whole file's scores", of)
		}
	}
}
