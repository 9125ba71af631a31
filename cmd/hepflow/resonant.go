package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"hepflow/data"
	"hepflow/report"
	"hepflow/validate"
	"hepflow/workflow/resonant"
)

const resonantExamples = `  # CATHODE on a data set with a resonant variable m: flow p(x | m) on the sidebands, a classifier in [3.7, 4.3)
  hepflow anomaly --method cathode --data events.csv --resonant m --signal-region 3.7:4.3 --out cathode

  # the synthetic benchmark (background and a 1% signal, truth known), graded by its label
  hepflow anomaly --method cathode --example synthetic --truth label --signal-region 3.7:4.3 --out cathode-synth

  # a study: 300 signal events injected into background, ANODE's density ratio
  hepflow anomaly --method anode --data bkg.parquet --inject 300 --signal sig.parquet --resonant m_bb \
      --signal-region 0.9:1.3 --out anode
`

// methodOf returns the value of --method in args (default density) without
// parsing the rest: the resonant methods take other flags.
func methodOf(args []string) string {
	for i, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if v, ok := strings.CutPrefix(a, "method="); ok {
			return v
		}
		if a == "method" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return "density"
}

// runResonant is 'anomaly --method cathode|anode': resonant anomaly
// detection in a signal region of a resonant variable, with the flows
// fitted on the way.
func runResonant(ctx context.Context, args []string, e *env) error {
	var c common
	var in inputFlags
	var fit fitFlags
	var method, dataPath, example, resCol, region, truth, features, sigPath, sigWhere, out string
	var inject, oversample, folds, classifiers, exampleSignal, exampleBkg, clfEpochs, clfPatience int
	var clfHidden string
	fs := newFlags("anomaly", "anomaly --method cathode|anode --data FILE --resonant COL --signal-region LO:HI --out DIR [flags]", resonantExamples, e)
	c.register(fs, true)
	in.register(fs)
	fit.register(fs)
	fs.StringVar(&method, "method", "density", "density (-log p of a model trained on background, see 'anomaly --help'), cathode, anode; references: supervised (the same classifier trained on the truth; needs --truth), idealized (CATHODE with the true background in place of the flow; --example only)")
	fs.StringVar(&dataPath, "data", "", "events: the sidebands and the signal region of the resonant variable")
	fs.StringVar(&example, "example", "", "instead of --data: 'synthetic', hepflow's resonant benchmark (columns m, x1..x4, label; known optimal classifier)")
	fs.IntVar(&exampleSignal, "example-signal", 1000, "--example synthetic: signal events in the whole set (~95% of them fall in the signal region 3.7:4.3)")
	fs.IntVar(&exampleBkg, "example-background", 200000, "--example synthetic: background events in the whole set (~6% of them fall in the signal region 3.7:4.3)")
	fs.StringVar(&resCol, "resonant", "", "the resonant variable m (default m with --example)")
	fs.StringVar(&region, "signal-region", "", "LO:HI, the signal region LO <= m < HI; the rest is the sidebands")
	fs.StringVar(&truth, "truth", "", "column of true labels (1 signal, 0 background): grades the scores (ROC, SIC, rejection), never a feature")
	fs.StringVar(&features, "features", "", "comma-separated feature columns (default: every column but the resonant variable and the truth)")
	fs.IntVar(&inject, "inject", 0, "inject this many events drawn at random from --signal into the data (a study; they are the truth unless --truth is given)")
	fs.StringVar(&sigPath, "signal", "", "with --inject: the file of signal events")
	fs.StringVar(&sigWhere, "signal-where", "", "with --inject: selection applied to the signal file")
	fs.IntVar(&oversample, "oversample", 4, "cathode: generated events per signal-region event")
	fs.IntVar(&folds, "folds", 5, "folds of the classifier: every signal-region event is scored by classifiers that did not see it")
	fs.IntVar(&classifiers, "classifiers", 3, "classifiers (seeds) averaged per fold")
	fs.StringVar(&clfHidden, "classifier-hidden", "64,64", "hidden layer sizes of the classifier (an MLP with SiLU)")
	fs.IntVar(&clfEpochs, "classifier-epochs", 100, "maximum epochs of each classifier")
	fs.IntVar(&clfPatience, "classifier-patience", 20, "a classifier stops after this many epochs without a better loss on its internal validation split (weak labels need patience: 5 cost CATHODE a fifth of its max SIC on the synthetic benchmark)")
	fs.StringVar(&out, "out", "", "report folder: report.html, metrics.json, the figures, and scores.csv (the signal-region events with their score)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if err := fit.check(); err != nil {
		return err
	}
	switch method {
	case "cathode", "anode":
	case "idealized":
		if example == "" {
			return usagef("--method idealized needs the true background distribution: --example synthetic only")
		}
	case "supervised":
		if truth == "" && inject == 0 {
			return usagef("--method supervised needs the truth: --truth COL, or --inject (the injected events are the truth)")
		}
	default:
		return usagef("--method %q: want density, cathode, anode, supervised or idealized", method)
	}
	if (dataPath == "") == (example == "") {
		return usagef("give one of --data and --example")
	}
	if example != "" && example != "synthetic" {
		return usagef("--example %q: the one example is 'synthetic'", example)
	}
	if example != "" && (in.format != "" || in.where != "" || in.drop != "") {
		return usagef("--format, --where and --drop read --data; --example makes its own events")
	}
	if example != "" && resCol == "" {
		resCol = "m"
	}
	if resCol == "" || region == "" || out == "" {
		return usagef("--resonant, --signal-region and --out are required")
	}
	lo, hi, err := parseRange(region)
	if err != nil {
		return err
	}
	switch {
	case oversample < 1:
		return usagef("--oversample %d: want at least 1", oversample)
	case folds < 2:
		return usagef("--folds %d: want at least 2", folds)
	case classifiers < 1:
		return usagef("--classifiers %d: want at least 1", classifiers)
	case clfEpochs < 1 || clfPatience < 1:
		return usagef("--classifier-epochs %d, --classifier-patience %d: want at least 1", clfEpochs, clfPatience)
	case inject < 0 || (inject > 0) != (sigPath != ""):
		return usagef("--inject N and --signal FILE go together (N > 0)")
	case exampleSignal < 0 || exampleBkg < 1:
		return usagef("--example-signal %d, --example-background %d: want >= 0 and >= 1", exampleSignal, exampleBkg)
	}
	if truth != "" && truth == resCol {
		return usagef("--truth %s is the resonant variable (--resonant)", truth)
	}
	if err := checkWhere("where", in.where); err != nil {
		return err
	}
	if err := checkWhere("signal-where", sigWhere); err != nil {
		return err
	}
	opts, err := in.options(c.threads)
	if err != nil {
		return err
	}
	spec, err := fit.spec()
	if err != nil {
		return err
	}
	hidden, err := parseInts("classifier-hidden", clfHidden)
	if err != nil {
		return err
	}
	if err := checkOutputDir("out", out, c.force, report.Markers(), dataPath, sigPath); err != nil {
		return err
	}
	gemm, err := c.gemm(e)
	if err != nil {
		return err
	}
	if opts.Format == data.FormatHIGGS && truth == data.HiggsLabel {
		// The HIGGS layout drops its label as a feature; as the truth it is kept.
		opts.Drop = slices.DeleteFunc(opts.Drop, func(s string) bool { return s == data.HiggsLabel })
	}
	tab, err := resonantData(ctx, dataPath, example, exampleBkg, exampleSignal, fit.seed, opts)
	var uc *data.UnknownColumnError
	if errors.As(err, &uc) && slices.Contains(in.dropList(), uc.Name) {
		return usagef("--drop: %v", err)
	}
	if err != nil {
		return err
	}
	if err := checkResonantColumns(tab.Columns, resCol, truth, splitList(features), inject > 0, &fit); err != nil {
		return err
	}
	if inject > 0 {
		if tab, truth, err = injectSignal(ctx, tab, sigPath, sigWhere, in, inject, truth, fit.seed, c.threads); err != nil {
			return err
		}
	}
	log := c.logger(e)
	cfg := resonant.Config{Resonant: resCol, Lo: lo, Hi: hi, Features: splitList(features), Truth: truth,
		Oversample: oversample, Folds: folds, Ensemble: classifiers, Seed: fit.seed, Logger: log}
	cfg.Flow.Spec, cfg.Flow.Config, cfg.Flow.ValFraction, cfg.Flow.Preprocess = spec, fit.config(), fit.valFrac, fit.preprocess()
	cfg.Flow.Config.Logger = log // a line per epoch: the flows are fitted one after another
	cfg.Flow.Gemm, cfg.Flow.Workers, cfg.Flow.Ensemble, cfg.Flow.Logger = gemm, c.threads, fit.members, log
	cfg.NewClassifier = func(seed uint64) validate.Classifier {
		return &validate.MLP{Seed: seed, Hidden: hidden, Epochs: clfEpochs, Patience: clfPatience, Gemm: gemm}
	}
	if len(cfg.Features) == 0 {
		cfg.Features = nil
	}
	var res *resonant.Result
	switch method {
	case "cathode":
		res, err = resonant.Cathode(ctx, tab, cfg)
	case "anode":
		res, err = resonant.Anode(ctx, tab, cfg)
	case "idealized":
		res, err = resonant.Idealized(ctx, tab, cfg, resonant.BackgroundAt)
	default:
		res, err = resonant.Supervised(ctx, tab, cfg)
	}
	if err != nil {
		return err
	}
	return writeResonant(ctx, e, c.json, out, c.force, tab, res)
}

