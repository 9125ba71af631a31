package report

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"hepflow/validate"
)

// MetricsName is the file name of the metrics written beside the report.
const MetricsName = "metrics.json"

// Builder assembles a report directory from validate results: each Add
// method saves its figures into the directory, appends a section and
// summary lines, and records the raw result for metrics.json.
type Builder struct {
	dir     string
	style   HistStyle
	report  Report
	metrics map[string]any
}

// NewBuilder creates (if needed) the report directory dir.
func NewBuilder(dir, title, subtitle string, style HistStyle) (*Builder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report dir %s: %w", dir, err)
	}
	return &Builder{dir: dir, style: style, report: Report{Title: title, Subtitle: subtitle}, metrics: map[string]any{}}, nil
}

// Dir returns the report directory.
func (b *Builder) Dir() string { return b.dir }

// AddMetric appends a line to the summary table.
func (b *Builder) AddMetric(m Metric) { b.report.Summary = append(b.report.Summary, m) }

// AddSection appends a hand-made section.
func (b *Builder) AddSection(s Section) { b.report.Sections = append(b.report.Sections, s) }

// SetMetric records v under key in metrics.json.
func (b *Builder) SetMetric(key string, v any) { b.metrics[key] = v }

// Report returns the report assembled so far.
func (b *Builder) Report() Report { return b.report }

// Write writes metrics.json and report.html (atomically, in that order).
func (b *Builder) Write() error {
	if err := WriteJSON(filepath.Join(b.dir, MetricsName), b.metrics); err != nil {
		return err
	}
	return WriteHTML(b.dir, b.report)
}

// pStatus grades a p-value after a Bonferroni correction for n tests.
func pStatus(p float64, n int) Status {
	q := p * float64(max(n, 1))
	switch {
	case q < 0.01:
		return StatusFail
	case q < 0.05:
		return StatusWarn
	}
	return StatusOK
}

func g3(v float64) string { return fmt.Sprintf("%.3g", v) }

// AddComparison adds the per-feature section (table and one
// histogram-with-ratio figure per feature) and the correlation section.
func (b *Builder) AddComparison(c validate.Comparison) error {
	nf := len(c.Features)
	b.metrics["comparison"] = c
	worst := slices.MinFunc(c.Features, func(x, y validate.FeatureResult) int { return cmp.Compare(x.Chi2.P, y.Chi2.P) })
	b.AddMetric(Metric{Name: "worst feature (binned chi2)", Value: fmt.Sprintf("%s: p = %.3g", worst.Name, worst.Chi2.P),
		Note: fmt.Sprintf("smallest of %d per-feature p-values; graded after a Bonferroni correction", nf), Status: pStatus(worst.Chi2.P, nf)})
	b.AddMetric(Metric{Name: "largest KS distance", Value: g3(c.MaxKS), Note: "max over features of sup|F_ref - F_cand|"})
	b.AddMetric(Metric{Name: "largest |Δ correlation|", Value: g3(c.Correlation.MaxAbsDiff),
		Note: fmt.Sprintf("%s vs %s", c.Correlation.MaxPair[0], c.Correlation.MaxPair[1])})

	t := &Table{Header: []string{"feature", "chi2 / dof", "chi2 p", "KS D", "KS p", "KL", "chi2 distance", "mean ref", "mean cand", "std ref", "std cand"}}
	var imgs []Image
	for _, f := range c.Features {
		t.Rows = append(t.Rows, []Cell{{Text: f.Name}, {Text: fmt.Sprintf("%.1f / %d", f.Chi2.Chi2, f.Chi2.Dof)},
			{Text: g3(f.Chi2.P), Status: pStatus(f.Chi2.P, nf)}, {Text: g3(f.KS.D)}, {Text: g3(f.KS.P), Status: pStatus(f.KS.P, nf)},
			{Text: g3(f.KL)}, {Text: g3(f.Chi2Distance)}, {Text: g3(f.MeanA)}, {Text: g3(f.MeanB)}, {Text: g3(f.StdA)}, {Text: g3(f.StdB)}})
		fig, err := HistRatio(f.Name, f.HistA, f.HistB, b.style)
		if err != nil {
			return err
		}
		img, err := fig.SaveBoth(b.dir, fmt.Sprintf("hist_%02d_%s", f.Index, anchor(f.Name)), fmt.Sprintf("%s: chi2 p = %.3g, KS p = %.3g", f.Name, f.Chi2.P, f.KS.P))
		if err != nil {
			return err
		}
		imgs = append(imgs, img)
	}
	b.AddSection(Section{ID: "features", Title: "Per-feature distributions",
		HowToRead: "Each feature of the candidate (dashed blue) over the reference (black), both normalised to unit area with sqrt(sum w²) error bars; the lower panel is candidate/reference, which should scatter around 1 within its error bars, and a small chi2/KS p-value flags a feature the generator gets wrong.",
		Table:     t, Images: imgs})

	fig, err := CorrelationDiff(c.Correlation)
	if err != nil {
		return err
	}
	img, err := fig.SaveBoth(b.dir, "correlation_diff", "candidate minus reference Pearson correlation")
	if err != nil {
		return err
	}
	b.AddSection(Section{ID: "correlations", Title: "Correlations",
		HowToRead: "Difference of the Pearson correlation matrices (candidate − reference): grey is no difference, and red (blue) cells show feature pairs whose linear correlation the generator over- (under-)states.",
		Images:    []Image{img}})
	return nil
}

