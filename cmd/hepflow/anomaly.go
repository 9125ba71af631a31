package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"hepflow/data"
	"hepflow/model"
	"hepflow/report"
	"hepflow/validate"
	"hepflow/workflow/score"
	"hepflow/workflow/suite"
)

const anomalyExamples = `  # a model trained on background; signal and held-out background from one HIGGS file
  hepflow anomaly --model bkg.safetensors --format higgs --background test.csv.gz --where 'label==0' \
      --signal test.csv.gz --signal-where 'label==1' --out anomaly

  hepflow anomaly --model bkg.safetensors --background bkg-test.parquet --signal sig.parquet --out anomaly --json

  # on a batch farm: job K of 100 scores its part of both files, then one report from all the parts
  hepflow anomaly --model bkg.safetensors --background bkg.parquet --signal sig.parquet --shard K/100 --out scores
  hepflow anomaly --background-scores 'scores/background-lp-*' --signal-scores 'scores/signal-lp-*' --out anomaly
`

func runAnomaly(ctx context.Context, args []string, e *env) error {
	switch methodOf(args) {
	case "density":
	case "cathode", "anode", "supervised", "idealized":
		return runResonant(ctx, args, e)
	default:
		return usagef("--method %q: want density, cathode, anode, supervised or idealized", methodOf(args))
	}
	var c common
	var in inputFlags
	var modelPath, bkgPath, sigPath, sigFormat, sigWhere, weightCol, out string
	var bkgScores, sigScores, shard string
	var latentEvents int
	var seed uint64
	fs := newFlags("anomaly", "anomaly --model MODEL --background FILE --signal FILE --out DIR [flags]", anomalyExamples, e)
	c.register(fs, true)
	fs.StringVar(&modelPath, "model", "", "model trained on background ('hepflow train')")
	fs.StringVar(&bkgPath, "background", "", "background events the model did not train on; must hold the model's columns")
	fs.StringVar(&sigPath, "signal", "", "signal events; must hold the model's columns")
	fs.StringVar(&in.format, "format", "", "input format: csv, parquet, npy, or higgs (UCI HIGGS layout); default from the extension")
	fs.StringVar(&in.where, "where", "", "selection applied to the background file, e.g. 'label==0'")
	fs.StringVar(&sigFormat, "signal-format", "", "format of the signal file (default: --format)")
	fs.StringVar(&sigWhere, "signal-where", "", "selection applied to the signal file, e.g. 'label==1'")
	fs.StringVar(&weightCol, "weight", "", "column of per-event weights, required in both files")
	fs.IntVar(&latentEvents, "latent-events", 50000, "latent-space check on the first this many background events (0 = all, -1 = skip the check)")
	fs.Uint64Var(&seed, "seed", 1, "seed of the dequantization noise of discrete columns")
	fs.StringVar(&out, "out", "", "report folder: report.html, metrics.json and the figures")
	fs.StringVar(&bkgScores, "background-scores", "", "instead of --model/--background/--signal: comma-separated files (globs allowed) of log densities written by 'hepflow logprob' for background events, e.g. the shards of a batch job; needs --signal-scores")
	fs.StringVar(&sigScores, "signal-scores", "", "the same for signal events (see --background-scores)")
	fs.StringVar(&shard, "shard", "", "K/N: score only the K-th of N parts of --background and --signal (whole blocks of 65,536 events) and write the scores to the folder --out (shared by all shards) instead of a report; then one 'anomaly --background-scores ... --signal-scores ...' makes the report (no --weight, no latent check)")
	fs.String("method", "density", "density: -log p(x) of a model trained on background (this page); cathode, anode (and the references supervised, idealized): resonant anomaly detection in a signal region, see 'hepflow anomaly --method cathode --help'")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if bkgScores != "" || sigScores != "" {
		return anomalyFromScores(ctx, e, c, in.format, bkgScores, sigScores, out, fs)
	}
	if modelPath == "" || bkgPath == "" || sigPath == "" {
		return usagef("--model, --background and --signal are required (or --background-scores and --signal-scores)")
	}
	if latentEvents < -1 {
		return usagef("--latent-events %d: want -1 (skip), 0 (all) or more", latentEvents)
	}
	if sigFormat == "" {
		sigFormat = in.format
	}
	bkgOpts, err := in.options(c.threads)
	if err != nil {
		return err
	}
	if sigFormat != "" {
		if _, err := data.ParseFormat(sigFormat); err != nil {
			return usagef("--signal-format: %v", err)
		}
	}
	if err := checkWhere("where", in.where); err != nil {
		return err
	}
	if err := checkWhere("signal-where", sigWhere); err != nil {
		return err
	}
	sigOpts, err := (&inputFlags{format: sigFormat, where: sigWhere}).options(c.threads)
	if err != nil {
		return err
	}
	if shard != "" {
		return anomalyShard(ctx, e, c, shard, modelPath, bkgPath, sigPath, out, weightCol, seed, bkgOpts, sigOpts)
	}
	if err := checkOutputDir("out", out, c.force, report.Markers(), modelPath, bkgPath, sigPath); err != nil {
		return err
	}
	m, err := c.loadModel(e, modelPath)
	if err != nil {
		return err
	}
	// Streamed: only the scores (and weights) of the events are kept.
	bkg, err := streamScores(ctx, m, bkgPath, bkgOpts, weightCol, seed)
	if err != nil {
		return err
	}
	sig, err := streamScores(ctx, m, sigPath, sigOpts, weightCol, seed)
	if err != nil {
		return err
	}
	subtitle := fmt.Sprintf("model %s; background %s (%d events) vs signal %s (%d events)",
		filepath.Base(modelPath), filepath.Base(bkgPath), len(bkg.Scores), filepath.Base(sigPath), len(sig.Scores))
	return writeAnomaly(ctx, e, c, out, subtitle, bkg, sig, func(b *report.Builder, h *anomalyHeadline) error {
		if latentEvents < 0 {
			return nil
		}
		// The latent check on the file's first events (all with 0): a
		// bounded read, whatever the file's size.
		lopts := bkgOpts
		lopts.Limit = latentEvents
		ref, err := readModelEvents(ctx, bkgPath, lopts, m, "")
		if err != nil {
			return err
		}
		l, err := suite.Latent(b, m, ref, 0, seed)
		if err != nil {
			return err
		}
		h.Latent = &l
		return nil
	})
}