// checkResonantColumns refuses, as usage errors, a --resonant, --truth or
// --features column the data do not have, a feature that is the resonant
// variable or the truth, and a column of the scaling flags (--discrete,
// --continuous, --periodic, --unbounded) that is not a feature. With
// --inject and no --truth the truth column is added later.
func checkResonantColumns(cols []string, resCol, truth string, features []string, inject bool, fit *fitFlags) error {
	has := func(flagName, name string) error {
		if !slices.Contains(cols, name) {
			return usagef("--%s: %v", flagName, &data.UnknownColumnError{Name: name, Known: cols})
		}
		return nil
	}
	if err := has("resonant", resCol); err != nil {
		return err
	}
	if truth != "" && !(inject && truth == "injected") {
		if err := has("truth", truth); err != nil {
			return err
		}
	}
	for _, f := range features {
		if err := has("features", f); err != nil {
			return err
		}
		if f == resCol || f == truth {
			return usagef("--features %s: the resonant variable and the truth are never features", f)
		}
	}
	if features == nil {
		features = slices.DeleteFunc(slices.Clone(cols), func(c string) bool { return c == resCol || c == truth })
	}
	return fit.checkColumns(features)
}

// parseRange parses LO:HI.
func parseRange(s string) (float64, float64, error) {
	a, b, ok := strings.Cut(s, ":")
	lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if !ok || err1 != nil || err2 != nil || !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 0, usagef("--signal-region %q: want LO:HI with finite LO < HI, e.g. 3.7:4.3", s)
	}
	return lo, hi, nil
}

