package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hepflow/data"
)

// TestConvert: convert with --format higgs, --where and --columns, flags
// after the files too; misuse is exit 2 and writes nothing.
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	src := "../../../shared/data/higgs-sample/higgs-sample.csv.gz"
	if _, err := os.Stat(src); err != nil {
		t.Skip("shared HIGGS sample not found")
	}
	out := filepath.Join(dir, "bkg.parquet")
	stdout, stderr, code := hepflow(t, "convert", src, out, "--format", "higgs", "--where", "label==0", "--columns", "m_bb,lepton_pT")
	if code != 0 || !strings.Contains(stdout, "wrote 2568 events") {
		t.Fatalf("convert: exit %d, %q %q", code, stdout, stderr)
	}
	tab, err := data.Read(context.Background(), out, data.ReadOptions{})
	if err != nil || !slices.Equal(tab.Columns, []string{"m_bb", "lepton_pT"}) || tab.Rows() != 2568 {
		t.Fatalf("converted file: %v %v", tab, err)
	}
	for _, args := range [][]string{
		{"convert", src},
		{"convert", src, out}, // exists
		{"convert", src, filepath.Join(dir, "x.csv"), "--where", "nope > 1", "--format", "higgs"},
		{"convert", src, filepath.Join(dir, "y.csv"), "extra"},
	} {
		if _, stderr, code := hepflow(t, args...); code != 2 {
			t.Errorf("%v: exit %d, %q; want 2", args[1:], code, stderr)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left in the folder: %v", ents)
	}
}

// TestTrainFromROOT: the HIGGS sample converted to a ROOT file trains a
// model, which samples to a ROOT file that logprob scores.
func TestTrainFromROOT(t *testing.T) {
	src := "../../../shared/data/higgs-sample/higgs-sample.csv.gz"
	if _, err := os.Stat(src); err != nil {
		t.Skip("shared HIGGS sample not found")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "higgs.root")
	if _, stderr, code := hepflow(t, "convert", src, root, "--format", "higgs", "--columns", "label,lepton_pT,m_jj,m_bb,m_wwbb"); code != 0 {
		t.Fatalf("convert to ROOT: %s", stderr)
	}
	mod := filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", root, "--where", "label==0", "--drop", "label", "--epochs", "2", "--blocks", "1", "--hidden", "8", "--out", mod); code != 0 {
		t.Fatalf("train from ROOT: %s", stderr)
	}
	gen := filepath.Join(dir, "gen.root")
	if _, stderr, code := hepflow(t, "sample", "--model", mod, "-n", "500", "--out", gen); code != 0 {
		t.Fatalf("sample to ROOT: %s", stderr)
	}
	stdout, stderr, code := hepflow(t, "logprob", "--model", mod, "--data", gen, "--out", filepath.Join(dir, "lp.csv"))
	if code != 0 || !strings.Contains(stdout, "wrote 500 log densities") {
		t.Fatalf("logprob of a ROOT file: %s %s", stdout, stderr)
	}
	if _, stderr, code := hepflow(t, "train", "--data", root, "--tree", "nope", "--out", filepath.Join(dir, "x.safetensors")); code == 0 || !strings.Contains(stderr, "nope") {
		t.Fatalf("--tree nope: exit %d, %q", code, stderr)
	}
}
