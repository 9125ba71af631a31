package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"hepflow/flow"
	"hepflow/nn"
	"hepflow/nn/blas"
	"hepflow/preprocess"
)

// seedModel returns the bytes of a small saved model of the spec (Dim 3).
func seedModel(tb testing.TB, spec flow.Spec) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	const rows = 200
	x := make([]float64, rows*3)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	cols := []string{"a", "b", "c"}
	s, err := preprocess.Fit(x, rows, cols, preprocess.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	f, err := flow.Build(spec, blas.NewGo(1))
	if err != nil {
		tb.Fatal(err)
	}
	m, err := New(Info{Columns: cols, Spec: spec}, s, f)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "m.safetensors")
	if err := Save(path, m); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// withInfo returns a model file b with its hepflow metadata changed by edit.
func withInfo(tb testing.TB, b []byte, edit func(map[string]any)) []byte {
	tb.Helper()
	ts, meta, err := nn.ReadSafetensors(b)
	if err != nil {
		tb.Fatal(err)
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(meta[MetadataKey]), &info); err != nil {
		tb.Fatal(err)
	}
	edit(info)
	raw, _ := json.Marshal(info)
	meta[MetadataKey] = string(raw)
	var ps []*nn.Param
	for name, t := range ts {
		ps = append(ps, &nn.Param{Name: name, Shape: t.Shape, Value: t.Data})
	}
	var out bytes.Buffer
	if err := nn.WriteSafetensors(&out, ps, meta); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// TestModelFileHostileSizes: an architecture whose sizes the file cannot
// back (a flow of a billion hidden units, a million blocks, features the
// columns do not list) is refused before it is built, without allocating
// for it; so is a model file that is a stream without end.
func TestModelFileHostileSizes(t *testing.T) {
	good := seedModel(t, flow.Spec{Kind: "maf", Dim: 3, Blocks: 2, Hidden: []int{8}, Activation: "tanh", Seed: 1})
	spec := func(key string, v any) func(map[string]any) {
		return func(info map[string]any) {
			f := info["flow"].(map[string]any)
			f[key] = v
			delete(f, "structure")
		}
	}
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"huge hidden layer": {withInfo(t, good, spec("hidden", []int{1 << 30, 1 << 30})), "needs more than"},
		"huge block count":  {withInfo(t, good, spec("blocks", 1<<40)), "needs more than"},
		"huge dim":          {withInfo(t, good, spec("dim", 1<<40)), "1099511627776 features"},
		"LU on many features": {withInfo(t, good, func(info map[string]any) {
			cols := make([]string, 100000)
			for i := range cols {
				cols[i] = "c" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('0'+i%10)) + "_" + string(rune(i))
			}
			info["columns"] = cols
			f := info["flow"].(map[string]any)
			f["dim"], f["lu"] = len(cols), true
			delete(f, "structure")
		}), "needs more than"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Decode(c.b, blas.NewGo(1))
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one mentioning %q", err, c.want)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20+64*uint64(len(c.b)) {
				t.Errorf("refusing a %d-byte file allocated %d bytes", len(c.b), a)
			}
		})
	}
	if _, err := Decode(good, blas.NewGo(1)); err != nil {
		t.Fatalf("the unchanged file: %v", err)
	}
	// Load of a path that never ends (/dev/zero where it exists).
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := Load("/dev/zero", blas.NewGo(1)); err == nil || !strings.Contains(err.Error(), "header length 0") {
			t.Errorf("/dev/zero as a model: %v", err)
		}
	}
	// Load of a file whose header length runs past its end.
	path := filepath.Join(t.TempDir(), "m.safetensors")
	bad := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(bad, uint64(len(good)))
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, blas.NewGo(1)); err == nil || !strings.Contains(err.Error(), "does not fit") || !strings.Contains(err.Error(), path) {
		t.Errorf("header length past the end: %v", err)
	}
}

// FuzzDecodeModel: arbitrary bytes as a model file. Whatever decodes must
// score an event without panicking; nothing may allocate out of proportion
// to the file.
//
//	go test -run '^$' -fuzz '^FuzzDecodeModel$' -fuzztime 30s ./model/
func FuzzDecodeModel(f *testing.F) {
	for _, spec := range []flow.Spec{
		{Kind: "maf", Dim: 3, Blocks: 2, Hidden: []int{8}, Activation: "tanh", Seed: 1},
		{Kind: "realnvp", Dim: 3, Blocks: 2, Hidden: []int{4, 4}, Activation: "relu", Seed: 2, LU: true, ActNorm: true},
		{Kind: "nsf", Dim: 3, Blocks: 1, Hidden: []int{4}, Activation: "elu", Seed: 3, Bins: 4},
	} {
		f.Add(seedModel(f, spec))
	}
	f.Add([]byte("garbage\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := Decode(b, blas.NewGo(1))
		runtime.ReadMemStats(&after)
		if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20+64*uint64(len(b)) {
			t.Errorf("decoding %d bytes allocated %d bytes", len(b), a)
		}
		if err != nil {
			return
		}
		x := make([]float64, m.Dim())
		c := make([]float64, m.ContextDim())
		dst := make([]float64, 1)
		if _, err := m.LogProb(dst, x, c, 1, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Logf("log density: %v", err)
		}
	})
}
