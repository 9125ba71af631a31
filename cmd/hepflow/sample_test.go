package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShardsMakeOneRun: shards of any size, including shards smaller than
// a sampling block and shards that cut a block, hold exactly the events of
// one big run, in order.
func TestShardsMakeOneRun(t *testing.T) {
	dir := t.TempDir()
	f := higgsParts(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", f.bkgA, "--drop", "@phi,@btag", "--out", model, "--epochs", "1", "--blocks", "1", "--hidden", "8"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	read := func(p string) []string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		return lines[1:] // the header
	}
	for _, n := range []int{1000, 9000} {
		full := filepath.Join(dir, fmt.Sprintf("full-%d.csv", n))
		if _, stderr, code := hepflow(t, "sample", "--model", model, "-n", fmt.Sprint(n), "--seed", "5", "--out", full); code != 0 {
			t.Fatalf("sample: %s", stderr)
		}
		want := read(full)
		var got []string
		for k := 1; k <= 4; k++ {
			p := filepath.Join(dir, fmt.Sprintf("shard-%d-%d.csv", n, k))
			if _, stderr, code := hepflow(t, "sample", "--model", model, "-n", fmt.Sprint(n), "--seed", "5", "--shard", fmt.Sprintf("%d/4", k), "--out", p); code != 0 {
				t.Fatalf("sample --shard %d/4: %s", k, stderr)
			}
			part := read(p)
			if len(part) != n/4 {
				t.Errorf("n=%d: shard %d/4 has %d events, want %d", n, k, len(part), n/4)
			}
			got = append(got, part...)
		}
		if len(got) != len(want) {
			t.Fatalf("n=%d: shards hold %d events, the run %d", n, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("n=%d: event %d differs between the shards and the run", n, i)
			}
		}
	}
}
