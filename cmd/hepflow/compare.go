package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"hepflow/internal/atomicfile"
	"hepflow/report"
	"hepflow/validate"
	"hepflow/workflow/suite"
)

const compareExamples = `  # generated events against the Monte Carlo background they imitate
  hepflow compare --reference HIGGS.csv.gz --format higgs --where 'label==0' --candidate gen.csv --out report

  # own cuts and 2D views, no classifier test, JSON summary
  hepflow compare --reference mc.parquet --candidate gen.parquet --cut 'm_bb > 1.2' --cut 'jet1_pt > 1 && m_jj < 2' \
      --pairs lepton_pT:m_lv,m_bb:m_wbb --c2st=false --out report --json
`

func runCompare(ctx context.Context, args []string, e *env) error {
	var c common
	var in inputFlags
	var side sideFlags
	var refPath, candPath, weightCol, pairs, out, classifier string
	var cuts listFlag
	var doC2ST bool
	var maxEvents int
	var seed uint64
	fs := newFlags("compare", "compare --reference FILE --candidate FILE --out DIR [flags]", compareExamples, e)
	c.register(fs, true)
	in.register(fs)
	side.register(fs, "candidate", "the candidate file")
	fs.StringVar(&refPath, "reference", "", "reference events (e.g. Monte Carlo); --format and --where apply to it")
	fs.StringVar(&candPath, "candidate", "", "candidate events (e.g. generated); compared on the columns both files have (a label column never is)")
	fs.StringVar(&weightCol, "weight", "", "column of per-event weights (required in the reference; used in the candidate when it has it)")
	fs.Var(&cuts, "cut", "selection for the cut-invariance check, repeatable, e.g. 'm_bb > 1.2'; default for HIGGS columns: m_bb above its reference median and jet1_pt > 1; 'none' for no cuts")
	fs.StringVar(&pairs, "pairs", "", "feature pairs for 2D histograms, x:y,x:y (default for HIGGS columns: lepton_pT:m_lv; 'none' for no pairs)")
	fs.BoolVar(&doC2ST, "c2st", true, "run the classifier two-sample test and show the density-ratio tails (seconds to a minute)")
	fs.StringVar(&classifier, "classifier", "mlp", "classifier of the two-sample test: mlp or logistic")
	fs.IntVar(&maxEvents, "max-events", 50000, "classifier test: at most this many events of each sample (0 = all)")
	fs.Uint64Var(&seed, "seed", 1, "seed of the classifier test")
	fs.StringVar(&out, "out", "", "report folder: report.html, metrics.json and the figures (PNG and SVG)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if refPath == "" || candPath == "" {
		return usagef("--reference and --candidate are required")
	}
	if maxEvents < 0 {
		return usagef("--max-events %d: want 0 (all) or more", maxEvents)
	}
	if err := checkInputFlags(&in); err != nil {
		return err
	}
	if _, err := side.options(&in, c.threads); err != nil {
		return err
	}
	if _, err := newClassifier(classifier, seed, nil); err != nil {
		return err
	}
	if err := checkOutputDir("out", out, c.force, report.Markers(), refPath, candPath); err != nil {
		return err
	}
	g, err := c.gemm(e)
	if err != nil {
		return err
	}
	var clf validate.Classifier
	if doC2ST {
		if clf, err = newClassifier(classifier, seed, g); err != nil {
			return err
		}
	}
	s, err := readTwoSamples(ctx, e, &c, &in, &side, refPath, candPath, weightCol)
	if err != nil {
		return err
	}
	cfg := suite.CompareConfig{Classifier: clf, Workers: c.threads,
		C2ST: validate.C2STOptions{MaxPerClass: maxEvents, Seed: seed}}
	if cfg.Cuts, err = chooseCuts(cuts, s.a, s.align.Common); err != nil {
		return err
	}
	if cfg.Pairs, err = choosePairs(pairs, s.align.Common); err != nil {
		return err
	}
	// The report is written under a temporary name and takes its name only
	// when complete: a failure or an interrupt leaves --out as it was.
	dir, err := report.CreateFolder(out, c.force)
	if err != nil {
		return outputError("out", out, err)
	}
	defer dir.Abort()
	b, err := report.NewBuilder(dir.Path(), "hepflow compare",
		fmt.Sprintf("reference %s (%d events) vs candidate %s (%d events), %d features", filepath.Base(refPath), s.a.Rows, filepath.Base(candPath), s.b.Rows, len(s.align.Common)),
		report.HistStyle{RefLabel: "reference", CandLabel: "candidate"})
	if err != nil {
		return err
	}
	sum, err := suite.Compare(ctx, b, s.a, s.b, cfg)
	if err != nil {
		return err
	}
	h := compareHeadline{Report: filepath.Join(out, report.HTMLName), Metrics: filepath.Join(out, report.MetricsName), Columns: s.align, CompareSummary: sum}
	b.SetMetric("headline", h)
	if err := commitReport(ctx, b, dir); err != nil {
		return err
	}
	if c.json {
		return printJSON(e, h)
	}
	printCompare(e, h)
	return nil
}

