package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
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

// TestAnomalyFromShards: the anomaly report from the log densities of
// sharded logprob runs (--background-scores, --signal-scores, globs,
// mixed formats) has the same AUC and counts as anomaly on the files
// themselves, which streams them through the model with the same noise; a
// discrete column (never-seen levels: -Inf) takes part.
func TestAnomalyFromShards(t *testing.T) {
	dir := t.TempDir()
	tag := func(i int, rng *rand.Rand) string { return fmt.Sprint(rng.IntN(3)) }
	data := gaussCSV(t, dir, "d.csv", 400, "a,b,tag", tag)
	mod := filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", data, "--out", mod, "--epochs", "1", "--blocks", "1", "--hidden", "8"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	bkg := filepath.Join(dir, "bkg.csv")
	if _, stderr, code := hepflow(t, "sample", "--model", mod, "-n", "150000", "--out", bkg); code != 0 {
		t.Fatalf("sample: %s", stderr)
	}
	// Signal: shifted, and some events with a b-tag level never trained on.
	sig := filepath.Join(dir, "sig.csv")
	var b strings.Builder
	b.WriteString("a,b,tag\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "%g,%g,%d\n", 1.5+float64(i%7)/7, float64(i%11)/5, min(i%4, 3))
	}
	if err := os.WriteFile(sig, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var direct, sharded struct {
		AUC    float64 `json:"auc"`
		NSig   int     `json:"n_signal"`
		NBkg   int     `json:"n_background"`
		OutSig int     `json:"outside_support_signal"`
	}
	stdout, stderr, code := hepflow(t, "anomaly", "--model", mod, "--background", bkg, "--signal", sig, "--out", filepath.Join(dir, "a1"), "--json", "--latent-events", "-1")
	if code != 0 {
		t.Fatalf("anomaly: %s", stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &direct); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"1/3", "2/3", "3/3"} {
		out := filepath.Join(dir, "bkg-lp-"+k[:1]+".npy")
		if _, stderr, code := hepflow(t, "logprob", "--model", mod, "--data", bkg, "--shard", k, "--out", out); code != 0 {
			t.Fatalf("logprob --shard %s: %s", k, stderr)
		}
	}
	sigLP := filepath.Join(dir, "sig-lp.csv")
	if _, stderr, code := hepflow(t, "logprob", "--model", mod, "--data", sig, "--out", sigLP); code != 0 {
		t.Fatalf("logprob signal: %s", stderr)
	}
	stdout, stderr, code = hepflow(t, "anomaly", "--background-scores", filepath.Join(dir, "bkg-lp-*.npy"), "--signal-scores", sigLP,
		"--out", filepath.Join(dir, "a2"), "--json")
	if code != 0 {
		t.Fatalf("anomaly from scores: %s", stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &sharded); err != nil {
		t.Fatal(err)
	}
	if direct != sharded || direct.NBkg != 150000 || direct.OutSig == 0 {
		t.Fatalf("from the files %+v, from the shards' scores %+v", direct, sharded)
	}
	// The same through anomaly --shard: each shard writes its parts of both
	// files into one folder, then one report from them.
	scores := filepath.Join(dir, "scores")
	for _, k := range []string{"1/3", "2/3", "3/3"} {
		stdout, stderr, code := hepflow(t, "anomaly", "--model", mod, "--background", bkg, "--signal", sig, "--shard", k, "--out", scores)
		if code != 0 || !strings.Contains(stdout, "--background-scores") {
			t.Fatalf("anomaly --shard %s: exit %d %s %s", k, code, stdout, stderr)
		}
	}
	var viaShards struct {
		AUC    float64 `json:"auc"`
		NSig   int     `json:"n_signal"`
		NBkg   int     `json:"n_background"`
		OutSig int     `json:"outside_support_signal"`
	}
	stdout, stderr, code = hepflow(t, "anomaly", "--background-scores", filepath.Join(scores, "background-lp-*"),
		"--signal-scores", filepath.Join(scores, "signal-lp-*"), "--out", filepath.Join(dir, "a5"), "--json")
	if code != 0 {
		t.Fatalf("anomaly from --shard scores: %s", stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &viaShards); err != nil {
		t.Fatal(err)
	}
	if viaShards != direct {
		t.Fatalf("from anomaly --shard %+v, from the files %+v", viaShards, direct)
	}
	if _, stderr, code := hepflow(t, "anomaly", "--model", mod, "--background", bkg, "--signal", sig, "--shard", "1/3", "--out", scores); code != 2 || !strings.Contains(stderr, "exists") {
		t.Fatalf("a shard's scores written twice: exit %d, %s", code, stderr)
	}
	if _, stderr, code := hepflow(t, "anomaly", "--model", mod, "--background", bkg, "--signal", sig, "--shard", "1/3", "--weight", "a", "--out", scores); code != 2 || !strings.Contains(stderr, "--weight") {
		t.Fatalf("--weight with --shard: exit %d, %s", code, stderr)
	}
	// A shard whose signal cannot be scored leaves neither file.
	badSig := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(badSig, []byte("a,tag\n1,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lone := filepath.Join(dir, "lone")
	if _, stderr, code := hepflow(t, "anomaly", "--model", mod, "--background", bkg, "--signal", badSig, "--shard", "1/3", "--out", lone); code == 0 {
		t.Fatalf("a signal file without the model's columns was scored: %s", stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(lone, "*")); len(left) != 0 {
		t.Fatalf("a failed shard left %v", left)
	}
	// Mixing the two ways is a usage error; so is a glob matching nothing.
	if _, stderr, code := hepflow(t, "anomaly", "--model", mod, "--background-scores", sigLP, "--signal-scores", sigLP, "--out", filepath.Join(dir, "a3")); code != 2 || !strings.Contains(stderr, "--model") {
		t.Fatalf("--model with scores: exit %d, %s", code, stderr)
	}
	if _, stderr, code := hepflow(t, "anomaly", "--background-scores", filepath.Join(dir, "none-*.csv"), "--signal-scores", sigLP, "--out", filepath.Join(dir, "a4")); code != 2 || !strings.Contains(stderr, "no file matches") {
		t.Fatalf("empty glob: exit %d, %s", code, stderr)
	}
}
