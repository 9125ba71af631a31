package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hepflow/model"
	"hepflow/nn/blas"
)

// gaussCSV writes n rows of a correlated 2-D Gaussian (plus extra columns
// from extra(i)) and returns the path.
func gaussCSV(t *testing.T, dir, name string, n int, header string, extra func(i int, rng *rand.Rand) string) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString(header + "\n")
	for i := range n {
		a := rng.NormFloat64()
		fmt.Fprintf(&b, "%g,%g", a, 0.5*a+rng.NormFloat64())
		if extra != nil {
			b.WriteString("," + extra(i, rng))
		}
		b.WriteString("\n")
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrainFlagsRefused: every meaningless flag value is a usage error (exit
// 2) naming the flag, before anything is read or written.
func TestTrainFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 200, "a,b", nil)
	out := filepath.Join(dir, "m.safetensors")
	for _, c := range []struct{ flag, value string }{
		{"--lr", "0"}, {"--lr", "-1e-3"}, {"--lr", "NaN"}, {"--lr", "Inf"},
		{"--epochs", "0"}, {"--epochs", "-3"},
		{"--batch", "-1"},
		{"--weight-decay", "-0.1"}, {"--weight-decay", "NaN"},
		{"--clip", "-1"}, {"--clip", "NaN"},
		{"--patience", "-1"},
		{"--val-fraction", "NaN"}, {"--val-fraction", "1"}, {"--val-fraction", "-0.1"},
		{"--margin", "-0.1"}, {"--margin", "NaN"},
		{"--blocks", "0"},
		{"--hidden", "128,,128"}, {"--hidden", ""}, {"--hidden", "0"},
		{"--scaling", "minmax"},
		{"--schedule", "bogus"},
		{"--periodic", "a --discrete a"},
		{"--data", data + "@NaN"}, {"--data", data + "@0"}, {"--data", data + "@Inf"},
	} {
		args := append([]string{"train", "--data", data, "--out", out, "--epochs", "1", c.flag}, strings.Fields(c.value)...)
		if c.value == "" {
			args = append(args, "")
		}
		if c.flag == "--data" {
			args = []string{"train", "--data", c.value, "--out", out}
		}
		_, stderr, code := hepflow(t, args...)
		if code != 2 || !strings.Contains(stderr, c.flag) {
			t.Errorf("%s %q: exit %d, %q; want exit 2 naming the flag", c.flag, c.value, code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s %q: a model was written", c.flag, c.value)
		}
	}
	for _, args := range [][]string{
		{"bench", "--seconds", "NaN"}, {"bench", "--seconds", "0"}, {"demo", "--epochs", "0", "--out", filepath.Join(dir, "demo")},
	} {
		if _, stderr, code := hepflow(t, args...); code != 2 || !strings.Contains(stderr, args[1]) {
			t.Errorf("%v: exit %d, %q; want exit 2 naming the flag", args, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "demo")); err == nil {
		t.Error("demo with a bad flag wrote its folder")
	}
}

// TestTrainWithoutValidation: --val-fraction 0 trains on every event, keeps
// the last weights, writes the model and says there was no validation; the
// JSON summary has val_nll null (it used to end in "json: unsupported value:
// NaN" with nothing saved).
func TestTrainWithoutValidation(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 300, "a,b", nil)
	out := filepath.Join(dir, "m.safetensors")
	stdout, stderr, code := hepflow(t, "train", "--data", data, "--out", out, "--epochs", "3", "--blocks", "1", "--hidden", "8", "--val-fraction", "0", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r map[string]any
	lastJSON(t, stdout, &r)
	if r["val_nll"] != nil || r["val_events"].(float64) != 0 || r["epochs"].(float64) != 3 || r["best_epoch"].(float64) != 3 {
		t.Errorf("summary %v: want val_nll null, 0 validation events, 3 epochs, the last kept", r)
	}
	m, err := model.Load(out, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	if err := json.Unmarshal(m.Info.Training, &info); err != nil || info["val_nll_physical"] != nil {
		t.Errorf("model's training record %s: %v", m.Info.Training, err)
	}
	stdout, _, code = hepflow(t, "train", "--data", data, "--out", out, "--force", "--epochs", "2", "--blocks", "1", "--hidden", "8", "--val-fraction", "0")
	if code != 0 || !strings.Contains(stdout, "no validation") {
		t.Errorf("text summary: exit %d, %q", code, stdout)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine,
// which signals once its content contains a marker.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	marker string
	seen   chan struct{}
	once   sync.Once
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	if strings.Contains(s.b.String(), s.marker) {
		s.once.Do(func() { close(s.seen) })
	}
	return n, err
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestTrainInterrupted: Ctrl-C (the command's context cancelled) during
// training stops after the current step, writes the best model so far, says
// so, and exits 130; the model loads and scores.
func TestTrainInterrupted(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 2000, "a,b", nil)
	out := filepath.Join(dir, "m.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errBuf := &syncBuffer{marker: "epoch=3 ", seen: make(chan struct{})}
	var stdout bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"train", "--data", data, "--out", out, "--epochs", "100000", "--patience", "0", "--blocks", "1", "--hidden", "8"}, &env{stdout: &stdout, stderr: errBuf})
	}()
	select {
	case <-errBuf.seen:
		cancel()
	case <-time.After(60 * time.Second):
		t.Fatal("no third epoch within a minute")
	}
	code := <-done
	msg := errBuf.String()
	if code != 130 || !strings.Contains(msg, "interrupted") || !strings.Contains(msg, "wrote the best model so far to "+out) {
		t.Fatalf("exit %d, stderr:\n%s", code, msg)
	}
	if _, stderr, code := hepflow(t, "logprob", "--model", out, "--data", data, "--out", filepath.Join(dir, "lp.csv")); code != 0 {
		t.Fatalf("the saved model does not score: %s", stderr)
	}
	m, err := model.Load(out, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m.Info.Training), `"stopped":"interrupted"`) {
		t.Errorf("model's training record does not say it was interrupted: %s", m.Info.Training)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestTrainDiverged: a step size that destroys the weights at once stops
// with a clear error after the allowed bad steps, exit 1, and no model (no
// epoch beat the initial weights).
func TestTrainDiverged(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 400, "a,b", nil)
	out := filepath.Join(dir, "m.safetensors")
	_, stderr, code := hepflow(t, "train", "--data", data, "--out", out, "--epochs", "5", "--blocks", "1", "--hidden", "8", "--lr", "1e30", "--clip", "0")
	if code != 1 || !strings.Contains(stderr, "diverged") || !strings.Contains(stderr, "--lr") {
		t.Fatalf("exit %d, %q: want exit 1 saying it diverged and what to try", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a model was written from weights worse than the initial ones")
	}
}

// TestTrainWarnsAndKeepsConstants: a 1e30 outlier is named by column and
// event; a column constant after --where is dropped with a warning, not an
// error, and sampling writes it back as the constant.
func TestTrainWarnsAndKeepsConstants(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 400, "a,b,c,sel", func(i int, rng *rand.Rand) string {
		c := "7"
		if i == 123 {
			c = "1e30"
		}
		sel := "1"
		if i%10 == 0 {
			sel = "0"
		}
		return c + "," + sel
	})
	out := filepath.Join(dir, "m.safetensors")
	_, stderr, code := hepflow(t, "train", "--data", data, "--out", out, "--epochs", "2", "--blocks", "1", "--hidden", "8", "--val-fraction", "0")
	if code != 0 || !strings.Contains(stderr, `column \"c\"`) || !strings.Contains(stderr, "1e+30") || !strings.Contains(stderr, "input event 124") {
		t.Errorf("outlier: exit %d, stderr %q: want a warning naming column c and event 124", code, stderr)
	}
	// Row 123 fails the selection, so c is 7 in every selected event.
	stdout, stderr, code := hepflow(t, "train", "--data", data, "--where", "sel == 1 && c < 100", "--drop", "sel", "--out", out, "--force", "--epochs", "2", "--blocks", "1", "--hidden", "8")
	if code != 0 || !strings.Contains(stderr, `column \"c\" has the single value 7`) || !strings.Contains(stdout, "constant      c = 7") {
		t.Fatalf("constant column: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	gen := filepath.Join(dir, "gen.csv")
	if _, stderr, code := hepflow(t, "sample", "--model", out, "-n", "50", "--out", gen); code != 0 {
		t.Fatalf("sample: %s", stderr)
	}
	b, _ := os.ReadFile(gen)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "a,b,c" || len(lines) != 51 {
		t.Fatalf("generated header %q, %d lines", lines[0], len(lines))
	}
	for _, l := range lines[1:] {
		if f := strings.Split(l, ","); len(f) != 3 || f[2] != "7" {
			t.Fatalf("generated row %q: want c = 7", l)
		}
	}
	// logprob reads the modelled columns only.
	if _, stderr, code := hepflow(t, "logprob", "--model", out, "--data", data, "--out", filepath.Join(dir, "lp.csv")); code != 0 {
		t.Fatalf("logprob: %s", stderr)
	}
}

// TestTrainSplineFlow: --flow nsf trains, saves, scores and samples through
// the command line, and a bad --bins is a usage error.
func TestTrainSplineFlow(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 400, "a,b", nil)
	out := filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", data, "--out", out, "--flow", "nsf", "--bins", "4", "--epochs", "2", "--blocks", "2", "--hidden", "8"); code != 0 {
		t.Fatalf("train --flow nsf: exit %d: %s", code, stderr)
	}
	if _, stderr, code := hepflow(t, "logprob", "--model", out, "--data", data, "--out", filepath.Join(dir, "lp.csv")); code != 0 {
		t.Fatalf("logprob: %s", stderr)
	}
	if _, stderr, code := hepflow(t, "sample", "--model", out, "-n", "100", "--out", filepath.Join(dir, "gen.csv")); code != 0 {
		t.Fatalf("sample: %s", stderr)
	}
	if _, stderr, code := hepflow(t, "train", "--data", data, "--out", filepath.Join(dir, "m2.safetensors"), "--flow", "nsf", "--bins", "1"); code != 2 || !strings.Contains(stderr, "--bins") {
		t.Errorf("--bins 1: exit %d, %q", code, stderr)
	}
}
