package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hepflow/model"
	"hepflow/nn/blas"
)

// TestTrainEnsemble: train --ensemble 3 writes one model of three flows,
// says so with each member's validation NLL, and logprob, sample and
// anomaly use it unchanged (logprob and sample the same whatever
// --threads, sample reproducible from --seed).
func TestTrainEnsemble(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 600, "a,b", nil)
	out := filepath.Join(dir, "ens.safetensors")
	stdout, stderr, code := hepflow(t, "train", "--data", data, "--out", out, "--epochs", "5", "--blocks", "1", "--hidden", "8", "--ensemble", "3")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"ensemble      3 flows", "member 1      seed 1,", "member 2      seed 2,", "member 3      seed 3,", "val NLL"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train summary does not say %q:\n%s", want, stdout)
		}
	}
	m, err := model.Load(out, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	if m.Ensemble() != 3 {
		t.Fatalf("the file holds %d flows, want 3", m.Ensemble())
	}

	lp := filepath.Join(dir, "lp.csv")
	if _, stderr, code := hepflow(t, "logprob", "--model", out, "--data", data, "--out", lp); code != 0 {
		t.Fatalf("logprob: %s", stderr)
	}
	_, rows := readCSV(t, lp)
	if len(rows) != 600 {
		t.Fatalf("logprob wrote %d rows, want 600", len(rows))
	}
	var mean float64
	for _, r := range rows {
		if math.IsNaN(r[0]) || math.IsInf(r[0], 0) {
			t.Fatalf("log p %g", r[0])
		}
		mean -= r[0] / 600
	}
	// Two unit-variance features with correlation ~0.45: the true entropy
	// is about 2.73 nats; a 5-epoch fit is within a nat of it.
	if mean < 2 || mean > 4 {
		t.Errorf("mean -log p %.3f of the training events, want about 2.8", mean)
	}
	lp3 := filepath.Join(dir, "lp3.csv")
	if _, stderr, code := hepflow(t, "logprob", "--model", out, "--data", data, "--out", lp3, "--threads", "3"); code != 0 {
		t.Fatalf("logprob --threads 3: %s", stderr)
	}
	if a, b := readBytes(t, lp), readBytes(t, lp3); !bytes.Equal(a, b) {
		t.Error("logprob of the ensemble depends on --threads")
	}

	var samples [3][]byte
	for i, args := range [][]string{{"--threads", "1"}, {"--threads", "3"}, {"--seed", "2"}} {
		gen := filepath.Join(dir, fmt.Sprintf("gen%d.csv", i))
		if _, stderr, code := hepflow(t, append([]string{"sample", "--model", out, "-n", "3000", "--out", gen}, args...)...); code != 0 {
			t.Fatalf("sample %v: %s", args, stderr)
		}
		samples[i] = readBytes(t, gen)
	}
	if !bytes.Equal(samples[0], samples[1]) {
		t.Error("samples of the ensemble depend on --threads")
	}
	if bytes.Equal(samples[0], samples[2]) {
		t.Error("another --seed gave the same samples")
	}
	cols, gen := readCSV(t, filepath.Join(dir, "gen0.csv"))
	if strings.Join(cols, ",") != "a,b" || len(gen) != 3000 {
		t.Fatalf("sample wrote columns %v and %d events", cols, len(gen))
	}
	var ma float64
	for _, r := range gen {
		ma += r[0] / 3000
	}
	if math.Abs(ma) > 0.2 {
		t.Errorf("mean of a in the samples %.3f, want about 0", ma)
	}

	sig := gaussCSV(t, dir, "sig.csv", 300, "a,b", nil)
	shifted := strings.Builder{}
	_, srows := readCSV(t, sig)
	shifted.WriteString("a,b\n")
	for _, r := range srows {
		fmt.Fprintf(&shifted, "%g,%g\n", r[0]+3, r[1])
	}
	os.WriteFile(sig, []byte(shifted.String()), 0o644)
	bkg := gaussCSV(t, dir, "bkg.csv", 300, "a,b", nil)
	if _, stderr, code := hepflow(t, "anomaly", "--model", out, "--background", bkg, "--signal", sig, "--out", filepath.Join(dir, "anomaly")); code != 0 {
		t.Fatalf("anomaly with an ensemble: %s", stderr)
	}
}

// TestTrainEnsembleJSON: the JSON summary has the member count and each
// member's seed and validation NLL.
func TestTrainEnsembleJSON(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 400, "a,b", nil)
	stdout, stderr, code := hepflow(t, "train", "--data", data, "--out", filepath.Join(dir, "m.safetensors"), "--epochs", "2", "--blocks", "1", "--hidden", "8",
		"--ensemble", "2", "--seed", "5", "--json")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	var r struct {
		Ensemble int `json:"ensemble"`
		Members  []struct {
			Seed    uint64   `json:"seed"`
			InModel bool     `json:"in_model"`
			ValNLL  *float64 `json:"val_nll"`
		} `json:"members"`
		ValNLL *float64 `json:"val_nll"`
	}
	lastJSON(t, stdout, &r)
	if r.Ensemble != 2 || len(r.Members) != 2 || r.Members[0].Seed != 5 || r.Members[1].Seed != 6 || r.ValNLL == nil {
		t.Fatalf("JSON summary %+v: want 2 members with seeds 5, 6 and the ensemble's val NLL", r)
	}
	for _, mr := range r.Members {
		if mr.ValNLL == nil || !mr.InModel {
			t.Fatalf("member %+v: want a val NLL, in the model", mr)
		}
	}
}