// resonantData reads --data or makes --example.
func resonantData(ctx context.Context, path, example string, nbkg, nsig int, seed uint64, opts data.ReadOptions) (*data.Table, error) {
	if example != "" {
		return resonant.Synthetic{Background: nbkg, Signal: nsig, Seed: seed}.Generate(), nil
	}
	return data.Read(ctx, path, opts)
}

// injectSignal appends n events drawn at random (seeded) from the signal
// file to tab, on tab's columns. Unless the data have a truth column, one
// named "injected" marks them (1) against the data (0) and is returned as
// the truth.
func injectSignal(ctx context.Context, tab *data.Table, path, where string, in inputFlags, n int, truth string, seed uint64, threads int) (*data.Table, string, error) {
	sin := in
	sin.where = where
	opts, err := sin.options(threads)
	if err != nil {
		return nil, "", err
	}
	cols := slices.Clone(tab.Columns)
	if truth == "" {
		truth = "injected"
		if slices.Contains(cols, truth) {
			return nil, "", usagef("--inject: the data already have a column %q; name the truth with --truth", truth)
		}
	}
	opts.Columns = slices.DeleteFunc(slices.Clone(cols), func(s string) bool { return s == "injected" })
	opts.Drop = nil
	sig, err := data.Read(ctx, path, opts)
	if err != nil {
		return nil, "", fmt.Errorf("--signal: %w", err)
	}
	if sig.Rows() < n {
		return nil, "", usagef("--inject %d: %s has only %d events (after the selection)", n, path, sig.Rows())
	}
	pick := rand.New(rand.NewPCG(seed, 0x171ec7)).Perm(sig.Rows())[:n]
	w := len(cols)
	marked := truth == "injected"
	if marked {
		w++
	}
	all := make([]float64, 0, (tab.Rows()+n)*w)
	for r := 0; r < tab.Rows(); r++ {
		all = append(all, tab.Row(r)...)
		if marked {
			all = append(all, 0)
		}
	}
	for _, r := range pick {
		all = append(all, sig.Row(r)...)
		if marked {
			all = append(all, 1)
		}
	}
	if marked {
		cols = append(cols, truth)
	}
	t, err := data.New(cols, all)
	return t, truth, err
}

