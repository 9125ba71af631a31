package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/internal/atomicfile"
	"hepflow/internal/demodata"
	"hepflow/model"
	"hepflow/preprocess"
	"hepflow/train"
)

const demoExamples = `  hepflow demo                 # writes ./hepflow-demo
  hepflow demo --out /tmp/demo --epochs 50

  # held-out NLL of the seed talk's logit scaling on another split
  hepflow demo --out /tmp/demo-logit --seed 3 --scaling logit

  # a spline flow with about the MAF's number of parameters, ActNorm and LU layers
  hepflow demo --out /tmp/demo-nsf --flow nsf --hidden 48,48 --actnorm --lu
`

func runDemo(ctx context.Context, args []string, e *env) error {
	var c common
	var out string
	var epochs int
	var seed uint64
	var scaling, kind, hiddenFlag string
	var blocks int
	var actnorm, lu bool
	fs := newFlags("demo", "demo [--out DIR]", demoExamples, e)
	c.register(fs, true)
	fs.StringVar(&out, "out", "hepflow-demo", "folder for the model, samples, summary and report")
	fs.IntVar(&epochs, "epochs", 200, "maximum training epochs, at least 1 (early stopping usually ends sooner)")
	fs.Uint64Var(&seed, "seed", 1, "random seed (also draws the 80/20 split of the background into training and held-out test events)")
	fs.StringVar(&kind, "flow", "maf", "flow type, as 'hepflow train --flow': maf, nsf (8 spline bins on [-5, 5]), realnvp or nsf-coupling")
	fs.StringVar(&hiddenFlag, "hidden", "128,128", "hidden layer sizes of each conditioner")
	fs.IntVar(&blocks, "blocks", 5, "number of blocks")
	fs.BoolVar(&actnorm, "actnorm", false, "an ActNorm layer before every block")
	fs.BoolVar(&lu, "lu", false, "an LU-decomposed linear layer before every block")
	fs.StringVar(&scaling, "scaling", preprocess.ScalingAuto, "feature scaling, as 'hepflow train --scaling': auto, asinh, logit or seed")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if epochs < 1 {
		return usagef("--epochs %d: want at least 1", epochs)
	}
	switch scaling {
	case preprocess.ScalingAsinh, preprocess.ScalingLogit, preprocess.ScalingSeed, preprocess.ScalingAuto:
	default:
		return usagef("--scaling %q: want auto, asinh, logit or seed", scaling)
	}
	hidden, err := parseInts("hidden", hiddenFlag)
	if err != nil {
		return err
	}
	spec := flow.DefaultSpec(kind, len(data.HiggsContinuous()))
	spec.Seed, spec.Hidden, spec.Blocks, spec.ActNorm, spec.LU = seed, hidden, blocks, actnorm, lu
	if err := spec.Validate(); err != nil {
		return usagef("--flow/--hidden/--blocks: %v", err)
	}
	if err := checkOutputDir("out", out, c.force, demoMarkers()); err != nil {
		return err
	}
	log := c.logger(e)
	gemm, err := c.gemm(e)
	if err != nil {
		return err
	}
	// Every flag is valid: now the folder is written, under a temporary
	// name that becomes --out only when everything is in it. Paths shown to
	// the user and recorded in the files are the final ones.
	dir, err := atomicfile.CreateDir(out, c.force, demoMarkers()...)
	if err != nil {
		return outputError("out", out, err)
	}
	defer dir.Abort()
	tmp := dir.Path()
	// The embedded sample, written out with its attribution so the user can rerun any step by hand.
	dataDir := filepath.Join(tmp, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	sample := filepath.Join(dataDir, demodata.FileName)
	for name, content := range map[string][]byte{demodata.FileName: demodata.HiggsSample, "README.md": []byte(demodata.Attribution)} {
		if err := atomicfile.WriteBytes(filepath.Join(dataDir, name), content); err != nil {
			return err
		}
	}
	opts := data.ReadOptions{Format: data.FormatHIGGS, Workers: c.threads}
	all, err := data.Read(ctx, sample, opts)
	if err != nil {
		return err
	}
	features := data.HiggsContinuous()
	bkg, err := selectRows(all, "label==0", features)
	if err != nil {
		return err
	}
	sig, err := selectRows(all, "label==1", features)
	if err != nil {
		return err
	}
	// Hold out a test set the training never sees, not even for early stopping.
	trainTab, testTab := splitTable(bkg, 0.2, seed)
	log.Info("demo: training on the embedded HIGGS background", "train_events", trainTab.Rows(), "test_events", testTab.Rows(), "features", len(features))
	cfg := train.Config{Epochs: epochs, LR: 1e-3, Schedule: "cosine", ClipNorm: 5, Patience: 20, Seed: seed}
	bar := newProgress(e.stderr)
	if bar != nil {
		cfg.Progress = bar.epoch
	} else {
		cfg.Logger = log
	}
	res, err := train.FitModel(ctx, trainTab, nil, train.ModelOptions{
		Spec: spec, Config: cfg, ValFraction: 0.2, Gemm: gemm, Workers: c.threads,
		Preprocess: preprocess.Options{Scaling: scaling},
		Data:       model.DataInfo{Files: []string{filepath.Join(out, "data", demodata.FileName)}, Format: "higgs", Where: "label==0", Drop: nonFeatures(features)},
		Logger:     log,
	})
	if bar != nil {
		bar.done()
	}
	if err != nil {
		// Interrupted or diverged: the demo keeps nothing (its temporary
		// folder goes), and says why.
		return err
	}
	modelPath := filepath.Join(out, "model.safetensors")
	if err := model.Save(filepath.Join(tmp, "model.safetensors"), res.Model); err != nil {
		return err
	}
	m := res.Model
	rng := rand.New(rand.NewPCG(seed, 0xde40))
	testNLL, testUnscored, err := meanNLL(m, testTab, rng)
	if err != nil {
		return err
	}
	gen := data.Zeros(features, 20000)
	if err := m.Sample(gen.Data, nil, gen.Rows(), rng); err != nil {
		return err
	}
	genPath := filepath.Join(out, "generated.csv.gz")
	for name, t := range map[string]*data.Table{"generated.csv.gz": gen, "test-background.csv.gz": testTab, "signal.csv.gz": sig} {
		if err := data.Write(filepath.Join(tmp, name), t, data.WriteOptions{}); err != nil {
			return err
		}
	}
	val, err := demoReport(ctx, filepath.Join(tmp, "report"), filepath.Join(out, "report"), m, testTab, gen, sig, c.threads, seed, gemm)
	if err != nil {
		return fmt.Errorf("validation report: %w", err)
	}
	summary := map[string]any{
		"model": modelPath, "generated": genPath, "features": features,
		"train_events": res.Summary.TrainEvents, "val_events": res.Summary.ValEvents, "test_events": testTab.Rows(),
		"epochs": res.Summary.Epochs, "best_epoch": res.Summary.BestEpoch, "seconds": res.Summary.Seconds,
		"train_nll": res.TrainNLL, "val_nll": res.ValNLL,
		"test_nll": nullNaN(testNLL), "test_unscored": testUnscored.Total(),
		"validation": val,
	}
	b, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(tmp, "summary.json"), append(b, '\n')); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	if c.json {
		b, _ := json.Marshal(summary)
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	fmt.Fprintf(e.stdout, "hepflow demo: %s (5 blocks [128,128], tanh) on %d real HIGGS background events, %d features\n", strings.ToUpper(kind), trainTab.Rows(), len(features))
	fmt.Fprintf(e.stdout, "  held-out test NLL  %.3f nats/event (physical units, over all %d held-out events)\n", testNLL, testTab.Rows()-testUnscored.Total())
	if testUnscored.Total() > 0 {
		fmt.Fprintf(e.stdout, "  without a density  %v\n", testUnscored)
	}
	fmt.Fprintf(e.stdout, "  training           %d epochs (best %d), %.1f s\n", res.Summary.Epochs, res.Summary.BestEpoch, res.Summary.Seconds)
	printDemoHeadline(e.stdout, val)
	fmt.Fprintf(e.stdout, "  wrote              %s, %s, %s\n", modelPath, genPath, filepath.Join(out, "summary.json"))
	return nil
}

// demoMarkers are the files every complete demo folder holds: --force
// replaces an existing folder only when it has them.
func demoMarkers() []string { return []string{"summary.json", "model.safetensors"} }

// selectRows keeps the rows passing where and the given columns.
func selectRows(t *data.Table, where string, cols []string) (*data.Table, error) {
	keep, err := data.CompileExpr(where, t.Columns)
	if err != nil {
		return nil, err
	}
	return t.Filter(keep).Select(cols...)
}

// splitTable shuffles rows with a seed and returns (rest, held-out fraction).
func splitTable(t *data.Table, frac float64, seed uint64) (*data.Table, *data.Table) {
	perm := rand.New(rand.NewPCG(seed, 0x5b1)).Perm(t.Rows())
	nh := int(math.Round(frac * float64(t.Rows())))
	pick := func(idx []int) *data.Table {
		out := data.Zeros(t.Columns, len(idx))
		for i, r := range idx {
			copy(out.Row(i), t.Row(r))
		}
		return out
	}
	return pick(perm[nh:]), pick(perm[:nh])
}

// meanNLL is the mean -log p over the events that have a density (with
// continuous columns only: every event), and the count of those without.
func meanNLL(m *model.Model, t *data.Table, rng *rand.Rand) (float64, model.Unscored, error) {
	lp := make([]float64, t.Rows())
	un, err := m.LogProb(lp, t.Data, nil, t.Rows(), rng)
	if err != nil {
		return 0, un, err
	}
	var s float64
	for _, v := range lp {
		if !math.IsInf(v, -1) {
			s -= v
		}
	}
	if un.Total() == len(lp) {
		return math.NaN(), un, nil
	}
	return s / float64(len(lp)-un.Total()), un, nil
}

// nonFeatures lists the HIGGS columns the demo leaves out.
func nonFeatures(features []string) []string {
	var out []string
	for _, c := range data.HiggsColumns() {
		keep := false
		for _, f := range features {
			keep = keep || f == c
		}
		if !keep {
			out = append(out, c)
		}
	}
	return out
}
