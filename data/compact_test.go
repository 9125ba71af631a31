package data

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCompactKeepsEveryValue(t *testing.T) {
	cols := []string{"a", "b", "c"}
	c, err := NewCompact(cols)
	if err != nil {
		t.Fatal(err)
	}
	// More rows than a block, appended in uneven pieces, float32 values only.
	n := compactBlock + compactBlock/2 + 7
	want := make([]float64, n*3)
	for i := range want {
		want[i] = float64(float32(math.Sin(float64(i)) * 100))
	}
	want[5] = math.NaN()
	want[8] = math.Inf(-1)
	for start := 0; start < n; {
		k := min(n-start, 1+start%5000)
		if err := c.Append(want[start*3 : (start+k)*3]); err != nil {
			t.Fatal(err)
		}
		start += k
	}
	if !c.Float32() || c.Rows() != n || c.Bytes() != int64(n*3*4) {
		t.Fatalf("float32 %v, rows %d, bytes %d: want float32 storage of %d rows", c.Float32(), c.Rows(), c.Bytes(), n)
	}
	check := func(stage string) {
		t.Helper()
		for i := range n {
			for j := range 3 {
				if g, w := c.At(i, j), want[i*3+j]; g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
					t.Fatalf("%s: At(%d, %d) = %v, want %v", stage, i, j, g, w)
				}
			}
		}
		var got []float64
		if err := c.Range(func(rows []float64) error { got = append(got, rows...); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: Range gave %d values, want %d", stage, len(got), len(want))
		}
		rows := []int{n - 1, 0, compactBlock, 3}
		g := c.Gather(nil, rows, []int{2, 0})
		for k, i := range rows {
			if g[2*k] != want[i*3+2] || g[2*k+1] != want[i*3] {
				t.Fatalf("%s: Gather row %d = %v, want %v %v", stage, i, g[2*k:2*k+2], want[i*3+2], want[i*3])
			}
		}
		col := c.Column(1, 0, n, nil)
		if len(col) != n || col[n-1] != want[(n-1)*3+1] {
			t.Fatalf("%s: Column(1) has %d values, last %v", stage, len(col), col[n-1])
		}
		lo, m := compactBlock-3, compactBlock/2+5
		col = c.Column(2, lo, m, col)
		g = c.GatherRange(g, lo, m, []int{2, 1})
		for k := range m {
			if col[k] != want[(lo+k)*3+2] || g[2*k] != col[k] || g[2*k+1] != want[(lo+k)*3+1] {
				t.Fatalf("%s: row %d: Column %v, GatherRange %v, want %v", stage, lo+k, col[k], g[2*k:2*k+2], want[(lo+k)*3:(lo+k)*3+3])
			}
		}
	}
	check("float32")
	// One value that float32 cannot hold moves everything to float64.
	extra := []float64{0.1, 2, 3}
	if err := c.Append(extra); err != nil {
		t.Fatal(err)
	}
	want = append(want, extra...)
	n++
	if c.Float32() {
		t.Fatal("0.1 kept as float32")
	}
	check("float64")
	if err := c.Append([]float64{1, 2}); err == nil {
		t.Fatal("a partial row was accepted")
	}
}

func TestReadWeightedAlignsAndWeights(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	b := filepath.Join(dir, "b.csv")
	if err := os.WriteFile(a, []byte("x,w,y\n1,2,0.1\n3,4,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("y,x,w\n7,8,0.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, w, err := ReadWeighted(ctx, []WeightedInput{{Path: a, Factor: 1}, {Path: b, Factor: 3}}, ReadOptions{}, "w")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Columns, []string{"x", "y"}) || c.Rows() != 3 {
		t.Fatalf("columns %v, %d rows", c.Columns, c.Rows())
	}
	got := c.Gather(nil, []int{0, 1, 2}, []int{0, 1})
	if !slices.Equal(got, []float64{1, 0.1, 3, 5, 8, 7}) || !slices.Equal(w, []float64{2, 4, 1.5}) {
		t.Fatalf("values %v weights %v", got, w)
	}
	if c.Float32() {
		t.Fatal("0.1 held as float32")
	}
	// Unit weights are nil; a missing weight column names the file.
	if _, w, err := ReadWeighted(ctx, []WeightedInput{{Path: a, Factor: 1}}, ReadOptions{}, ""); err != nil || w != nil {
		t.Fatalf("unit weights: %v, %v", w, err)
	}
	_, _, err = ReadWeighted(ctx, []WeightedInput{{Path: a, Factor: 1}}, ReadOptions{}, "nope")
	var uc *UnknownColumnError
	if err == nil || !strings.Contains(err.Error(), a) || !errors.As(err, &uc) {
		t.Fatalf("missing weight column: %v", err)
	}
	// Different column sets are refused, naming both files.
	cfile := filepath.Join(dir, "c.csv")
	if err := os.WriteFile(cfile, []byte("x,z,w\n1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadWeighted(ctx, []WeightedInput{{Path: a, Factor: 1}, {Path: cfile, Factor: 1}}, ReadOptions{Drop: []string{"w"}}, "")
	if err == nil || !strings.Contains(err.Error(), cfile) || !strings.Contains(err.Error(), a) {
		t.Fatalf("different columns: %v", err)
	}
	// Rows that all fail --where are an error, as for Read.
	_, _, err = ReadWeighted(ctx, []WeightedInput{{Path: a, Factor: 1}}, ReadOptions{Where: "x > 100"}, "")
	if err == nil || !strings.Contains(err.Error(), "no row matches") {
		t.Fatalf("no row: %v", err)
	}
}

func TestCompactPermute(t *testing.T) {
	for _, wide := range []bool{false, true} {
		c, _ := NewCompact([]string{"i", "j"})
		n := 2*compactBlock + 11
		for i := range n {
			v := float64(i)
			if wide {
				v += 0.1
			}
			if err := c.Append([]float64{v, -v}); err != nil {
				t.Fatal(err)
			}
		}
		order := rand.New(rand.NewPCG(1, 2)).Perm(n)
		if err := c.Permute(order); err != nil {
			t.Fatal(err)
		}
		for i, k := range order {
			want := float64(k)
			if wide {
				want += 0.1
			}
			if c.At(i, 0) != want || c.At(i, 1) != -want {
				t.Fatalf("wide %v: row %d = %v %v, want row %d's %v", wide, i, c.At(i, 0), c.At(i, 1), k, want)
			}
		}
		order[0] = order[1] // row order[1] twice: not a permutation
		if err := c.Permute(order); err == nil {
			t.Fatal("a non-permutation was accepted")
		}
	}
}
