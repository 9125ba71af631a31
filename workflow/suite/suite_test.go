package suite

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/model"
	"hepflow/nn/blas"
	"hepflow/report"
	"hepflow/train"
	"hepflow/validate"
)

func TestAlign(t *testing.T) {
	a, err := Align([]string{"label", "x", "y", "w", "only_ref"}, []string{"y", "x", "label", "w", "only_cand"}, []string{"w"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Common, []string{"x", "y"}) || !slices.Equal(a.Excluded, []string{"label", "w"}) ||
		!slices.Equal(a.OnlyReference, []string{"only_ref"}) || !slices.Equal(a.OnlyCandidate, []string{"only_cand"}) {
		t.Errorf("alignment %+v", a)
	}
	if got := a.LeftOut(); len(got) != 4 {
		t.Errorf("left out %v", got)
	}
	if _, err := Align([]string{"a", "label"}, []string{"b", "label"}, nil); err == nil || !strings.Contains(err.Error(), "no column in common") {
		t.Errorf("no common feature: %v", err)
	}
}

func TestCutsAndPairs(t *testing.T) {
	cols := []string{"lepton_pT", "jet1_pt", "m_lv", "m_bb"}
	s := validate.Sample{Rows: 101, Cols: 4, Names: cols}
	for i := range 101 {
		s.Data = append(s.Data, 1, float64(i)/50, 1, float64(100-i))
	}
	cuts := HiggsCuts(s)
	if len(cuts) != 2 || !strings.HasPrefix(cuts[0].Name, "m_bb > 50 ") || cuts[1].Name != "jet1_pt > 1" {
		t.Fatalf("HIGGS cuts %v", cuts)
	}
	var pass [2]int
	for i := range s.Rows {
		for k, c := range cuts {
			if c.Pass(s.Row(i)) {
				pass[k]++
			}
		}
	}
	if pass != [2]int{50, 50} { // m_bb 51..100; jet1_pt = i/50 > 1 for i = 51..100
		t.Errorf("cuts pass %v events, want 50 and 50", pass)
	}
	// A weighted median: the heavy events carry the half.
	s.Weights = make([]float64, s.Rows)
	for i := range s.Weights {
		s.Weights[i] = 1
		if i < 10 { // m_bb 91..100
			s.Weights[i] = 100
		}
	}
	if c := HiggsCuts(s); !strings.HasPrefix(c[0].Name, "m_bb > 95 ") {
		t.Errorf("weighted median cut %q, want m_bb > 95", c[0].Name)
	}
	if c := HiggsCuts(validate.Sample{Rows: 1, Cols: 1, Names: []string{"x"}, Data: []float64{1}}); c != nil {
		t.Errorf("cuts without HIGGS columns: %v", c)
	}
	if _, err := ParseCuts([]string{"m_bb > 1", "nope < 2"}, cols); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown cut column: %v", err)
	}
	if p := DefaultPairs(cols); len(p) != 1 || p[0] != [2]string{"lepton_pT", "m_lv"} {
		t.Errorf("default pairs %v", p)
	}
	if p, err := ParsePairs(" m_bb:m_lv , jet1_pt:m_bb", cols); err != nil || len(p) != 2 || p[1] != [2]string{"jet1_pt", "m_bb"} {
		t.Errorf("pairs %v, %v", p, err)
	}
	for _, bad := range []string{"m_bb", "m_bb:m_bb", "m_bb:nope", ":m_bb"} {
		if _, err := ParsePairs(bad, cols); err == nil {
			t.Errorf("pairs %q accepted", bad)
		}
	}
}

func TestFiniteScores(t *testing.T) {
	inf := math.Inf(1)
	out, capped := finiteScores([]float64{1, inf, -3}, []float64{inf, 7})
	if capped != 14 || !slices.Equal(out[0], []float64{1, 14, -3}) || !slices.Equal(out[1], []float64{14, 7}) {
		t.Errorf("finite scores %v, cap %g", out, capped)
	}
	if _, c := finiteScores([]float64{inf}); c != 1 {
		t.Errorf("cap with no finite score: %g", c)
	}
}

