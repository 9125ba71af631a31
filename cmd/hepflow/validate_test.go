package main

import (
	"context"
	"encoding/json"
	"hepflow/workflow/demo"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hepflow/data"
)

// higgsFiles are the embedded sample and parts of it written as CSV files
// with a header: two random halves of its background and its signal.
type higgsFiles struct {
	sample, bkgA, bkgB, sig string
	bkgATab, bkgBTab        *data.Table
}

// higgsParts writes the embedded sample and its parts into dir.
func higgsParts(t *testing.T, dir string) higgsFiles {
	t.Helper()
	f := higgsFiles{sample: higgsSample(t, dir)}
	all, err := data.Read(context.Background(), f.sample, data.ReadOptions{Format: data.FormatHIGGS})
	if err != nil {
		t.Fatal(err)
	}
	bkg, err := demo.Select(all, "label==0", data.HiggsFeatures())
	if err != nil {
		t.Fatal(err)
	}
	sig, err := demo.Select(all, "label==1", data.HiggsFeatures())
	if err != nil {
		t.Fatal(err)
	}
	f.bkgATab, f.bkgBTab = demo.Split(bkg, 0.5, 11)
	f.bkgA, f.bkgB, f.sig = filepath.Join(dir, "bkg-a.csv"), filepath.Join(dir, "bkg-b.csv"), filepath.Join(dir, "sig.csv")
	for p, tab := range map[string]*data.Table{f.bkgA: f.bkgATab, f.bkgB: f.bkgBTab, f.sig: sig} {
		if err := data.Write(p, tab, data.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// lastJSON decodes the last line of stdout into v.
func lastJSON(t *testing.T, stdout string, v any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		t.Fatalf("last line of stdout is not a JSON object: %v\n%s", err, stdout)
	}
}

// checkReportFiles checks that the report folder holds report.html, a
// metrics.json that decodes, and every image the page refers to.
func checkReportFiles(t *testing.T, dir string) map[string]any {
	t.Helper()
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	srcs := regexp.MustCompile(`<img src="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(srcs) == 0 {
		t.Fatalf("%s/report.html has no images", dir)
	}
	for _, m := range srcs {
		if st, err := os.Stat(filepath.Join(dir, m[1])); err != nil || st.Size() == 0 {
			t.Errorf("report image %s missing or empty", m[1])
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var metrics map[string]any
	if err := json.Unmarshal(b, &metrics); err != nil {
		t.Fatalf("metrics.json: %v", err)
	}
	return metrics
}

type compareJSON struct {
	Report     string `json:"report"`
	NReference int    `json:"n_reference"`
	NCandidate int    `json:"n_candidate"`
	Columns    struct {
		Common        []string `json:"common"`
		OnlyReference []string `json:"only_reference"`
		OnlyCandidate []string `json:"only_candidate"`
	} `json:"columns"`
	Features []struct {
		Name  string  `json:"name"`
		Chi2P float64 `json:"chi2_p"`
	} `json:"features"`
	MinChi2P    float64 `json:"min_chi2_p"`
	BonferroniP float64 `json:"bonferroni_p"`
	Cuts        []struct {
		Name          string  `json:"name"`
		PassReference float64 `json:"pass_reference"`
		PassCandidate float64 `json:"pass_candidate"`
	} `json:"cuts"`
	C2ST *struct {
		Accuracy float64 `json:"accuracy"`
		AUC      float64 `json:"auc"`
		P        float64 `json:"p"`
		NTest    int     `json:"n_test"`
	} `json:"c2st"`
}

// TestCompareHiggsLayoutAgainstCSV is the documented use: the reference in
// the UCI layout with a label and --where, the candidate a CSV without the
// label (here: the signal, which a good generator of background would not
// produce, so every check must see the difference).
func TestCompareHiggsLayoutAgainstCSV(t *testing.T) {
	dir := t.TempDir()
	f := higgsParts(t, dir)
	out := filepath.Join(dir, "report")
	stdout, stderr, code := hepflow(t, "compare", "--reference", f.sample, "--format", "higgs", "--where", "label==0",
		"--candidate", f.sig, "--out", out, "--json", "--threads", "2")
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	var r compareJSON
	lastJSON(t, stdout, &r)
	t.Logf("background vs signal: min chi2 p %.3g (%d features), C2ST %+v", r.MinChi2P, len(r.Features), r.C2ST)
	if r.NReference != 2568 || r.NCandidate != 2924 {
		t.Errorf("compared %d vs %d events, want 2568 vs 2924", r.NReference, r.NCandidate)
	}
	if !slices.Equal(r.Columns.Common, data.HiggsFeatures()) || slices.Contains(r.Columns.Common, "label") {
		t.Errorf("compared columns %v, want the 28 HIGGS features without the label", r.Columns.Common)
	}
	// m_bb is the Higgs mass peak: signal differs there beyond doubt.
	for _, ft := range r.Features {
		if ft.Name == "m_bb" && ft.Chi2P > 1e-6 {
			t.Errorf("m_bb signal vs background: chi2 p = %g, want < 1e-6", ft.Chi2P)
		}
	}
	if len(r.Cuts) != 2 || !strings.HasPrefix(r.Cuts[0].Name, "m_bb > ") || r.Cuts[1].Name != "jet1_pt > 1" {
		t.Fatalf("default cuts %+v, want the m_bb median and jet1_pt > 1", r.Cuts)
	}
	// Cutting at the reference median keeps half the reference (to one event).
	if math.Abs(r.Cuts[0].PassReference-0.5) > 1.0/2568 {
		t.Errorf("m_bb median cut keeps %g of the reference, want 0.5", r.Cuts[0].PassReference)
	}
	if r.C2ST == nil || r.C2ST.NTest != 2568 || r.C2ST.P > 1e-6 || r.C2ST.AUC < 0.6 {
		t.Errorf("classifier test signal vs background: %+v; want n_test 2568, p < 1e-6, AUC > 0.6", r.C2ST)
	}
	metrics := checkReportFiles(t, out)
	for _, k := range []string{"comparison", "c2st", "headline"} {
		if metrics[k] == nil {
			t.Errorf("metrics.json has no %q", k)
		}
	}
	page, _ := os.ReadFile(filepath.Join(out, "report.html"))
	for _, want := range []string{"Per-feature distributions", "2D: lepton_pT vs m_lv", "After the cut jet1_pt &gt; 1", "density ratio"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// TestCompareHalvesAgree: two random halves of the real background are one
// distribution, so no check may reject (each false alarm at these
// thresholds has probability ~1e-3), and human output names the numbers.
func TestCompareHalvesAgree(t *testing.T) {
	dir := t.TempDir()
	f := higgsParts(t, dir)
	out := filepath.Join(dir, "report")
	stdout, stderr, code := hepflow(t, "compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", out, "--json",
		"--cut", "m_bb > 1 && jet1_btag > 0.5", "--pairs", "m_bb:m_wwbb", "--threads", "2")
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	var r compareJSON
	lastJSON(t, stdout, &r)
	t.Logf("halves: Bonferroni p %.3g, C2ST %+v", r.BonferroniP, r.C2ST)
	if r.BonferroniP < 1e-3 {
		t.Errorf("halves of one sample differ: Bonferroni p = %g", r.BonferroniP)
	}
	if r.C2ST == nil || r.C2ST.P < 1e-3 || math.Abs(r.C2ST.Accuracy-0.5) > 0.1 {
		t.Errorf("classifier test on halves of one sample: %+v", r.C2ST)
	}
	if len(r.Cuts) != 1 || r.Cuts[0].Name != "m_bb > 1 && jet1_btag > 0.5" {
		t.Errorf("cuts %+v, want only the one given", r.Cuts)
	}
	checkReportFiles(t, out)
	if _, err := os.Stat(filepath.Join(out, "pair_m-bb_m-wwbb.png")); err != nil {
		t.Errorf("--pairs m_bb:m_wwbb: %v", err)
	}
	// Without --json: a readable summary, and the same report again with --force.
	stdout, stderr, code = hepflow(t, "compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", out, "--force", "--c2st=false", "--cut", "none", "--pairs", "none")
	if code != 0 {
		t.Fatalf("compare --force: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"per-feature chi2", "worst", "report.html"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("compare output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "classifier test") || strings.Contains(stdout, "cut ") {
		t.Errorf("--c2st=false --cut none still ran them:\n%s", stdout)
	}
}

func TestCompareColumnAlignment(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	b := filepath.Join(dir, "b.csv")
	var sa, sb strings.Builder
	sa.WriteString("x,y,label,only_a\n")
	sb.WriteString("y,x,only_b\n")
	for i := range 400 {
		v := float64(i%37) / 7
		sa.WriteString(strings.Join([]string{ftoa(v), ftoa(v * v), ftoa(float64(i % 2)), "1"}, ",") + "\n")
		sb.WriteString(strings.Join([]string{ftoa(v*v + 0.01), ftoa(v), "2"}, ",") + "\n")
	}
	os.WriteFile(a, []byte(sa.String()), 0o644)
	os.WriteFile(b, []byte(sb.String()), 0o644)
	out := filepath.Join(dir, "r")
	stdout, stderr, code := hepflow(t, "compare", "--reference", a, "--candidate", b, "--out", out, "--json", "--c2st=false")
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	var r compareJSON
	lastJSON(t, stdout, &r)
	if !slices.Equal(r.Columns.Common, []string{"x", "y"}) || !slices.Equal(r.Columns.OnlyReference, []string{"label", "only_a"}) ||
		!slices.Equal(r.Columns.OnlyCandidate, []string{"only_b"}) {
		t.Errorf("columns %+v", r.Columns)
	}
	if !strings.Contains(stderr, "left out") || !strings.Contains(stderr, "only_b") {
		t.Errorf("the left-out columns are not reported: %s", stderr)
	}
	// --weight: a column of the reference only becomes its weights.
	stdout, stderr, code = hepflow(t, "compare", "--reference", a, "--candidate", b, "--out", out, "--force", "--json", "--c2st=false", "--weight", "only_a")
	if code != 0 {
		t.Fatalf("compare --weight: exit %d: %s", code, stderr)
	}
	r = compareJSON{}
	lastJSON(t, stdout, &r)
	if !slices.Equal(r.Columns.Common, []string{"x", "y"}) || !slices.Equal(r.Columns.OnlyReference, []string{"label"}) {
		t.Errorf("columns with --weight only_a: %+v", r.Columns)
	}
	// The same column names with a label in both: the label is still not compared.
	_, stderr, code = hepflow(t, "c2st", "--a", a, "--b", a, "--drop", "x,only_a", "--classifier", "logistic", "--json")
	if code != 0 {
		t.Fatalf("c2st --drop: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "excluded=\"x label only_a\"") {
		t.Errorf("--drop and the label are not reported as excluded: %s", stderr)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func TestC2STCommand(t *testing.T) {
	dir := t.TempDir()
	f := higgsParts(t, dir)
	type res struct {
		Accuracy   float64 `json:"accuracy"`
		AUC        float64 `json:"auc"`
		P          float64 `json:"p"`
		NTest      int     `json:"n_test"`
		Classifier string  `json:"classifier"`
	}
	// Background vs signal, the signal read from the UCI file with --b-format/--b-where.
	stdout, stderr, code := hepflow(t, "c2st", "--a", f.bkgA, "--b", f.sample, "--b-format", "higgs", "--b-where", "label==1",
		"--max-events", "1000", "--json", "--threads", "2")
	if code != 0 {
		t.Fatalf("c2st: exit %d: %s", code, stderr)
	}
	var r res
	lastJSON(t, stdout, &r)
	t.Logf("background vs signal: %+v", r)
	if r.NTest != 1000 || r.Classifier != "mlp" || r.P > 1e-4 || r.AUC < 0.6 {
		t.Errorf("background vs signal: %+v; want n_test 1000, p < 1e-4, AUC > 0.6", r)
	}
	// Two halves of the background: no difference.
	stdout, stderr, code = hepflow(t, "c2st", "--a", f.bkgA, "--b", f.bkgB, "--classifier", "logistic", "--seed", "3")
	if code != 0 {
		t.Fatalf("c2st: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "accuracy") || !strings.Contains(stdout, "no evidence") {
		t.Errorf("c2st on halves of one sample:\n%s", stdout)
	}
}

func TestValidationCommandErrors(t *testing.T) {
	dir := t.TempDir()
	f := higgsParts(t, dir)
	other := filepath.Join(dir, "other.csv")
	os.WriteFile(other, []byte("p,q\n1,2\n3,4\n5,6\n"), 0o644)
	existing := filepath.Join(dir, "existing")
	os.Mkdir(existing, 0o755)
	out := filepath.Join(dir, "out")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"compare without candidate", []string{"compare", "--reference", f.bkgA, "--out", out}, 2, "--candidate are required"},
		{"compare without out", []string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB}, 2, "--out is required"},
		{"unknown column in --cut", []string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", out, "--cut", "m_bbb > 1"}, 2, "m_bbb"},
		{"malformed --cut", []string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", out, "--cut", "m_bb >"}, 2, "--cut"},
		{"bad --pairs", []string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", out, "--pairs", "m_bb"}, 2, "--pairs"},
		{"unknown --drop", []string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", out, "--drop", "nope"}, 2, "nope"},
		{"no common columns", []string{"compare", "--reference", f.bkgA, "--candidate", other, "--out", out}, 1, "no column in common"},
		{"existing output without --force", []string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", existing}, 2, "--force"},
		{"output is an input", []string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", f.bkgB, "--force"}, 2, "is the input"},
		{"missing reference file", []string{"compare", "--reference", filepath.Join(dir, "nope.csv"), "--candidate", f.bkgB, "--out", out}, 1, "nope.csv"},
		{"empty selection", []string{"compare", "--reference", f.sample, "--format", "higgs", "--where", "label==7", "--candidate", f.bkgB, "--out", out}, 1, ""},
		{"unknown weight column", []string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", out, "--weight", "w"}, 2, "--weight"},
		{"c2st without b", []string{"c2st", "--a", f.bkgA}, 2, "--b are required"},
		{"c2st no common columns", []string{"c2st", "--a", f.bkgA, "--b", other}, 1, "no column in common"},
		{"c2st unknown classifier", []string{"c2st", "--a", f.bkgA, "--b", f.bkgB, "--classifier", "forest"}, 2, "mlp or logistic"},
		{"c2st bad train fraction", []string{"c2st", "--a", f.bkgA, "--b", f.bkgB, "--train-fraction", "1"}, 2, "--train-fraction"},
		{"c2st bad b format", []string{"c2st", "--a", f.bkgA, "--b", f.bkgB, "--b-format", "xls"}, 2, "--b-format"},
		{"anomaly without signal", []string{"anomaly", "--model", "m.safetensors", "--background", f.bkgA, "--out", out}, 2, "--signal are required"},
		{"anomaly missing model", []string{"anomaly", "--model", filepath.Join(dir, "m.safetensors"), "--background", f.bkgA, "--signal", f.sig, "--out", out}, 1, "m.safetensors"},
		{"anomaly bad latent events", []string{"anomaly", "--model", "m", "--background", f.bkgA, "--signal", f.sig, "--out", out, "--latent-events", "-2"}, 2, "--latent-events"},
	}
	for _, c := range cases {
		_, stderr, code := hepflow(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d (want %d), stderr %q (want %q)", c.name, code, c.code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: left the output folder behind", c.name)
			os.RemoveAll(out)
		}
	}
}

// TestAnomalyCommand trains a small model on half of the real background
// and scores the other half against signal; a signal whose lepton_pT lies
// far beyond the training range is outside the model's support and must
// rank above every background event (AUC exactly 1) without an Inf in the
// JSON.
func TestAnomalyCommand(t *testing.T) {
	dir := t.TempDir()
	f := higgsParts(t, dir)
	model := filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", f.bkgA, "--drop", "@phi,@btag", "--out", model, "--epochs", "15",
		"--blocks", "2", "--hidden", "32,32", "--threads", "2"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	out := filepath.Join(dir, "anomaly")
	stdout, stderr, code := hepflow(t, "anomaly", "--model", model, "--background", f.bkgB, "--signal", f.sample,
		"--signal-format", "higgs", "--signal-where", "label==1", "--out", out, "--json", "--threads", "2")
	if code != 0 {
		t.Fatalf("anomaly: exit %d: %s", code, stderr)
	}
	type res struct {
		AUC        float64 `json:"auc"`
		NSignal    int     `json:"n_signal"`
		NBkg       int     `json:"n_background"`
		OutsideSig int     `json:"outside_support_signal"`
		OutsideBkg int     `json:"outside_support_background"`
		Latent     *struct {
			Rows      int     `json:"rows"`
			Dim       int     `json:"dim"`
			Outside   int     `json:"outside_support"`
			Norm2Mean float64 `json:"norm2_mean"`
		} `json:"latent"`
	}
	var r res
	lastJSON(t, stdout, &r)
	t.Logf("anomaly AUC %.3f; latent %+v", r.AUC, r.Latent)
	if r.NSignal != 2924 || r.NBkg != f.bkgBTab.Rows() || !(r.AUC > 0.3 && r.AUC < 0.7) {
		t.Errorf("anomaly: %+v", r)
	}
	// Held-out events of the training distribution map to ~N(0, I): mean
	// |z|^2 near D = 18 (a loose bound: the model is small and briefly trained).
	if l := r.Latent; l == nil || l.Dim != 18 || l.Rows+l.Outside != f.bkgBTab.Rows() || math.Abs(l.Norm2Mean-18) > 6 {
		t.Errorf("latent check: %+v", r.Latent)
	}
	checkReportFiles(t, out)
	for _, img := range []string{"roc_anomaly-score--log-p-x.png", "anomaly_scores.png", "latent_norm2.png", "latent_marginals.png"} {
		if _, err := os.Stat(filepath.Join(out, img)); err != nil {
			t.Errorf("anomaly report: %v", err)
		}
	}

	// Signal far outside the training range (lepton pT x1000): finite scores
	// in the scaling's tails, ranked above (nearly) all background.
	far := f.bkgATab.Clone()
	j, _ := far.Col("lepton_pT")
	for i := range far.Rows() {
		far.Row(i)[j] *= 1000
	}
	farPath := filepath.Join(dir, "far.parquet")
	if err := data.Write(farPath, far, data.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = hepflow(t, "anomaly", "--model", model, "--background", f.bkgB, "--signal", farPath, "--out", out, "--force", "--json", "--latent-events", "-1")
	if code != 0 {
		t.Fatalf("anomaly (outside support): exit %d: %s", code, stderr)
	}
	r = res{}
	lastJSON(t, stdout, &r)
	t.Logf("signal outside the support: %+v", r)
	if r.OutsideSig != 0 || r.OutsideBkg != 0 || r.AUC < 0.99 || r.Latent != nil {
		t.Errorf("signal far outside the range: %+v; want every event scored, AUC > 0.99, no latent check", r)
	}
	checkReportFiles(t, out)
}