// AddPair adds 2D histograms of one feature pair for both samples.
func (b *Builder) AddPair(ref, cand validate.Hist2D) error {
	fig, err := Pair2D(ref, cand, b.style)
	if err != nil {
		return err
	}
	img, err := fig.SaveBoth(b.dir, "pair_"+anchor(ref.NameX)+"_"+anchor(ref.NameY), ref.NameX+" vs "+ref.NameY)
	if err != nil {
		return err
	}
	b.AddSection(Section{ID: "pair-" + ref.NameX + "-" + ref.NameY, Title: "2D: " + ref.NameX + " vs " + ref.NameY,
		HowToRead: "The joint distribution of two features for reference (left) and candidate (right) on one colour scale: the shapes should match, including tails and ridges.",
		Images:    []Image{img}})
	return nil
}

// AddCut adds a cut-invariance section: pass fractions and the per-feature
// tests on the selected events, with the histogram of the worst feature.
func (b *Builder) AddCut(r validate.CutResult) error {
	key := "cut_" + anchor(r.Name)
	b.metrics[key] = r
	b.AddMetric(Metric{Name: "pass fraction, " + r.Name, Value: fmt.Sprintf("%.4f vs %.4f", r.PassA, r.PassB),
		Note: fmt.Sprintf("reference vs candidate; difference %.2g ± %.2g (pull %.1f)", r.Diff, r.DiffErr, r.Pull), Status: pStatus(r.PullP, 1)})
	sec := Section{ID: key, Title: "After the cut " + r.Name,
		HowToRead: "A good generator keeps the same fraction of events under a physics selection (pull within ±2) and still matches every feature on the events that pass."}
	if r.Selection == nil {
		b.AddSection(sec)
		return nil
	}
	nf := len(r.Selection.Features)
	t := &Table{Header: []string{"feature", "chi2 / dof", "chi2 p", "KS p"}}
	for _, f := range r.Selection.Features {
		t.Rows = append(t.Rows, []Cell{{Text: f.Name}, {Text: fmt.Sprintf("%.1f / %d", f.Chi2.Chi2, f.Chi2.Dof)},
			{Text: g3(f.Chi2.P), Status: pStatus(f.Chi2.P, nf)}, {Text: g3(f.KS.P), Status: pStatus(f.KS.P, nf)}})
	}
	sec.Table = t
	worst := slices.MinFunc(r.Selection.Features, func(x, y validate.FeatureResult) int { return cmp.Compare(x.Chi2.P, y.Chi2.P) })
	fig, err := HistRatio(worst.Name+" ("+r.Name+")", worst.HistA, worst.HistB, b.style)
	if err != nil {
		return err
	}
	img, err := fig.SaveBoth(b.dir, key+"_"+anchor(worst.Name), "worst feature after the cut: "+worst.Name)
	if err != nil {
		return err
	}
	sec.Images = []Image{img}
	b.AddSection(sec)
	return nil
}

