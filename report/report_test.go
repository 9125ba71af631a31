package report

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hepflow/validate"
)

// sample draws rows x cols Gaussian events; column 1 is correlated with 0
// by rho, column shiftCol is shifted by shift.
func sample(rng *rand.Rand, rows, cols int, rho float64, shiftCol int, shift float64) validate.Sample {
	s := validate.Sample{Data: make([]float64, rows*cols), Rows: rows, Cols: cols, Names: make([]string, cols)}
	for j := range cols {
		s.Names[j] = []string{"lepton pT", "missing energy", "jet1 eta", "m_bb", "m_jjj"}[j%5]
	}
	for i := range rows {
		r := s.Row(i)
		for j := range r {
			r[j] = rng.NormFloat64()
		}
		r[1] = rho*r[0] + 0.6*r[1]
		if shiftCol >= 0 {
			r[shiftCol] += shift
		}
	}
	return s
}

// checkPNG decodes a PNG and checks its size and that it is not one colour.
func checkPNG(t *testing.T, b []byte, minW, minH int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bd := img.Bounds()
	if bd.Dx() < minW || bd.Dy() < minH {
		t.Fatalf("PNG is %dx%d, want at least %dx%d", bd.Dx(), bd.Dy(), minW, minH)
	}
	colours := map[[4]uint32]int{}
	for y := bd.Min.Y; y < bd.Max.Y; y += 3 {
		for x := bd.Min.X; x < bd.Max.X; x += 3 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}]++
		}
	}
	if len(colours) < 3 {
		t.Fatalf("PNG has %d colours: blank", len(colours))
	}
}

func checkFigure(t *testing.T, name string, f *Figure, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b, err := f.Render("png")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	checkPNG(t, b, 300, 200)
	s, err := f.Render("svg")
	if err != nil || !bytes.Contains(s, []byte("<svg")) {
		t.Fatalf("%s: bad SVG (%v)", name, err)
	}
	dir := t.TempDir()
	img, err := f.SaveBoth(dir, name, name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, p := range []string{img.PNG, img.SVG} {
		if st, err := os.Stat(filepath.Join(dir, p)); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %s missing or empty", name, p)
		}
	}
}

