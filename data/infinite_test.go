package data

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestAllowInfinite: log densities written with -Inf (events outside a
// model's support) read back in every format with AllowInfinite, and are
// refused without it; NaN is refused either way.
func TestAllowInfinite(t *testing.T) {
	ctx := context.Background()
	for _, ext := range []string{"csv", "csv.gz", "npy", "parquet", "root"} {
		path := filepath.Join(t.TempDir(), "lp."+ext)
		tab := &Table{Columns: []string{"logprob"}, Data: []float64{-1.5, math.Inf(-1), 2, math.Inf(1)}}
		if err := Write(path, tab, WriteOptions{AllowInfinite: true}); err != nil {
			t.Fatal(err)
		}
		got, err := Read(ctx, path, ReadOptions{AllowInfinite: true})
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if got.Rows() != 4 || got.Data[0] != -1.5 || !math.IsInf(got.Data[1], -1) || !math.IsInf(got.Data[3], 1) {
			t.Fatalf("%s: read %v", ext, got.Data)
		}
		if _, err := Read(ctx, path, ReadOptions{}); err == nil {
			t.Fatalf("%s: -Inf accepted without AllowInfinite", ext)
		} else if ext != "root" && !errors.Is(err, ErrNotFinite) {
			t.Fatalf("%s: %v, want ErrNotFinite", ext, err)
		}
	}
	path := filepath.Join(t.TempDir(), "nan.csv")
	if err := os.WriteFile(path, []byte("logprob\n1\nNaN\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(ctx, path, ReadOptions{AllowInfinite: true}); !errors.Is(err, ErrNotFinite) {
		t.Fatalf("NaN: %v, want ErrNotFinite", err)
	}
}