// AddC2ST adds the classifier two-sample test and the density-ratio tails:
// summary lines, a table of per-feature means in the tails, and tail
// histograms of the maxFeatures features whose tails differ most.
func (b *Builder) AddC2ST(r validate.C2STResult, ref, cand validate.Sample, maxFeatures int) error {
	b.metrics["c2st"] = r
	b.AddMetric(Metric{Name: "classifier two-sample test", Value: fmt.Sprintf("acc %.4f, p = %.3g", r.Accuracy, r.P),
		Note: fmt.Sprintf("n_te = %d, AUC = %.4f; accuracy 0.5 and AUC 0.5 mean indistinguishable", r.NTest, r.AUC), Status: pStatus(r.P, 1)})
	tm := r.TailMeans
	cols := len(tm.Names)
	if cols != ref.Cols || cols != cand.Cols {
		return fmt.Errorf("c2st section: %d tail features, samples have %d and %d", cols, ref.Cols, cand.Cols)
	}
	// Per-feature holdout values and their spread, to rank features by how
	// far apart the two tails sit in units of the feature's width.
	h := r.Holdout
	val := func(k, j int) float64 {
		if h.Label[k] == 1 {
			return cand.Row(h.Index[k])[j]
		}
		return ref.Row(h.Index[k])[j]
	}
	type ranked struct {
		j     int
		score float64
	}
	var order []ranked
	t := &Table{Header: []string{"feature", "mean (holdout)", "mean, lowest r", "mean, highest r", "(high − low)/std"}}
	for j := range cols {
		var s, s2 float64
		for k := range h.Index {
			v := val(k, j)
			s += v
			s2 += v * v
		}
		n := float64(len(h.Index))
		std := math.Sqrt(math.Max(s2/n-(s/n)*(s/n), 0))
		sc := 0.0
		if std > 0 {
			sc = (tm.High[j] - tm.Low[j]) / std
		}
		order = append(order, ranked{j, math.Abs(sc)})
		t.Rows = append(t.Rows, []Cell{{Text: tm.Names[j]}, {Text: g3(tm.All[j])}, {Text: g3(tm.Low[j])}, {Text: g3(tm.High[j])}, {Text: fmt.Sprintf("%.2f", sc)}})
	}
	slices.SortStableFunc(order, func(x, y ranked) int { return cmp.Compare(y.score, x.score) })
	var imgs []Image
	for _, o := range order[:min(maxFeatures, len(order))] {
		all := make([]float64, len(h.Index))
		for k := range all {
			all[k] = val(k, o.j)
		}
		pick := func(tail []validate.TailEvent) []float64 {
			out := make([]float64, len(tail))
			for i, e := range tail {
				s := ref
				if e.Sample == "candidate" {
					s = cand
				}
				out[i] = s.Row(e.Index)[o.j]
			}
			return out
		}
		fig, err := TailHist(tm.Names[o.j], all, pick(r.LowTail), pick(r.HighTail), false)
		if err != nil {
			return err
		}
		img, err := fig.SaveBoth(b.dir, fmt.Sprintf("tails_%02d_%s", o.j, anchor(tm.Names[o.j])), tm.Names[o.j]+" in the density-ratio tails")
		if err != nil {
			return err
		}
		imgs = append(imgs, img)
	}
	b.AddSection(Section{ID: "c2st", Title: "Classifier two-sample test and density ratio",
		HowToRead: fmt.Sprintf("A classifier trained to tell candidate from reference scores %.4f on %d held-out events (0.5 = indistinguishable; p = %.3g); r(x) = D/(1−D) after calibration, and the %.3g%% of events with the highest r (candidate excess) and lowest r (candidate deficit) show where the generator fails: features whose tail means differ most are plotted.",
			r.Accuracy, r.NTest, r.P, 100*r.TailQuantile),
		Table: t, Images: imgs})
	return nil
}

// AddLatent adds the latent-space check: |z|^2 against chi2(D) and the
// per-dimension marginals against N(0,1).
func (b *Builder) AddLatent(r validate.LatentResult) error {
	b.metrics["latent"] = r
	d := len(r.Dims)
	b.AddMetric(Metric{Name: "latent |z|² vs χ²(D)", Value: fmt.Sprintf("KS p = %.3g", r.Norm2.P),
		Note: fmt.Sprintf("mean |z|² = %.3g (expect %d); smallest per-dimension KS p = %.3g", r.Norm2Mean, d, r.MinP), Status: pStatus(r.Norm2.P, 1)})
	f1, err := LatentNorm2(r, d)
	if err != nil {
		return err
	}
	i1, err := f1.SaveBoth(b.dir, "latent_norm2", "|z|² of the latent codes against χ²(D)")
	if err != nil {
		return err
	}
	f2, err := LatentMarginals(r, 16)
	if err != nil {
		return err
	}
	i2, err := f2.SaveBoth(b.dir, "latent_marginals", "latent dimensions against N(0,1)")
	if err != nil {
		return err
	}
	t := &Table{Header: []string{"dimension", "mean", "std", "KS D", "KS p"}}
	for _, dim := range r.Dims {
		t.Rows = append(t.Rows, []Cell{{Text: fmt.Sprintf("z%d", dim.Index)}, {Text: g3(dim.Mean)}, {Text: g3(dim.Std)}, {Text: g3(dim.KS.D)}, {Text: g3(dim.KS.P), Status: pStatus(dim.KS.P, d)}})
	}
	b.AddSection(Section{ID: "latent", Title: "Latent space",
		HowToRead: "Data mapped through the flow should be standard normal: each dimension should follow the black N(0,1) curve (mean 0, std 1) and |z|² should follow χ²(D); excess at large |z|² means the flow underestimates the tails.",
		Table:     t, Images: []Image{i1, i2}})
	return nil
}

// AddROC adds ROC curves, e.g. of an anomaly score (higher = more
// signal-like) for signal vs background.
func (b *Builder) AddROC(title string, curves []NamedROC) error {
	fig, err := ROC(title, curves)
	if err != nil {
		return err
	}
	img, err := fig.SaveBoth(b.dir, "roc_"+anchor(title), title)
	if err != nil {
		return err
	}
	m := map[string]validate.ROCCurve{}
	for _, c := range curves {
		m[c.Name] = c.Curve
		b.AddMetric(Metric{Name: "AUC, " + c.Name, Value: fmt.Sprintf("%.4f", c.Curve.AUC), Note: title})
	}
	b.metrics["roc_"+anchor(title)] = m
	b.AddSection(Section{ID: "roc-" + title, Title: title,
		HowToRead: "Signal efficiency against background efficiency as the score threshold moves; the further above the diagonal (AUC towards 1), the better the score separates signal from background.",
		Images:    []Image{img}})
	return nil
}
