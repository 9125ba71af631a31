package main

import (
	"context"
	"encoding/json"
	"fmt"

	"hepflow/model"
	"hepflow/workflow/score"
)

const logprobExamples = `  hepflow logprob --model bkg.safetensors --data HIGGS.csv.gz --format higgs --out logp.csv
  hepflow logprob --model bkg.safetensors --data test.parquet --out logp.parquet --json

  # a conditional model: log p(x | label=1) for every event, whatever its label
  hepflow logprob --model cond.safetensors --data HIGGS.csv.gz --format higgs --context label=1 --out logp-s.csv

  # a batch farm: job K of 8 scores its part of a 1e9-event file; the parts in order are the whole
  hepflow logprob --model bkg.safetensors --data gen.parquet --shard 3/8 --out logp-3.parquet
`

func runLogProb(ctx context.Context, args []string, e *env) error {
	var c common
	var in inputFlags
	var modelPath, dataPath, out, ctxFlag, shard string
	var seed uint64
	fs := newFlags("logprob", "logprob --model MODEL --data FILE --out FILE [flags]", logprobExamples, e)
	c.register(fs, true)
	in.register(fs)
	fs.StringVar(&modelPath, "model", "", "model file written by 'hepflow train'")
	fs.StringVar(&dataPath, "data", "", "events to score; must hold the model's columns (others are ignored); read in chunks, in constant memory")
	fs.StringVar(&out, "out", "", "output file with one column, logprob: log p(x) in the input's physical units (-Inf only for a discrete value never seen in training: mass zero)")
	fs.Uint64Var(&seed, "seed", 1, "seed of the dequantization noise of discrete columns")
	fs.StringVar(&ctxFlag, "context", "", "conditional model: NAME=VALUE,... fixes the context of every event (default: read the context columns from --data)")
	fs.StringVar(&shard, "shard", "", "K/N: score the K-th of N contiguous parts of --data (whole blocks of 65,536 events; the parts' outputs in order are the whole file's)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if modelPath == "" || dataPath == "" {
		return usagef("--model and --data are required")
	}
	if err := checkInputFlags(&in); err != nil {
		return err
	}
	var k, of int
	if shard != "" {
		var err error
		if k, of, err = parseShard(shard); err != nil {
			return err
		}
	}
	if err := checkDataOutput("out", out, "", c.force, modelPath, dataPath); err != nil {
		return err
	}
	opts, err := in.options(c.threads)
	if err != nil {
		return err
	}
	m, err := c.loadModel(e, modelPath)
	if err != nil {
		return err
	}
	var fixed []float64
	if ctxFlag != "" {
		if fixed, err = parseContextValues(ctxFlag, m); err != nil {
			return err
		}
	}
	res, err := score.File(ctx, m, dataPath, out, score.Options{Read: opts, Seed: seed, Context: fixed, Shard: k, Of: of})
	if err != nil {
		return err
	}
	if shard != "" && res.Events == 0 {
		fmt.Fprintf(e.stderr, "hepflow logprob: warning: shard %s of the %d events of %s is empty (it has fewer blocks of 65,536 events than shards); %s gets no events\n", shard, res.Total, dataPath, out)
	}
	mean := res.Mean()
	if c.json {
		r := map[string]any{"out": out, "events": res.Events, "scored": res.Scored, "mean_logprob": nullNaN(mean), "unscored": res.Unscored}
		if shard != "" {
			r["shard"], r["first_event"], r["file_events"] = shard, res.First+1, res.Total
		}
		b, _ := json.Marshal(r)
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	where := ""
	if shard != "" {
		where = fmt.Sprintf(" (shard %s: events %d to %d of %d)", shard, res.First+1, res.First+res.Events, res.Total)
	}
	if res.Scored == 0 && res.Events > 0 {
		fmt.Fprintf(e.stdout, "wrote %d log densities to %s%s, all -Inf: %s\n", res.Events, out, where, noDensityHint(res.Unscored))
		return nil
	}
	fmt.Fprintf(e.stdout, "wrote %d log densities to %s%s; mean log p = %.4f nats over the %d events with a density", res.Events, out, where, mean, res.Scored)
	if un := res.Unscored; un.Total() > 0 {
		fmt.Fprintf(e.stdout, "; %d events have none (log p = -Inf): %v", un.Total(), un)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// noDensityHint says why no event of a file has a density under a model,
// and what to do about it.
func noDensityHint(un model.Unscored) string {
	msg := fmt.Sprintf("no event has a density under the model (%v), so there is no mean log p", un)
	if un.UnseenLevel > 0 {
		msg += "; a discrete column of --data takes values the training events never had: check that the file holds the kind of events the model was trained on, in the same units, or retrain with the column in --continuous"
	}
	if un.NotFinite > 0 {
		msg += "; a context value is not finite: check the context columns of --data, or fix them with --context NAME=VALUE"
	}
	return msg
}