// anomalyShard scores shard K/N of the background and signal files into
// the folder out, as 'hepflow logprob --shard' would, for a later
// anomaly --background-scores/--signal-scores.
func anomalyShard(ctx context.Context, e *env, c common, shard, modelPath, bkgPath, sigPath, out, weightCol string, seed uint64, bkgOpts, sigOpts data.ReadOptions) error {
	k, of, err := parseShard(shard)
	if err != nil {
		return err
	}
	if weightCol != "" {
		return usagef("--weight is not used with --shard: the shards' scores carry no weights")
	}
	if out == "" {
		return usagef("--out is required: the folder the shards' scores go to")
	}
	name := func(sample string) string {
		return filepath.Join(out, fmt.Sprintf("%s-lp-%0*d-of-%d.npy", sample, len(fmt.Sprint(of)), k, of))
	}
	bkgOut, sigOut := name("background"), name("signal")
	// The folder is shared by every shard's job: made if missing.
	if err := os.MkdirAll(out, 0o755); err != nil {
		return outputError("out", out, err)
	}
	for _, o := range []string{bkgOut, sigOut} {
		if err := checkDataOutput("out", o, "", c.force, modelPath, bkgPath, sigPath); err != nil {
			return err
		}
	}
	m, err := c.loadModel(e, modelPath)
	if err != nil {
		return err
	}
	var written []string
	for _, f := range []struct {
		in, out string
		opts    data.ReadOptions
	}{{bkgPath, bkgOut, bkgOpts}, {sigPath, sigOut, sigOpts}} {
		res, err := score.File(ctx, m, f.in, f.out, score.Options{Read: f.opts, Seed: seed, Shard: k, Of: of})
		if err != nil {
			// A shard's scores come as a pair or not at all.
			for _, w := range written {
				_ = os.Remove(w)
				_ = os.Remove(w + ".columns")
			}
			return err
		}
		written = append(written, f.out)
		if res.Events == 0 {
			fmt.Fprintf(e.stderr, "hepflow anomaly: warning: shard %s of the %d events of %s is empty; %s gets no events\n", shard, res.Total, f.in, f.out)
		}
		fmt.Fprintf(e.stdout, "wrote %d scores (events %d to %d of %d) to %s\n", res.Events, res.First+1, res.First+res.Events, res.Total, f.out)
	}
	fmt.Fprintf(e.stdout, "when every shard is done, the report: hepflow anomaly --background-scores '%s' --signal-scores '%s' --out REPORT\n",
		filepath.Join(out, fmt.Sprintf("background-lp-*-of-%d.npy", of)), filepath.Join(out, fmt.Sprintf("signal-lp-*-of-%d.npy", of)))
	return nil
}

