package main

import (
	"context"
	"fmt"
	"strings"

	"hepflow/validate"
	"hepflow/workflow/suite"
)

const c2stExamples = `  hepflow c2st --a gen-1.csv --b gen-2.csv --json
  hepflow c2st --a HIGGS.csv.gz --format higgs --where 'label==0' --b gen.parquet --max-events 20000
  hepflow c2st --a mc.parquet --b gen.parquet --classifier logistic
`

func runC2ST(ctx context.Context, args []string, e *env) error {
	var c common
	var in inputFlags
	var side sideFlags
	var pathA, pathB, weightCol, classifier string
	var maxEvents int
	var trainFrac float64
	var seed uint64
	fs := newFlags("c2st", "c2st --a FILE --b FILE [flags]", c2stExamples, e)
	c.register(fs, true)
	in.register(fs)
	side.register(fs, "b", "the --b file")
	fs.StringVar(&pathA, "a", "", "first sample (label 0); --format and --where apply to it")
	fs.StringVar(&pathB, "b", "", "second sample (label 1); the test uses the columns both files have")
	fs.StringVar(&weightCol, "weight", "", "column of per-event weights (required in --a; used in --b when it has it)")
	fs.StringVar(&classifier, "classifier", "mlp", "mlp (small neural network: sees any difference) or logistic (fast: differences of means only)")
	fs.IntVar(&maxEvents, "max-events", 50000, "at most this many events of each sample (0 = all)")
	fs.Float64Var(&trainFrac, "train-fraction", 0.5, "fraction of the events that trains the classifier; the rest is the holdout the test is computed on")
	fs.Uint64Var(&seed, "seed", 1, "seed of the subsampling, the split and the classifier")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if pathA == "" || pathB == "" {
		return usagef("--a and --b are required")
	}
	if maxEvents < 0 {
		return usagef("--max-events %d: want 0 (all) or more", maxEvents)
	}
	if !(trainFrac > 0 && trainFrac < 1) {
		return usagef("--train-fraction %g: want a value strictly between 0 and 1", trainFrac)
	}
	if err := checkInputFlags(&in); err != nil {
		return err
	}
	if _, err := side.options(&in, c.threads); err != nil {
		return err
	}
	g, err := c.gemm(e)
	if err != nil {
		return err
	}
	clf, err := newClassifier(classifier, seed, g)
	if err != nil {
		return err
	}
	s, err := readTwoSamples(ctx, e, &c, &in, &side, pathA, pathB, weightCol)
	if err != nil {
		return err
	}
	r, err := validate.C2ST(ctx, s.a, s.b, clf, validate.C2STOptions{TrainFraction: trainFrac, MaxPerClass: maxEvents, Seed: seed})
	if err != nil {
		return err
	}
	h := c2stHeadline{C2STSummary: suite.SummariseC2ST(r), Classifier: classifier, NA: s.a.Rows, NB: s.b.Rows, Columns: s.align}
	if c.json {
		return printJSON(e, h)
	}
	fmt.Fprintf(e.stdout, "classifier two-sample test (%s) of %d vs %d events on %d features", classifier, h.NA, h.NB, len(s.align.Common))
	if left := s.align.LeftOut(); len(left) > 0 {
		fmt.Fprintf(e.stdout, " (left out: %s)", strings.Join(left, " "))
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprintf(e.stdout, "  accuracy %.4f  AUC %.4f  p = %.3g  n_test %d\n", h.Accuracy, h.AUC, h.P, h.NTest)
	verdict := "no evidence that the samples differ (p >= 0.05)"
	if h.P < 0.05 {
		verdict = "the samples differ (p < 0.05)"
	}
	fmt.Fprintf(e.stdout, "  %s\n", verdict)
	return nil
}

// c2stHeadline is what c2st prints with --json.
type c2stHeadline struct {
	suite.C2STSummary
	Classifier string          `json:"classifier"`
	NA         int             `json:"n_a"`
	NB         int             `json:"n_b"`
	Columns    suite.Alignment `json:"columns"`
}
