package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/internal/atomicfile"
	"hepflow/preprocess"
	"hepflow/workflow/demo"
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
	if err := checkOutputDir("out", out, c.force, demo.Files()); err != nil {
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
	dir, err := atomicfile.CreateDir(out, c.force, demo.Files()...)
	if err != nil {
		return outputError("out", out, err)
	}
	defer dir.Abort()
	cfg := demo.Config{Spec: spec, Epochs: epochs, Seed: seed, Scaling: scaling, Gemm: gemm, Threads: c.threads, Logger: log}
	bar := newProgress(e.stderr)
	if bar != nil {
		cfg.Progress = bar.epoch
	}
	res, err := demo.Run(ctx, dir.Path(), out, cfg)
	if bar != nil {
		bar.done()
	}
	if err != nil {
		// Interrupted or diverged: the demo keeps nothing (its temporary
		// folder goes), and says why.
		return err
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	if c.json {
		b, _ := json.Marshal(res.Summary)
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	fmt.Fprintf(e.stdout, "hepflow demo: %s (5 blocks [128,128], tanh) on %d real HIGGS background events, %d features\n", strings.ToUpper(kind), res.TrainEvents, len(res.Features))
	fmt.Fprintf(e.stdout, "  held-out test NLL  %.3f nats/event (physical units, over all %d held-out events)\n", res.TestNLL, res.TestEvents-res.TestUnscored.Total())
	if res.TestUnscored.Total() > 0 {
		fmt.Fprintf(e.stdout, "  without a density  %v\n", res.TestUnscored)
	}
	fmt.Fprintf(e.stdout, "  training           %d epochs (best %d), %.1f s\n", res.Training.Epochs, res.Training.BestEpoch, res.Training.Seconds)
	printDemoHeadline(e.stdout, res.Headline)
	fmt.Fprintf(e.stdout, "  wrote              %s, %s, %s\n", res.Model, res.Generated, res.SummaryPath)
	return nil
}