// anomalyFromScores is anomaly on log densities computed beforehand (the
// shards of 'hepflow logprob' jobs): the ROC curve and score histograms,
// without the latent check (it needs the events).
func anomalyFromScores(ctx context.Context, e *env, c common, format, bkgList, sigList, out string, fs *flag.FlagSet) error {
	if bkgList == "" || sigList == "" {
		return usagef("--background-scores and --signal-scores go together")
	}
	var clash []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "model", "background", "signal", "where", "signal-where", "signal-format", "weight", "latent-events", "seed", "shard":
			clash = append(clash, "--"+f.Name)
		}
	})
	if len(clash) > 0 {
		return usagef("%s: not used with --background-scores/--signal-scores (the scores are computed already)", strings.Join(clash, ", "))
	}
	opts, err := (&inputFlags{format: format}).options(c.threads)
	if err != nil {
		return err
	}
	bkgFiles, err := scoreFiles("background-scores", bkgList)
	if err != nil {
		return err
	}
	sigFiles, err := scoreFiles("signal-scores", sigList)
	if err != nil {
		return err
	}
	if err := checkOutputDir("out", out, c.force, report.Markers(), append(bkgFiles, sigFiles...)...); err != nil {
		return err
	}
	bkg, err := suite.ReadScores(ctx, bkgFiles, opts)
	if err != nil {
		return err
	}
	sig, err := suite.ReadScores(ctx, sigFiles, opts)
	if err != nil {
		return err
	}
	subtitle := fmt.Sprintf("scores of %d background events (%d files) vs %d signal events (%d files)", len(bkg.Scores), len(bkgFiles), len(sig.Scores), len(sigFiles))
	return writeAnomaly(ctx, e, c, out, subtitle, bkg, sig, nil)
}

// scoreFiles expands a comma-separated list of files and globs; a glob
// that matches nothing, or a missing file, is a usage error.
func scoreFiles(flagName, list string) ([]string, error) {
	var files []string
	for _, item := range splitList(list) {
		matches, err := filepath.Glob(item)
		if err != nil {
			return nil, usagef("--%s %s: %v", flagName, item, err)
		}
		if len(matches) == 0 {
			return nil, usagef("--%s: no file matches %s", flagName, item)
		}
		// A .npy file's column names live beside it in NAME.npy.columns:
		// not a file of scores of its own.
		all := slices.Clone(matches)
		matches = slices.DeleteFunc(matches, func(p string) bool {
			base, ok := strings.CutSuffix(p, ".columns")
			return ok && slices.Contains(all, base)
		})
		files = append(files, matches...)
	}
	return files, nil
}

