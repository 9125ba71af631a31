package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"hepflow/data"
	"hepflow/model"
	"hepflow/validate"
	"hepflow/workflow/suite"
)

const classifyExamples = `  # a flow conditioned on the class: log p(x | label=1) - log p(x | label=0) per event, AUC against the labels
  hepflow train --data train.csv.gz --format higgs --context label --flow nsf --out cond.safetensors
  hepflow classify --model cond.safetensors --data test.csv.gz --format higgs --num 1 --den 0 --truth label --out llr.csv

  # two models, one per class: log p_sig(x) - log p_bkg(x)
  hepflow classify --model sig.safetensors --den-model bkg.safetensors --data test.csv.gz --format higgs --truth label --out llr.csv
`

func runClassify(ctx context.Context, args []string, e *env) error {
	var c common
	var in inputFlags
	var modelPath, denPath, dataPath, out, col, truth, numS, denS string
	var seed uint64
	fs := newFlags("classify", "classify --model MODEL --data FILE --num V1 --den V0 --out FILE [flags]", classifyExamples, e)
	c.register(fs, true)
	in.register(fs)
	fs.StringVar(&modelPath, "model", "", "conditional model written by 'hepflow train --context' (with --den-model: the numerator's model)")
	fs.StringVar(&denPath, "den-model", "", "a second model of the same columns, the denominator: the ratio is log p_model(x) - log p_den-model(x), and --num/--den (default 1, 0) only name the --truth labels")
	fs.StringVar(&dataPath, "data", "", "events to classify; must hold the model's feature columns (and its other context columns, if any)")
	fs.StringVar(&col, "context", "", "the context column whose two values are compared (default: the model's only context column)")
	fs.StringVar(&numS, "num", "", "value of the context column in the numerator, e.g. 1 (signal)")
	fs.StringVar(&denS, "den", "", "value of the context column in the denominator, e.g. 0 (background)")
	fs.StringVar(&truth, "truth", "", "column of true labels: events whose label equals --num are positives, --den negatives; prints the AUC")
	fs.StringVar(&out, "out", "", "output file with one column, log_ratio = log p(x | num) - log p(x | den) (empty for an event without a density)")
	fs.Uint64Var(&seed, "seed", 1, "seed of the dequantization noise of discrete columns (the same for numerator and denominator)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if modelPath == "" || dataPath == "" || out == "" {
		return usagef("--model, --data and --out are required")
	}
	if denPath != "" {
		if col != "" {
			return usagef("--context compares two values within one model; with --den-model the two models are compared")
		}
		if numS == "" && denS == "" {
			numS, denS = "1", "0"
		}
	}
	num, err1 := strconv.ParseFloat(numS, 64)
	den, err2 := strconv.ParseFloat(denS, 64)
	if err1 != nil || err2 != nil || math.IsNaN(num) || math.IsInf(num, 0) || math.IsNaN(den) || math.IsInf(den, 0) || num == den {
		return usagef("--num %q and --den %q: want two different finite values of the context column", numS, denS)
	}
	if err := checkInputFlags(&in); err != nil {
		return err
	}
	if err := checkDataOutput("out", out, "", c.force, modelPath, denPath, dataPath); err != nil {
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
	var dm *model.Model
	if denPath != "" {
		if dm, err = c.loadModel(e, denPath); err != nil {
			return err
		}
	}
	ctxCols := m.ContextColumns()
	switch {
	case dm != nil:
	case len(ctxCols) == 0:
		return usagef("--model %s is not conditional (train it with --context)", modelPath)
	case col == "" && len(ctxCols) > 1:
		return usagef("--context: the model has several context columns %v; name the one to compare", ctxCols)
	case col == "":
		col = ctxCols[0]
	case !slices.Contains(ctxCols, col):
		return usagef("--context %q: not a context column of the model (its context: %v)", col, ctxCols)
	}
	// Read the features, the other context columns and the truth.
	others := slices.DeleteFunc(slices.Clone(ctxCols), func(s string) bool { return s == col })
	opts.Columns = append(slices.Clone(m.Columns()), others...)
	if truth != "" {
		opts.Columns = append(opts.Columns, truth)
	}
	opts.Drop = nil
	tab, err := data.Read(ctx, dataPath, opts)
	if err != nil {
		return err
	}
	rows, d, k := tab.Rows(), m.Dim(), len(ctxCols)
	w := len(opts.Columns)
	x := make([]float64, rows*d)
	cx := make([]float64, rows*k)
	labels := make([]float64, rows)
	for r := 0; r < rows; r++ {
		row := tab.Data[r*w : (r+1)*w]
		copy(x[r*d:], row[:d])
		o := d
		for jj, name := range ctxCols {
			if name != col || dm != nil {
				cx[r*k+jj] = row[o]
				o++
			}
		}
		if truth != "" {
			labels[r] = row[w-1]
		}
	}
	var lr []float64
	var bad int
	if dm != nil {
		lr, bad, err = suite.LogRatioModels(m, dm, x, cx, rows, seed)
	} else {
		lr, bad, err = suite.LogRatio(m, x, cx, rows, col, num, den, seed)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", dataPath, err)
	}
	res, err := data.New([]string{"log_ratio"}, lr)
	if err != nil {
		return err
	}
	if err := data.Write(out, res, data.WriteOptions{AllowInfinite: true}); err != nil {
		return err
	}
	summary := map[string]any{"out": out, "events": rows, "without_density": bad, "context": col, "num": num, "den": den}
	auc := math.NaN()
	if truth != "" {
		var pos, neg []float64
		for r, v := range lr {
			switch {
			case math.IsNaN(v):
			case labels[r] == num:
				pos = append(pos, v)
			case labels[r] == den:
				neg = append(neg, v)
			}
		}
		if auc, err = validate.AUC(pos, nil, neg, nil); err != nil {
			return fmt.Errorf("--truth %s: %w", truth, err)
		}
		summary["auc"], summary["positives"], summary["negatives"] = auc, len(pos), len(neg)
	}
	if c.json {
		b, _ := json.Marshal(summary)
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	if dm != nil {
		fmt.Fprintf(e.stdout, "wrote %d log likelihood ratios log p(x | %s) - log p(x | %s) to %s", rows, modelPath, denPath, out)
	} else {
		fmt.Fprintf(e.stdout, "wrote %d log likelihood ratios log p(x | %s=%g) - log p(x | %s=%g) to %s", rows, col, num, col, den, out)
	}
	if bad > 0 {
		fmt.Fprintf(e.stdout, "; %d events have no density under one of them (left empty)", bad)
	}
	fmt.Fprintln(e.stdout)
	if truth != "" {
		fmt.Fprintf(e.stdout, "AUC %.4f against %s (%d events with %s=%g, %d with %g)\n", auc, truth, summary["positives"], truth, num, summary["negatives"], den)
	}
	return nil
}
