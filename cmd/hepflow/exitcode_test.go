//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes: one convention for every command. 2 for a usage error (a
// bad, missing or conflicting flag or flag value, an unsafe or existing
// output path), with a message naming the flag and a pointer to --help; 1
// for a runtime or data error; 130 for an interrupt. A refused command
// writes nothing.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	model, events := tinyModel(t, dir)
	f := higgsParts(t, dir)
	existing := filepath.Join(dir, "existing.csv")
	os.WriteFile(existing, []byte("a,b\n1,2\n"), 0o644)
	existingDir := filepath.Join(dir, "existing-report")
	os.Mkdir(existingDir, 0o755)
	for _, n := range []string{"report.html", "metrics.json"} {
		os.WriteFile(filepath.Join(existingDir, n), nil, 0o644)
	}
	out := filepath.Join(dir, "out") // never created
	outCSV := filepath.Join(dir, "out.csv")
	model2 := filepath.Join(dir, "m2.safetensors")
	train := []string{"train", "--data", events, "--out", model2}
	sample := []string{"sample", "--model", model, "-n", "10", "--out", outCSV}
	logprob := []string{"logprob", "--model", model, "--data", events, "--out", outCSV}
	compare := []string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", out}
	c2st := []string{"c2st", "--a", f.bkgA, "--b", f.bkgB}
	anomaly := []string{"anomaly", "--model", model, "--background", f.bkgA, "--signal", f.sig, "--out", out}
	cathode := []string{"anomaly", "--method", "cathode", "--example", "synthetic", "--example-background", "2000", "--example-signal", "10",
		"--signal-region", "3.7:4.3", "--out", out}
	classify := []string{"classify", "--model", model, "--data", events, "--num", "1", "--den", "0", "--out", outCSV}
	bench := []string{"bench", "--reference", "", "--seconds", "0.01", "--mode", "sample", "--impl", "go"}
	demo := []string{"demo", "--out", out}
	with := func(base []string, extra ...string) []string { return append(append([]string(nil), base...), extra...) }
	without := func(base []string, flag string) []string {
		var r []string
		for i := 0; i < len(base); i++ {
			if base[i] == flag {
				i++
				continue
			}
			r = append(r, base[i])
		}
		return r
	}

	usage := []struct {
		name string
		args []string
		want string
	}{
		// every command: an unknown flag, a positional argument, a value that does not parse
		{"unknown flag", with(sample, "--frobnicate"), "frobnicate"},
		{"positional argument", with(logprob, "extra"), "unexpected argument"},
		{"bad integer", with(compare, "--threads", "two"), "-threads"},
		{"bad bool", with(c2st, "--json=maybe"), "-json"},
		{"version positional", []string{"version", "x"}, "unexpected argument"},

		{"train: missing --data", without(train, "--data"), "--data is required"},
		{"train: missing --out", without(train, "--out"), "--out is required"},
		{"train: --epochs 0", with(train, "--epochs", "0"), "--epochs"},
		{"train: --lr NaN", with(train, "--lr", "NaN"), "--lr"},
		{"train: --hidden 8,,8", with(train, "--hidden", "8,,8"), "--hidden"},
		{"train: --flow", with(train, "--flow", "glow"), "glow"},
		{"train: --schedule", with(train, "--schedule", "linear"), "--schedule"},
		{"train: --scaling", with(train, "--scaling", "none"), "--scaling"},
		{"train: --val-fraction 1", with(train, "--val-fraction", "1"), "--val-fraction"},
		{"train: --bins 1", with(train, "--flow", "nsf", "--bins", "1"), "--bins"},
		{"train: --ensemble 0", with(train, "--ensemble", "0"), "--ensemble"},
		{"train: --format", with(train, "--format", "xls"), "--format"},
		{"train: --data factor", with(without(train, "--data"), "--data", events+"@0"), "--data"},
		{"train: --where syntax", with(train, "--where", "a >"), "where"},
		{"train: --where unknown column", with(train, "--where", "c > 1"), `"c"`},
		{"train: conflicting --discrete/--periodic", with(train, "--discrete", "a", "--periodic", "a"), "--periodic"},
		{"train: --context in --drop", with(train, "--context", "a", "--drop", "a"), "--context"},
		{"train: existing --out", with(without(train, "--out"), "--out", existing), "--force"},
		{"train: --out is the input", with(without(train, "--out"), "--out", events, "--force"), "is the input"},
		{"train: --out in a missing folder", with(without(train, "--out"), "--out", filepath.Join(dir, "no", "m.safetensors")), "does not exist"},
		{"train: HEPFLOW_BLAS", nil, ""}, // below, with the variable set

		{"sample: missing --model", without(sample, "--model"), "--model is required"},
		{"sample: -n 0", with(without(sample, "-n"), "-n", "0"), "-n 0"},
		{"sample: --shard", with(sample, "--shard", "5/4"), "--shard"},
		{"sample: --context and --context-from", with(sample, "--context", "a=1", "--context-from", events), "--context-from"},
		{"sample: --format", with(sample, "--format", "xls"), "--format"},
		{"sample: --out extension", with(without(sample, "--out"), "--out", filepath.Join(dir, "gen.txt")), "gen.txt"},
		{"sample: existing --out", with(without(sample, "--out"), "--out", existing), "--force"},
		{"sample: --out is a folder", with(without(sample, "--out"), "--out", dir, "--force"), "directory"},
		{"sample: --context of an unconditional model", with(sample, "--context", "a=1"), "not conditional"},

		{"logprob: missing --data", without(logprob, "--data"), "--data are required"},
		{"logprob: missing --out", without(logprob, "--out"), "--out is required"},
		{"logprob: --where", with(logprob, "--where", "a >>"), "--where"},
		{"logprob: --format", with(logprob, "--format", "xls"), "--format"},
		{"logprob: existing --out", with(without(logprob, "--out"), "--out", existing), "--force"},
		{"logprob: --context", with(logprob, "--context", "b"), "--context"},

		{"compare: missing --candidate", without(compare, "--candidate"), "--candidate are required"},
		{"compare: missing --out", without(compare, "--out"), "--out is required"},
		{"compare: --max-events -1", with(compare, "--max-events", "-1"), "--max-events"},
		{"compare: --classifier", with(compare, "--classifier", "forest"), "--classifier"},
		{"compare: --cut", with(compare, "--cut", "m_bb >"), "--cut"},
		{"compare: --pairs", with(compare, "--pairs", "m_bb"), "--pairs"},
		{"compare: --candidate-format", with(compare, "--candidate-format", "xls"), "--candidate-format"},
		{"compare: --candidate-where", with(compare, "--candidate-where", "(m_bb"), "--candidate-where"},
		{"compare: --where", with(compare, "--where", "m_bb >"), "--where"},
		{"compare: --drop", with(compare, "--drop", "nope"), "nope"},
		{"compare: --weight", with(compare, "--weight", "w"), "--weight"},
		{"compare: existing --out", with(without(compare, "--out"), "--out", existingDir), "--force"},
		{"compare: --out is a file", with(without(compare, "--out"), "--out", existing, "--force"), "not a folder"},

		{"c2st: missing --b", without(c2st, "--b"), "--b are required"},
		{"c2st: --train-fraction", with(c2st, "--train-fraction", "1"), "--train-fraction"},
		{"c2st: --max-events", with(c2st, "--max-events", "-5"), "--max-events"},
		{"c2st: --classifier", with(c2st, "--classifier", "forest"), "--classifier"},
		{"c2st: --b-format", with(c2st, "--b-format", "xls"), "--b-format"},
		{"c2st: --where", with(c2st, "--where", "&&"), "--where"},

		{"anomaly: missing --signal", without(anomaly, "--signal"), "--signal are required"},
		{"anomaly: --latent-events", with(anomaly, "--latent-events", "-2"), "--latent-events"},
		{"anomaly: --signal-format", with(anomaly, "--signal-format", "xls"), "--signal-format"},
		{"anomaly: --signal-where", with(anomaly, "--signal-where", "label =="), "--signal-where"},
		{"anomaly: existing --out", with(without(anomaly, "--out"), "--out", existingDir), "--force"},
		{"anomaly: --method", with(anomaly, "--method", "magic"), "--method"},

		{"cathode: missing --signal-region", without(cathode, "--signal-region"), "--signal-region"},
		{"cathode: --signal-region", with(without(cathode, "--signal-region"), "--signal-region", "4:3"), "--signal-region"},
		{"cathode: --data and --example", with(cathode, "--data", events), "--example"},
		{"cathode: --example", with(without(cathode, "--example"), "--example", "lhco"), "--example"},
		{"cathode: --folds", with(cathode, "--folds", "1"), "--folds"},
		{"cathode: --oversample", with(cathode, "--oversample", "0"), "--oversample"},
		{"cathode: --inject without --signal", with(cathode, "--inject", "5"), "--inject"},
		{"cathode: --classifier-hidden", with(cathode, "--classifier-hidden", "0"), "--classifier-hidden"},
		{"cathode: --epochs", with(cathode, "--epochs", "0"), "--epochs"},
		{"cathode: --truth is --resonant", with(cathode, "--truth", "m"), "--truth"},
		{"cathode: --resonant unknown", with(cathode, "--resonant", "mjj"), "--resonant"},
		{"cathode: --truth unknown", with(cathode, "--truth", "lab"), "--truth"},
		{"cathode: --features unknown", with(cathode, "--features", "x1,x9"), "--features"},
		{"cathode: --discrete not a feature", with(cathode, "--discrete", "m"), "--discrete"},
		{"cathode: --drop with --example", with(cathode, "--drop", "x1"), "--drop"},
		{"cathode: --drop unknown", []string{"anomaly", "--method", "cathode", "--data", events, "--resonant", "a", "--signal-region", "0:1", "--drop", "zz", "--out", out}, "--drop"},
		{"cathode: --method supervised without truth", with(without(cathode, "--method"), "--method", "supervised"), "truth"},
		{"cathode: existing --out", with(without(cathode, "--out"), "--out", existingDir), "--force"},

		{"classify: missing --data", without(classify, "--data"), "--data and --out are required"},
		{"classify: --num = --den", with(without(without(classify, "--num"), "--den"), "--num", "1", "--den", "1"), "--num"},
		{"classify: --context with --den-model", with(classify, "--den-model", model, "--context", "a"), "--context"},
		{"classify: --where", with(classify, "--where", "a <"), "--where"},
		{"classify: unconditional model", classify, "not conditional"},
		{"classify: existing --out", with(without(classify, "--out"), "--out", existing), "--force"},

		{"bench: --seconds", with(bench, "--seconds", "0"), "--seconds"},
		{"bench: --flow", with(bench, "--flow", "glow"), "--flow"},
		{"bench: --mode", with(bench, "--mode", "fit"), "--mode"},
		{"bench: --impl", with(bench, "--impl", "cuda"), "--impl"},
		{"bench: existing --cpuprofile", with(bench, "--cpuprofile", filepath.Join(dir, "prof")), "--force"},

		{"demo: --epochs", with(demo, "--epochs", "0"), "--epochs"},
		{"demo: --hidden", with(demo, "--hidden", "x"), "--hidden"},
		{"demo: --scaling", with(demo, "--scaling", "none"), "--scaling"},
		{"demo: --out is a file", with(without(demo, "--out"), "--out", existing, "--force"), "not a folder"},
	}
	os.WriteFile(filepath.Join(dir, "prof-sample-go.pprof"), nil, 0o644)
	left := func(name string) {
		t.Helper()
		for _, p := range []string{out, outCSV, model2} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s: wrote %s", name, p)
				os.RemoveAll(p)
			}
		}
		if tmp := tempsIn(t, dir); len(tmp) > 0 {
			t.Errorf("%s: left %v", name, tmp)
		}
	}
	for _, c := range usage {
		if c.args == nil {
			continue
		}
		_, stderr, code := hepflow(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "--help' for usage") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and a message with %q", c.name, code, stderr, c.want)
		}
		left(c.name)
	}
	t.Run("HEPFLOW_BLAS", func(t *testing.T) {
		t.Setenv("HEPFLOW_BLAS", "cuda")
		for _, args := range [][]string{train, sample, compare} {
			if _, stderr, code := hepflow(t, args...); code != 2 || !strings.Contains(stderr, "HEPFLOW_BLAS") {
				t.Errorf("HEPFLOW_BLAS=cuda %s: exit %d, stderr %q; want 2", args[0], code, stderr)
			}
			left("HEPFLOW_BLAS " + args[0])
		}
	})

	// Runtime and data errors: 1.
	text := filepath.Join(dir, "text.csv")
	os.WriteFile(text, []byte("a,b\n1,x\n"), 0o644)
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	os.WriteFile(corrupt, []byte("garbage"), 0o644)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"missing input", with(without(logprob, "--data"), "--data", filepath.Join(dir, "nope.csv")), "nope.csv"},
		{"text in a numeric column", with(without(train, "--data"), "--data", text), "text.csv"},
		{"corrupt model", with(without(sample, "--model"), "--model", corrupt), "corrupt.safetensors"},
		{"data without the model's columns", with(without(anomaly, "--model"), "--model", model), `"a"`},
	} {
		_, stderr, code := hepflow(t, c.args...)
		if code != 1 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "for usage") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and %q", c.name, code, stderr, c.want)
		}
		left(c.name)
	}

	// Interrupted before any work: 130, a message that says so, nothing written.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{sample, logprob, compare, train} {
		_, stderr, code := hepflowCtx(t, ctx, nil, args...)
		if code != 130 || !strings.Contains(stderr, "interrupted before it finished; nothing written") || strings.Contains(stderr, "context canceled") {
			t.Errorf("interrupted %s: exit %d, stderr %q; want 130", args[0], code, stderr)
		}
		left("interrupted " + args[0])
	}
}

// TestTrainColumnFlagsAreUsageErrors: a column named by a train flag that
// the data lack is a usage error (exit 2) naming the flag, and nothing is
// written (no model, no checkpoint folder).
func TestTrainColumnFlagsAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 100, "a,b", nil)
	out := filepath.Join(dir, "m.safetensors")
	for _, c := range []struct{ flag, value string }{
		{"--weight", "w"}, {"--drop", "zz"}, {"--context", "mass"}, {"--discrete", "nope"}, {"--unbounded", "nope"},
	} {
		_, stderr, code := hepflow(t, "train", "--data", data, "--out", out, "--epochs", "1", c.flag, c.value)
		if code != 2 || !strings.Contains(stderr, c.flag) || !strings.Contains(stderr, c.value) {
			t.Errorf("%s %s: exit %d, %q; want exit 2 naming the flag and the column", c.flag, c.value, code, stderr)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left in the folder: %v", ents)
	}
}