// writeAnomaly writes the anomaly report of scored background and signal
// events (more sections from extra, when set) and prints its headline.
func writeAnomaly(ctx context.Context, e *env, c common, out, subtitle string, bkg, sig suite.Scored, extra func(*report.Builder, *anomalyHeadline) error) error {
	// Written under a temporary name, renamed into place when complete.
	dir, err := report.CreateFolder(out, c.force)
	if err != nil {
		return outputError("out", out, err)
	}
	defer dir.Abort()
	b, err := report.NewBuilder(dir.Path(), "hepflow anomaly", subtitle, report.HistStyle{RefLabel: "background", CandLabel: "signal"})
	if err != nil {
		return err
	}
	h := anomalyHeadline{Report: filepath.Join(out, report.HTMLName), Metrics: filepath.Join(out, report.MetricsName)}
	if h.AnomalySummary, err = suite.AnomalyScores(b, bkg, sig, suite.AnomalyConfig{}); err != nil {
		return err
	}
	if extra != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := extra(b, &h); err != nil {
			return err
		}
	}
	b.SetMetric("headline", h)
	if err := commitReport(ctx, b, dir); err != nil {
		return err
	}
	if c.json {
		return printJSON(e, h)
	}
	w := e.stdout
	fmt.Fprintf(w, "anomaly score -log p(x): AUC %.4f for %d signal vs %d background events\n", h.AUC, h.NSignal, h.NBackground)
	for _, op := range h.AtFPR {
		fmt.Fprintf(w, "  background efficiency %-6g signal efficiency %.4f\n", op.FPR, op.TPR)
	}
	if h.OutsideBackground+h.OutsideSignal > 0 {
		fmt.Fprintf(w, "  outside the model's support: %d background, %d signal events (scored +Inf, most anomalous)\n", h.OutsideBackground, h.OutsideSignal)
	}
	if l := h.Latent; l != nil {
		fmt.Fprintf(w, "  latent check       %d background events: |z|² vs χ²(%d) KS p = %.3g, mean |z|² %.2f; smallest per-dimension KS p = %.3g\n",
			l.Rows, l.Dim, l.Norm2P, l.Norm2Mean, l.MinDimP)
	}
	fmt.Fprintf(w, "  wrote              %s, %s\n", h.Report, h.Metrics)
	return nil
}

// anomalyHeadline is what anomaly prints with --json and stores in
// metrics.json under "headline".
type anomalyHeadline struct {
	Report  string `json:"report"`
	Metrics string `json:"metrics"`
	suite.AnomalySummary
	Latent *suite.LatentSummary `json:"latent,omitempty"`
}

// streamScores is suite.StreamScores with a missing weight column as a
// usage error.
func streamScores(ctx context.Context, m *model.Model, path string, opts data.ReadOptions, weightCol string, seed uint64) (suite.Scored, error) {
	s, err := suite.StreamScores(ctx, m, path, opts, weightCol, seed)
	var uc *data.UnknownColumnError
	if weightCol != "" && errors.As(err, &uc) && uc.Name == weightCol {
		return s, usagef("--weight: %s: %v", path, uc)
	}
	return s, err
}

// readModelEvents reads the model's columns (and the weight column) of a
// file; other columns are not parsed.
func readModelEvents(ctx context.Context, path string, opts data.ReadOptions, m *model.Model, weightCol string) (validate.Sample, error) {
	opts.Columns = slices.Clone(m.Columns())
	if weightCol != "" {
		opts.Columns = append(opts.Columns, weightCol)
	}
	opts.Drop = nil
	t, w, err := readEvents(ctx, path, opts, weightCol, true)
	var uc *data.UnknownColumnError
	if weightCol != "" && errors.As(err, &uc) && uc.Name == weightCol {
		return validate.Sample{}, usagef("--weight: %s: %v", path, uc)
	}
	if err != nil {
		return validate.Sample{}, err
	}
	s, err := suite.SampleOf(t, m.Columns(), w)
	if err != nil {
		return validate.Sample{}, fmt.Errorf("%s: %w", path, err)
	}
	if s.Rows == 0 {
		return validate.Sample{}, fmt.Errorf("%s: no events (after the selection)", path)
	}
	return s, nil
}