// writeResonant writes the report, metrics and per-event scores into a
// temporary folder, moves it to out when complete, and prints the summary.
func writeResonant(ctx context.Context, e *env, asJSON bool, out string, force bool, tab *data.Table, res *resonant.Result) error {
	name := map[string]string{"cathode": "CATHODE", "anode": "ANODE", "supervised": "supervised", "idealized": "idealized"}[res.Method]
	dir, err := report.CreateFolder(out, force)
	if err != nil {
		return outputError("out", out, err)
	}
	defer dir.Abort()
	b, err := report.NewBuilder(dir.Path(), "hepflow anomaly: "+name,
		fmt.Sprintf("%d sideband and %d signal-region events; features %s", res.NSideband, res.NSignalRegion, strings.Join(res.Features, ", ")),
		report.HistStyle{RefLabel: "held-out sideband events", CandLabel: "sideband flow at their m"})
	if err != nil {
		return err
	}
	if res.SidebandCheck != nil {
		if err := b.AddComparison(*res.SidebandCheck); err != nil {
			return err
		}
	}
	if res.Sideband != nil {
		b.AddMetric(report.Metric{Name: "sideband flow, validation NLL", Value: fmt.Sprintf("%.4f", float64(res.Sideband.ValNLL)), Note: "nats/event, physical units"})
	}
	if g := res.Truth; g != nil && g.NSignal > 0 && g.NBackground > 0 {
		rocs := []report.NamedROC{{Name: name, Curve: g.ROC}}
		sics := []report.NamedSIC{{Name: name, Curve: g.SIC}}
		if dg := res.DensityTruth; dg != nil && dg.NSignal > 0 {
			rocs = append(rocs, report.NamedROC{Name: "density -log p_SB(x|m)", Curve: dg.ROC})
			sics = append(sics, report.NamedSIC{Name: "density -log p_SB(x|m)", Curve: dg.SIC})
		}
		if err := b.AddROC(name+" score in the signal region", rocs); err != nil {
			return err
		}
		if err := b.AddSIC(name+" significance improvement", sics); err != nil {
			return err
		}
	}
	if s := res.DataVsGenerated; s != nil {
		b.AddMetric(report.Metric{Name: "real vs generated signal-region events, classifier AUC", Value: fmt.Sprintf("%.4f ± %.4f", s.AUC, s.Sigma),
			Note: fmt.Sprintf("out of fold; %.1f sigma from 0.5: with no signal and a good flow, consistent with 0.5", s.Pulls)})
	}
	b.SetMetric("headline", res)
	// The signal-region events with their columns and score (and CATHODE's
	// density score beside it).
	cols := append(slices.Clone(tab.Columns), "score")
	if res.DensityScores != nil {
		cols = append(cols, "density_score")
	}
	rows := make([]float64, 0, len(res.Scores)*len(cols))
	for i, r := range res.SignalRegion {
		rows = append(rows, tab.Row(r)...)
		rows = append(rows, res.Scores[i])
		if res.DensityScores != nil {
			rows = append(rows, res.DensityScores[i])
		}
	}
	st, err := data.New(cols, rows)
	if err != nil {
		return err
	}
	scores := filepath.Join(out, "scores.csv")
	if err := data.Write(filepath.Join(dir.Path(), "scores.csv"), st, data.WriteOptions{}); err != nil {
		return err
	}
	if err := commitReport(ctx, b, dir); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e, res)
	}
	fmt.Fprintf(e.stdout, "%s: %d signal-region events scored", name, res.NSignalRegion)
	if res.Sideband != nil {
		fmt.Fprintf(e.stdout, " (%d sideband events fitted, validation NLL %.4f)", res.NSideband, float64(res.Sideband.ValNLL))
	}
	fmt.Fprintln(e.stdout)
	if c := res.Check; c != nil {
		fmt.Fprintf(e.stdout, "  sideband check: %d held-out sideband events vs the flow at their m: smallest chi2 p %.3g (%s), largest KS %.3f\n", c.Events, c.MinChi2P, c.WorstFeature, c.MaxKS)
	}
	if s := res.DataVsGenerated; s != nil {
		fmt.Fprintf(e.stdout, "  real vs generated signal-region events: classifier AUC %.4f (%.1f sigma from 0.5, the value with no signal and a perfect flow)\n", s.AUC, s.Pulls)
	}
	if g := res.Truth; g != nil {
		fmt.Fprintf(e.stdout, "  truth: %d signal, %d background in the signal region", g.NSignal, g.NBackground)
		if g.NSignal > 0 && g.NBackground > 0 {
			fmt.Fprintf(e.stdout, "; AUC %.4f, max SIC %.2f at signal efficiency %.3f; rejection 1/eps_B %.1f at eps_S 0.2, %.1f at 0.5",
				g.AUC, g.SIC.MaxSIC, g.SIC.EffSAtMax, g.Rejection["0.2"], g.Rejection["0.5"])
		}
		fmt.Fprintln(e.stdout)
	}
	if g := res.DensityTruth; g != nil && g.NSignal > 0 && g.NBackground > 0 {
		fmt.Fprintf(e.stdout, "  density score -log p_SB(x|m) beside it: AUC %.4f, max SIC %.2f\n", g.AUC, g.SIC.MaxSIC)
	}
	fmt.Fprintf(e.stdout, "  wrote %s, %s, %s\n", filepath.Join(out, report.HTMLName), filepath.Join(out, report.MetricsName), scores)
	return nil
}
