package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"hepflow/data"
	"hepflow/model"
)

const logprobExamples = `  hepflow logprob --model bkg.safetensors --data HIGGS.csv.gz --format higgs --out logp.csv
  hepflow logprob --model bkg.safetensors --data test.parquet --out logp.parquet --json

  # a conditional model: log p(x | label=1) for every event, whatever its label
  hepflow logprob --model cond.safetensors --data HIGGS.csv.gz --format higgs --context label=1 --out logp-s.csv
`

func runLogProb(ctx context.Context, args []string, e *env) error {
	var c common
	var in inputFlags
	var modelPath, dataPath, out, ctxFlag string
	var seed uint64
	fs := newFlags("logprob", "logprob --model MODEL --data FILE --out FILE [flags]", logprobExamples, e)
	c.register(fs, true)
	in.register(fs)
	fs.StringVar(&modelPath, "model", "", "model file written by 'hepflow train'")
	fs.StringVar(&dataPath, "data", "", "events to score; must hold the model's columns (others are ignored)")
	fs.StringVar(&out, "out", "", "output file with one column, logprob: log p(x) in the input's physical units (-Inf only for a discrete value never seen in training: mass zero)")
	fs.Uint64Var(&seed, "seed", 1, "seed of the dequantization noise of discrete columns")
	fs.StringVar(&ctxFlag, "context", "", "conditional model: NAME=VALUE,... fixes the context of every event (default: read the context columns from --data)")
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
		if fixed, err = parseContextValues(ctxFlag, m.ContextColumns()); err != nil {
			return err
		}
	}
	// The model's columns are selected (and, unless --context fixes them,
	// its context columns); other columns are ignored.
	opts.Columns = m.Columns()
	if fixed == nil {
		opts.Columns = append(opts.Columns, m.ContextColumns()...)
	}
	opts.Drop = nil
	tab, err := data.Read(ctx, dataPath, opts)
	if err != nil {
		return err
	}
	x, cx := tab.Data, []float64(nil)
	switch {
	case fixed != nil:
		cx = repeatRows(fixed, tab.Rows())
	case m.ContextDim() > 0:
		x, cx = splitColumns(tab, m.Dim(), m.ContextDim())
	}
	lp := make([]float64, tab.Rows())
	un, err := m.LogProb(lp, x, cx, tab.Rows(), rand.New(rand.NewPCG(seed, 0xde)))
	if err != nil {
		return fmt.Errorf("%s: %w", dataPath, err)
	}
	res, err := data.New([]string{"logprob"}, lp)
	if err != nil {
		return err
	}
	if err := data.Write(out, res, data.WriteOptions{AllowInfinite: true}); err != nil {
		return err
	}
	var sum float64
	scored := 0
	for _, v := range lp {
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			sum += v
			scored++
		}
	}
	mean := math.NaN()
	if scored > 0 {
		mean = sum / float64(scored)
	}
	if c.json {
		b, _ := json.Marshal(map[string]any{"out": out, "events": len(lp), "scored": scored, "mean_logprob": nullNaN(mean), "unscored": un})
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	if scored == 0 {
		fmt.Fprintf(e.stdout, "wrote %d log densities to %s, all -Inf: %s\n", len(lp), out, noDensityHint(un))
		return nil
	}
	fmt.Fprintf(e.stdout, "wrote %d log densities to %s; mean log p = %.4f nats over the %d events with a density", len(lp), out, mean, scored)
	if un.Total() > 0 {
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
