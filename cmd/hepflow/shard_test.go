package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogProbShards: `logprob --shard K/N` parts, concatenated in order,
// are the whole file's output line for line; `sample -n` takes 2e5; an
// empty shard is written with a warning.
func TestLogProbShards(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 300, "a,b", nil)
	mod := filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", data, "--out", mod, "--epochs", "1", "--blocks", "1", "--hidden", "8"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	gen := filepath.Join(dir, "gen.csv")
	if _, stderr, code := hepflow(t, "sample", "--model", mod, "-n", "2e5", "--out", gen); code != 0 {
		t.Fatalf("sample -n 2e5: %s", stderr)
	}
	whole := filepath.Join(dir, "whole.csv")
	if _, stderr, code := hepflow(t, "logprob", "--model", mod, "--data", gen, "--out", whole); code != 0 {
		t.Fatalf("logprob: %s", stderr)
	}
	want, _ := os.ReadFile(whole)
	lines := strings.SplitAfter(string(want), "\n")
	if len(lines) != 200002 { // header, 2e5 rows, the empty string after the last newline
		t.Fatalf("whole output has %d lines", len(lines))
	}
	var got strings.Builder
	got.WriteString(lines[0])
	for _, k := range []string{"1/3", "2/3", "3/3"} {
		out := filepath.Join(dir, "lp-"+strings.ReplaceAll(k, "/", "-")+".csv")
		stdout, stderr, code := hepflow(t, "logprob", "--model", mod, "--data", gen, "--shard", k, "--out", out)
		if code != 0 || !strings.Contains(stdout, "shard "+k) {
			t.Fatalf("logprob --shard %s: exit %d %s %s", k, code, stdout, stderr)
		}
		b, _ := os.ReadFile(out)
		_, body, _ := strings.Cut(string(b), "\n")
		got.WriteString(body)
	}
	if got.String() != string(want) {
		t.Fatal("the shards' outputs in order differ from the whole file's")
	}
	// 2e5 events are 4 blocks: the first of five shards is empty.
	out := filepath.Join(dir, "empty.csv")
	_, stderr, code := hepflow(t, "logprob", "--model", mod, "--data", gen, "--shard", "1/5", "--out", out)
	if code != 0 || !strings.Contains(stderr, "is empty") {
		t.Fatalf("empty logprob shard: exit %d, %q", code, stderr)
	}
	_, stderr, code = hepflow(t, "sample", "--model", mod, "-n", "2", "--shard", "1/3", "--out", filepath.Join(dir, "e.csv"))
	if code != 0 || !strings.Contains(stderr, "is empty") {
		t.Fatalf("empty sample shard: exit %d, %q", code, stderr)
	}
	for _, bad := range []string{"1.5", "1e400", "abc"} {
		if _, stderr, code := hepflow(t, "sample", "--model", mod, "-n", bad, "--out", filepath.Join(dir, "x.csv")); code != 2 || !strings.Contains(stderr, "-n") {
			t.Errorf("-n %s: exit %d, %q", bad, code, stderr)
		}
	}
	if _, stderr, code := hepflow(t, "logprob", "--model", mod, "--data", gen, "--shard", "4/3", "--out", filepath.Join(dir, "y.csv")); code != 2 || !strings.Contains(stderr, "--shard") {
		t.Errorf("--shard 4/3: exit %d, %q", code, stderr)
	}
}
