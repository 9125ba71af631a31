package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readCSV returns the header and rows of a small CSV written by hepflow.
func readCSV(t *testing.T, path string) ([]string, [][]float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var rows [][]float64
	for _, l := range lines[1:] {
		var row []float64
		for _, f := range strings.Split(l, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, l, err)
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return strings.Split(lines[0], ","), rows
}

// TestConditionalModel trains p(a, b | label) on events whose a is shifted
// by 3 for label 1, and checks that every command uses the context: the
// densities of an event under label=0 and label=1 differ the right way,
// the label column is read from the data by default, samples follow the
// context they were given (one value for all, or one row each from a
// file), the output carries the context columns, and misuse is a usage
// error naming the flag.
func TestConditionalModel(t *testing.T) {
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
	if err := os.WriteFile(dataPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"maf", "nsf-coupling"} {
		t.Run(kind, func(t *testing.T) {
			m := filepath.Join(dir, kind+".safetensors")
			stdout, stderr, code := hepflow(t, "train", "--data", dataPath, "--context", "label", "--flow", kind, "--out", m,
				"--epochs", "40", "--blocks", "2", "--hidden", "16", "--val-fraction", "0.2")
			if code != 0 {
				t.Fatalf("train: exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "context       label") {
				t.Errorf("train summary does not name the context:\n%s", stdout)
			}
			// One event at a = 3: likelier under label 1 than label 0.
			ev := filepath.Join(dir, "ev.csv")
			os.WriteFile(ev, []byte("a,b,label\n3,1.5,0\n3,1.5,1\n0,0,0\n"), 0o644)
			lp := func(args ...string) []float64 {
				out := filepath.Join(dir, fmt.Sprintf("lp-%s-%d.csv", kind, len(args)))
				os.Remove(out)
				if _, stderr, code := hepflow(t, append([]string{"logprob", "--model", m, "--data", ev, "--out", out}, args...)...); code != 0 {
					t.Fatalf("logprob %v: %s", args, stderr)
				}
				_, rows := readCSV(t, out)
				v := make([]float64, len(rows))
				for i, r := range rows {
					v[i] = r[0]
				}
				return v
			}
			fromData, l0, l1 := lp(), lp("--context", "label=0"), lp("--context", "label=1")
			if !(l1[0] > l0[0]+2) {
				t.Errorf("log p(a=3 | label=1) = %.3f should beat log p(a=3 | label=0) = %.3f by far", l1[0], l0[0])
			}
			if fromData[0] != l0[0] || fromData[1] != l1[1] || fromData[2] != l0[2] {
				t.Errorf("context read from the data %v, fixed %v / %v", fromData, l0, l1)
			}
			// Samples follow their context; the output ends with it.
			gen := filepath.Join(dir, kind+"-gen.csv")
			if _, stderr, code := hepflow(t, "sample", "--model", m, "-n", "2000", "--context", "label=1", "--out", gen); code != 0 {
				t.Fatalf("sample: %s", stderr)
			}
			cols, rows := readCSV(t, gen)
			if strings.Join(cols, ",") != "a,b,label" {
				t.Errorf("sample columns %v, want a,b,label", cols)
			}
			var mean float64
			for _, r := range rows {
				mean += r[0] / float64(len(rows))
				if r[2] != 1 {
					t.Fatalf("context column holds %g, want 1", r[2])
				}
			}
			// a | label=1 is N(3, 1): 2000 events put the mean within 0.03
			// of the model's; the fit itself is good to ~0.2.
			if math.Abs(mean-3) > 0.3 {
				t.Errorf("mean a of label=1 samples %.3f, want about 3", mean)
			}
			ctxFile := filepath.Join(dir, "ctx.csv")
			os.WriteFile(ctxFile, []byte("label,other\n0,7\n1,7\n0,7\n1,7\n"), 0o644)
			gen2 := filepath.Join(dir, kind+"-gen2.csv")
			if _, stderr, code := hepflow(t, "sample", "--model", m, "--context-from", ctxFile, "--out", gen2); code != 0 {
				t.Fatalf("sample --context-from: %s", stderr)
			}
			if _, rows := readCSV(t, gen2); len(rows) != 4 || rows[0][2] != 0 || rows[1][2] != 1 {
				t.Errorf("--context-from: %v, want 4 events with labels 0,1,0,1", rows)
			}
			// The likelihood ratio of the two labels separates them: a
			// shifted by 3 standard deviations is an AUC of Phi(3/sqrt 2) =
			// 0.983 for the optimal classifier; the flow's is close to it.
			llr := filepath.Join(dir, kind+"-llr.csv")
			stdout, stderr, code = hepflow(t, "classify", "--model", m, "--data", dataPath, "--num", "1", "--den", "0", "--truth", "label", "--out", llr, "--json")
			if code != 0 {
				t.Fatalf("classify: %s", stderr)
			}
			var cl struct {
				AUC       float64 `json:"auc"`
				Positives int     `json:"positives"`
			}
			lastJSON(t, stdout, &cl)
			if cl.AUC < 0.96 || cl.Positives != 600 {
				t.Errorf("classify: AUC %.4f over %d positives, want about 0.983 over 600", cl.AUC, cl.Positives)
			}
			if _, rows := readCSV(t, llr); len(rows) != 1200 {
				t.Errorf("classify wrote %d ratios, want 1200", len(rows))
			}
			for _, bad := range [][]string{
				{"classify", "--model", m, "--data", dataPath, "--num", "1", "--den", "1", "--out", filepath.Join(dir, "x6.csv")},
				{"classify", "--model", m, "--data", dataPath, "--context", "mass", "--num", "1", "--den", "0", "--out", filepath.Join(dir, "x7.csv")},
				{"sample", "--model", m, "-n", "10", "--out", filepath.Join(dir, "x1.csv")},
				{"sample", "--model", m, "-n", "10", "--context", "lable=1", "--out", filepath.Join(dir, "x2.csv")},
				{"sample", "--model", m, "-n", "10", "--context", "label=nan", "--out", filepath.Join(dir, "x3.csv")},
				{"sample", "--model", m, "-n", "3", "--context-from", ctxFile, "--out", filepath.Join(dir, "x4.csv")},
				{"logprob", "--model", m, "--data", ev, "--context", "label", "--out", filepath.Join(dir, "x5.csv")},
			} {
				if _, stderr, code := hepflow(t, bad...); code != 2 || !strings.Contains(stderr, "context") {
					t.Errorf("%v: exit %d, %q", bad, code, stderr)
				}
				if _, err := os.Stat(bad[len(bad)-1]); err == nil {
					t.Errorf("%v wrote its output", bad)
				}
			}
		})
	}
	// Two models, one per class: classify --den-model.
	for _, l := range []string{"0", "1"} {
		if _, stderr, code := hepflow(t, "train", "--data", dataPath, "--where", "label=="+l, "--out", filepath.Join(dir, "c"+l+".safetensors"),
			"--epochs", "40", "--blocks", "2", "--hidden", "16"); code != 0 {
			t.Fatalf("train label==%s: %s", l, stderr)
		}
	}
	stdout, stderr, code := hepflow(t, "classify", "--model", filepath.Join(dir, "c1.safetensors"), "--den-model", filepath.Join(dir, "c0.safetensors"),
		"--data", dataPath, "--truth", "label", "--out", filepath.Join(dir, "llr2.csv"), "--json")
	if code != 0 {
		t.Fatalf("classify --den-model: %s", stderr)
	}
	var cl struct {
		AUC float64 `json:"auc"`
	}
	lastJSON(t, stdout, &cl)
	if cl.AUC < 0.96 {
		t.Errorf("classify --den-model: AUC %.4f, want about 0.983", cl.AUC)
	}
	if _, stderr, code := hepflow(t, "train", "--data", dataPath, "--context", "mass", "--out", filepath.Join(dir, "y.safetensors")); code == 0 || !strings.Contains(stderr, `"mass"`) {
		t.Errorf("--context of a missing column: exit %d, %q", code, stderr)
	}
}