// commitReport writes the report's metrics.json and report.html into its
// temporary folder and moves the folder into place, unless the command was
// interrupted meanwhile: then nothing is written.
func commitReport(ctx context.Context, b *report.Builder, dir *atomicfile.Dir) error {
	if err := b.Write(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return dir.Commit()
}

// compareHeadline is what compare prints with --json and stores in
// metrics.json under "headline".
type compareHeadline struct {
	Report  string          `json:"report"`
	Metrics string          `json:"metrics"`
	Columns suite.Alignment `json:"columns"`
	suite.CompareSummary
}

// chooseCuts compiles --cut, or picks the HIGGS defaults when none is given.
func chooseCuts(flags []string, ref validate.Sample, columns []string) ([]suite.Cut, error) {
	if len(flags) == 0 {
		return suite.HiggsCuts(ref), nil
	}
	if len(flags) == 1 && flags[0] == "none" {
		return nil, nil
	}
	cuts, err := suite.ParseCuts(flags, columns)
	if err != nil {
		return nil, usagef("--%v (cuts may use the compared columns only)", err)
	}
	return cuts, nil
}

// choosePairs parses --pairs, or picks the HIGGS default when it is empty.
func choosePairs(flag string, columns []string) ([][2]string, error) {
	switch flag {
	case "":
		return suite.DefaultPairs(columns), nil
	case "none":
		return nil, nil
	}
	p, err := suite.ParsePairs(flag, columns)
	if err != nil {
		return nil, usagef("--pairs: %v", err)
	}
	return p, nil
}

func printCompare(e *env, h compareHeadline) {
	w := e.stdout
	fmt.Fprintf(w, "compared %d reference and %d candidate events on %d features", h.NReference, h.NCandidate, len(h.Columns.Common))
	if left := h.Columns.LeftOut(); len(left) > 0 {
		fmt.Fprintf(w, " (left out: %s)", strings.Join(left, " "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  per-feature chi2   %d of %d features with p < 0.05; worst %s p = %.3g (Bonferroni %.3g)\n",
		h.PBelow005, len(h.Features), h.WorstFeature, h.MinChi2P, h.BonferroniP)
	fmt.Fprintf(w, "  largest KS D       %.3g; largest |Δ correlation| %.3g (%s, %s)\n", h.MaxKS, h.MaxCorrelationAbs, h.MaxCorrelationAt[0], h.MaxCorrelationAt[1])
	for _, cut := range h.Cuts {
		fmt.Fprintf(w, "  cut %-28s pass %.4f vs %.4f (pull %+.1f); worst feature after it p = %.3g\n", cut.Name, cut.PassReference, cut.PassCandidate, cut.Pull, cut.MinChi2P)
	}
	if h.C2ST != nil {
		fmt.Fprintf(w, "  classifier test    accuracy %.4f, AUC %.4f, p = %.3g (n_test %d)\n", h.C2ST.Accuracy, h.C2ST.AUC, h.C2ST.P, h.C2ST.NTest)
	}
	fmt.Fprintf(w, "  wrote              %s, %s\n", h.Report, h.Metrics)
}