// gaussModel trains a small flow on correlated 3D Gaussian events.
func gaussModel(t *testing.T) (*model.Model, *data.Table) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	n := 3000
	tab := data.Zeros([]string{"a", "b", "c"}, n)
	for i := range n {
		x, y, z := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		copy(tab.Row(i), []float64{2 + x, x + 0.5*y, math.Exp(0.3 * z)})
	}
	spec := flow.DefaultSpec("maf", 3)
	spec.Blocks, spec.Hidden = 2, []int{16, 16}
	res, err := train.FitModel(context.Background(), tab, nil, train.ModelOptions{Spec: spec, ValFraction: 0.2, Gemm: blas.NewGo(1),
		Config: train.Config{Epochs: 5, LR: 1e-3, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Model, tab
}

// TestEncodeInvertsSampling: events drawn from a model are images of
// N(0, I) points, so the model must map them back to N(0, I) exactly,
// however well it was trained; the latent check must then pass.
func TestEncodeInvertsSampling(t *testing.T) {
	m, _ := gaussModel(t)
	n := 4000
	gen := data.Zeros(m.Columns(), n)
	m.Sample(gen.Data, nil, n, rand.New(rand.NewPCG(1, 2)))
	z, kept, err := Encode(m, gen.Data, n, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	// Samples lie inside the support by construction (up to float32 rounding at the edges).
	if len(kept) < n-5 || len(z) != len(kept)*3 {
		t.Fatalf("kept %d of %d events, %d values", len(kept), n, len(z))
	}
	r, err := validate.CheckLatent(z, len(kept), 3)
	if err != nil {
		t.Fatal(err)
	}
	// |z|^2 ~ chi2(3): mean 3, sd of the mean sqrt(6/n) ~ 0.04.
	if math.Abs(r.Norm2Mean-3) > 0.15 || r.Norm2.P < 1e-3 || r.MinP < 1e-3/3 {
		t.Errorf("latent codes of the model's own samples: mean |z|^2 %.3f, KS p %.3g, min per-dim p %.3g", r.Norm2Mean, r.Norm2.P, r.MinP)
	}
	// Scores are -log p.
	s, outside, err := Scores(m, gen.Data[:30], 10, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	lp := make([]float64, 10)
	if _, err := m.LogProb(lp, gen.Data[:30], nil, 10, rand.New(rand.NewPCG(3, 4))); err != nil {
		t.Fatal(err)
	}
	for i := range lp {
		if s[i] != -lp[i] {
			t.Fatalf("score %d = %g, log p = %g", i, s[i], lp[i])
		}
	}
	if outside != 0 {
		t.Errorf("%d sampled events outside the support", outside)
	}
}

// TestReportOfModel runs the comparison, the anomaly ROC and the latent
// check into one report: the model's samples against its training data
// (close), and shifted events as "signal", which -log p must find.
func TestReportOfModel(t *testing.T) {
	ctx := context.Background()
	m, tab := gaussModel(t)
	cols := m.Columns()
	gen := data.Zeros(cols, 3000)
	m.Sample(gen.Data, nil, gen.Rows(), rand.New(rand.NewPCG(8, 9)))
	ref, err := SampleOf(tab, cols, nil)
	if err != nil {
		t.Fatal(err)
	}
	cand, err := SampleOf(gen, cols, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Signal: the reference moved by 1.5 sigma in a, plus events far beyond
	// the training range (finite scores, in the scaling's tails).
	first := make([]int, 1000)
	for i := range first {
		first[i] = i
	}
	sig := ref.Subset(first)
	for i := range sig.Rows {
		sig.Row(i)[0] += 1.5
	}
	for i := range 10 {
		sig.Row(i)[2] = 1e6
	}
	dir := t.TempDir()
	b, err := report.NewBuilder(dir, "test", "", report.HistStyle{})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Compare(ctx, b, ref, cand, CompareConfig{Cuts: []Cut{{Name: "a > 2", Pass: func(r []float64) bool { return r[0] > 2 }}},
		Pairs: [][2]string{{"a", "b"}}, Classifier: &validate.Logistic{}, C2ST: validate.C2STOptions{Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Features) != 3 || len(cs.Cuts) != 1 || cs.C2ST == nil || cs.C2ST.NTest != 3000 {
		t.Errorf("comparison summary %+v", cs)
	}
	// 50 of the 3000 holdout events per tail -> 1/60 of the holdout.
	if q := autoTailQuantile(ref.Rows, cand.Rows, validate.C2STOptions{}); math.Abs(q-50.0/3000) > 1e-12 {
		t.Errorf("tail quantile %g", q)
	}
	as, err := Anomaly(ctx, b, m, ref, sig, AnomalyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("anomaly: %+v", as)
	if as.OutsideSignal != 0 || as.OutsideBackground != 0 || as.AUC < 0.75 || math.IsInf(as.ScoreCap, 0) {
		t.Errorf("anomaly summary %+v: want every event scored, AUC > 0.75", as)
	}
	// The far events are scored, and as the most anomalous of all.
	ss, _, err := Scores(m, sig.Data, sig.Rows, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	sb, _, err := Scores(m, ref.Data, ref.Rows, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if math.IsInf(ss[i], 0) || ss[i] <= slices.Max(sb) {
			t.Errorf("far signal event %d: score %v, background max %v: want finite and above", i, ss[i], slices.Max(sb))
		}
	}
	ls, err := Latent(b, m, ref, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ls.Rows+ls.Outside != 1000 || ls.Dim != 3 {
		t.Errorf("latent summary %+v", ls)
	}
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, report.MetricsName))
	if err != nil {
		t.Fatal(err)
	}
	var metrics map[string]json.RawMessage
	if err := json.Unmarshal(raw, &metrics); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"comparison", "c2st", "anomaly", "latent", "cut_a-2"} {
		if metrics[k] == nil {
			t.Errorf("metrics.json lacks %q", k)
		}
	}
	for _, f := range []string{"anomaly_scores.png", "pair_a_b.png", "latent_norm2.png", "roc_anomaly-score--log-p-x.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	// Columns must be the model's.
	if _, err := Anomaly(ctx, b, m, cand, validate.Sample{Rows: 1, Cols: 1, Names: []string{"a"}, Data: []float64{1}}, AnomalyConfig{}); err == nil {
		t.Error("signal without the model's columns accepted")
	}
}