func TestPlots(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := sample(rng, 4000, 4, 0.8, -1, 0), sample(rng, 4000, 4, 0.5, 2, 0.3)
	c, err := validate.Compare(ctx, a, b, validate.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := HistRatio("jet1 eta", c.Features[2].HistA, c.Features[2].HistB, HistStyle{})
	checkFigure(t, "hist", f, err)
	f, err = HistRatio("jet1 eta", c.Features[2].HistA, c.Features[2].HistB, HistStyle{LogY: true, RefLabel: "MC", CandLabel: "flow"})
	checkFigure(t, "hist_log", f, err)
	ha, hb, err := validate.PairHists(a, b, 0, 1, validate.BinningOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err = Pair2D(ha, hb, HistStyle{})
	checkFigure(t, "pair", f, err)
	f, err = CorrelationDiff(c.Correlation)
	checkFigure(t, "corr", f, err)

	sig, bkg := make([]float64, 2000), make([]float64, 2000)
	for i := range sig {
		sig[i], bkg[i] = 1+rng.NormFloat64(), rng.NormFloat64()
	}
	roc, err := validate.ROC(sig, nil, bkg, nil, 200)
	if err != nil {
		t.Fatal(err)
	}
	f, err = ROC("anomaly score", []NamedROC{{"flow -log p", roc}})
	checkFigure(t, "roc", f, err)

	lat, err := validate.CheckLatent(a.Data, a.Rows, a.Cols)
	if err != nil {
		t.Fatal(err)
	}
	f, err = LatentNorm2(lat, a.Cols)
	checkFigure(t, "latent", f, err)
	f, err = LatentMarginals(lat, 0)
	checkFigure(t, "marginals", f, err)
	f, err = TailHist("jet1 eta", a.Column(2, nil), b.Column(2, nil)[:40], b.Column(2, nil)[40:80], false)
	checkFigure(t, "tails", f, err)
}

// TestReport builds a whole report and checks the HTML: summary table
// first, every referenced file present, text escaped, metrics.json valid,
// no temporary files left behind.
func TestReport(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := sample(rng, 3000, 3, 0.8, -1, 0), sample(rng, 3000, 3, 0.8, 2, 0.3)
	a.Names[0], b.Names[0] = "<script>pT</script>", "<script>pT</script>"
	// HEPFLOW_REPORT_DIR keeps the report for a look (or a browser check).
	dir := os.Getenv("HEPFLOW_REPORT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	bl, err := NewBuilder(dir, "hepflow validation & report", "model <m1>", HistStyle{RefLabel: "MC", CandLabel: "flow"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := validate.Compare(ctx, a, b, validate.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return bl.AddComparison(c) },
		func() error {
			ha, hb, err := validate.PairHists(a, b, 0, 1, validate.BinningOptions{})
			if err != nil {
				return err
			}
			return bl.AddPair(ha, hb)
		},
		func() error {
			r, err := validate.CutInvariance(ctx, "x0 > 0", a, b, func(r []float64) bool { return r[0] > 0 }, validate.CompareOptions{})
			if err != nil {
				return err
			}
			return bl.AddCut(r)
		},
		func() error {
			r, err := validate.C2ST(ctx, a, b, &validate.Logistic{}, validate.C2STOptions{Seed: 1, TailQuantile: 0.02})
			if err != nil {
				return err
			}
			return bl.AddC2ST(r, a, b, 2)
		},
		func() error {
			r, err := validate.CheckLatent(a.Data, a.Rows, a.Cols)
			if err != nil {
				return err
			}
			return bl.AddLatent(r)
		},
		func() error {
			roc, err := validate.ROC(b.Column(2, nil), nil, a.Column(2, nil), nil, 100)
			if err != nil {
				return err
			}
			return bl.AddROC("shifted feature as a score", []NamedROC{{"x2", roc}})
		},
		bl.Write,
	}
	for i, s := range steps {
		if err := s(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, HTMLName))
	if err != nil {
		t.Fatal(err)
	}
	h := string(html)
	if bytes.Contains(html, []byte("<script>")) || !strings.Contains(h, "&lt;script&gt;pT&lt;/script&gt;") {
		t.Error("feature name not escaped")
	}
	if !strings.Contains(h, "hepflow validation &amp; report") || !strings.Contains(h, "model &lt;m1&gt;") {
		t.Error("title/subtitle missing or unescaped")
	}
	sum := strings.Index(h, `<table class="summary">`)
	first := strings.Index(h, "<section")
	if sum < 0 || first < 0 || sum > first {
		t.Error("summary table must come before the sections")
	}
	for _, want := range []string{"worst feature (binned chi2)", "classifier two-sample test", "latent |z|² vs χ²(D)", "pass fraction, x0 &gt; 0", "AUC, x2"} {
		if !strings.Contains(h, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllStringSubmatch(h, -1)
	if len(refs) < 10 {
		t.Fatalf("only %d file references", len(refs))
	}
	for _, m := range refs {
		p := filepath.Join(dir, m[1])
		st, err := os.Stat(p)
		if err != nil || st.Size() == 0 {
			t.Errorf("referenced file %s missing or empty", m[1])
			continue
		}
		if strings.HasSuffix(p, ".png") {
			b, _ := os.ReadFile(p)
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				t.Errorf("%s: %v", m[1], err)
			}
		}
	}
	var metrics map[string]json.RawMessage
	mb, err := os.ReadFile(filepath.Join(dir, MetricsName))
	if err != nil || json.Unmarshal(mb, &metrics) != nil {
		t.Fatalf("metrics.json unreadable: %v", err)
	}
	for _, k := range []string{"comparison", "c2st", "latent", "cut_x0-0"} {
		if _, ok := metrics[k]; !ok {
			t.Errorf("metrics.json lacks %q (has %d keys)", k, len(metrics))
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestRenderRejectsEscapingPaths(t *testing.T) {
	_, err := RenderHTML(Report{Sections: []Section{{Title: "x", Images: []Image{{PNG: "../etc/passwd"}}}}})
	if err == nil {
		t.Error("image path outside the folder accepted")
	}
}