// TestTrainEnsembleFlagRefused: --ensemble below 1 is a usage error.
func TestTrainEnsembleFlagRefused(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 100, "a,b", nil)
	out := filepath.Join(dir, "m.safetensors")
	for _, v := range []string{"0", "-2", "x"} {
		_, stderr, code := hepflow(t, "train", "--data", data, "--out", out, "--ensemble", v)
		if code != 2 || !strings.Contains(stderr, "ensemble") {
			t.Errorf("--ensemble %s: exit %d, %q; want exit 2 naming the flag", v, code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("--ensemble %s wrote a model", v)
		}
	}
}

// TestConditionalEnsemble: a conditional ensemble samples each event with
// its own context (--context-from alternating labels: a shifted by 3 for
// label 1) and classify separates the labels by its likelihood ratio.
func TestConditionalEnsemble(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString("a,label,b\n")
	for i := range 1200 {
		l := i % 2
		a := rng.NormFloat64() + 3*float64(l)
		fmt.Fprintf(&b, "%g,%d,%g\n", a, l, 0.5*a+rng.NormFloat64())
	}
	dataPath := filepath.Join(dir, "d.csv")
	os.WriteFile(dataPath, []byte(b.String()), 0o644)
	m := filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", dataPath, "--context", "label", "--out", m, "--epochs", "30", "--blocks", "2", "--hidden", "16", "--ensemble", "2"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	var cb strings.Builder
	cb.WriteString("label\n")
	for i := range 2000 {
		fmt.Fprintf(&cb, "%d\n", i%2)
	}
	ctxFile := filepath.Join(dir, "ctx.csv")
	os.WriteFile(ctxFile, []byte(cb.String()), 0o644)
	gen := filepath.Join(dir, "gen.csv")
	if _, stderr, code := hepflow(t, "sample", "--model", m, "--context-from", ctxFile, "--out", gen); code != 0 {
		t.Fatalf("sample --context-from: %s", stderr)
	}
	_, rows := readCSV(t, gen)
	var mean [2]float64
	for _, r := range rows {
		mean[int(r[2])] += r[0] / 1000
	}
	if len(rows) != 2000 || math.Abs(mean[0]) > 0.3 || math.Abs(mean[1]-3) > 0.3 {
		t.Fatalf("%d events, mean a %.3f at label 0 and %.3f at label 1; want 2000, about 0 and 3", len(rows), mean[0], mean[1])
	}
	var cl struct {
		AUC float64 `json:"auc"`
	}
	stdout, stderr, code := hepflow(t, "classify", "--model", m, "--data", dataPath, "--num", "1", "--den", "0", "--truth", "label", "--out", filepath.Join(dir, "llr.csv"), "--json")
	if code != 0 {
		t.Fatalf("classify: %s", stderr)
	}
	lastJSON(t, stdout, &cl)
	if cl.AUC < 0.95 {
		t.Errorf("classify with an ensemble: AUC %.4f, want about 0.98", cl.AUC)
	}
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTrainEnsembleInterrupted: Ctrl-C during member 2 of 3 writes the
// members worth keeping (at least member 1), says which member stopped, and
// exits 130; the model scores. (Ctrl-C comes at member 2's second epoch of
// 300, so that it lands in member 2 even on a busy machine.)
func TestTrainEnsembleInterrupted(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 2000, "a,b", nil)
	out := filepath.Join(dir, "m.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errBuf := &syncBuffer{marker: "member=2/3 epoch=2 ", seen: make(chan struct{})}
	var stdout bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"train", "--data", data, "--out", out, "--epochs", "300", "--patience", "0", "--blocks", "1", "--hidden", "8", "--ensemble", "3"}, &env{stdout: &stdout, stderr: errBuf})
	}()
	select {
	case <-errBuf.seen:
		cancel()
	case <-time.After(60 * time.Second):
		t.Fatal("member 2 saw no third epoch within a minute")
	}
	code := <-done
	msg := errBuf.String()
	if code != 130 || !strings.Contains(msg, "ensemble member 2 of 3") || !strings.Contains(msg, "wrote the best model so far to "+out) {
		t.Fatalf("exit %d, stderr:\n%s", code, msg)
	}
	m, err := model.Load(out, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	if n := m.Ensemble(); n < 1 || n > 2 {
		t.Fatalf("%d flows kept, want member 1 and perhaps member 2", n)
	}
	if _, stderr, code := hepflow(t, "logprob", "--model", out, "--data", data, "--out", filepath.Join(dir, "lp.csv")); code != 0 {
		t.Fatalf("the saved model does not score: %s", stderr)
	}
}
