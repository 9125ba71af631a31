package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"hepflow/data"
	"hepflow/nn/blas"
	"hepflow/validate"
	"hepflow/workflow/suite"
)

// sideFlags are the --X-format and --X-where flags of the second file of a
// two-sample command (its first file uses --format and --where): a
// generated sample rarely shares the layout or the selection of the
// Monte Carlo file it is compared with.
type sideFlags struct {
	prefix        string
	format, where string
}

func (s *sideFlags) register(fs *flag.FlagSet, prefix, what string) {
	s.prefix = prefix
	fs.StringVar(&s.format, prefix+"-format", "", "format of "+what+" (default from its extension; --format applies to the first file only)")
	fs.StringVar(&s.where, prefix+"-where", "", "selection applied to "+what+" (--where applies to the first file only)")
}

// options are the reader options of the second file: its own format and
// selection, the first file's --skip-text.
func (s *sideFlags) options(in *inputFlags, threads int) (data.ReadOptions, error) {
	o := data.ReadOptions{Where: s.where, DropNonNumeric: in.text, Workers: threads}
	if err := checkWhere(s.prefix+"-where", s.where); err != nil {
		return o, err
	}
	// The second file is read under the same limits as the first.
	lim, err := in.limits()
	if err != nil {
		return o, err
	}
	o.Limits = lim
	if s.format != "" {
		f, err := data.ParseFormat(s.format)
		if err != nil {
			return o, usagef("--%s-format: %v", s.prefix, err)
		}
		o.Format = f
	}
	if o.Format == data.FormatHIGGS {
		o.Drop = []string{data.HiggsLabel}
	}
	return o, nil
}

// checkInputFlags validates the reader flags of the first file (--format,
// --where) before any work.
func checkInputFlags(in *inputFlags) error {
	if _, err := in.options(1); err != nil {
		return err
	}
	return checkWhere("where", in.where)
}

// readEvents is suite.ReadEvents with a missing weight column (when the
// file must have it) a usage error of --weight.
func readEvents(ctx context.Context, path string, opts data.ReadOptions, weightCol string, need bool) (*data.Table, []float64, error) {
	t, w, err := suite.ReadEvents(ctx, path, opts, weightCol, need)
	var uc *data.UnknownColumnError
	if err != nil && errors.As(err, &uc) && uc.Name == weightCol {
		return nil, nil, usagef("--weight: %v", err)
	}
	return t, w, err
}

// twoSamples are the two files of compare and c2st, lined up on their
// common columns (see suite.ReadPair).
type twoSamples struct {
	a, b  validate.Sample
	align suite.Alignment
}

// readTwoSamples reads the first file with --format/--where/--drop options
// and the second with its own; the --drop columns and the weight column are
// left out of both.
func readTwoSamples(ctx context.Context, e *env, c *common, in *inputFlags, side *sideFlags, pathA, pathB, weightCol string) (*twoSamples, error) {
	optA, err := in.options(c.threads)
	if err != nil {
		return nil, err
	}
	optB, err := side.options(in, c.threads)
	if err != nil {
		return nil, err
	}
	p, err := suite.ReadPair(ctx, pathA, optA, pathB, optB, weightCol, in.dropList())
	var uc *data.UnknownColumnError
	if err != nil && errors.As(err, &uc) && uc.Name == weightCol {
		return nil, usagef("--weight: %v", err)
	}
	if err != nil {
		return nil, err
	}
	if len(p.Missing) > 0 {
		return nil, usagef("--drop %s: neither file has that column (%s has %s)", p.Missing[0], pathA, strings.Join(p.ReferenceColumns, " "))
	}
	al := p.Align
	if left := al.LeftOut(); len(left) > 0 {
		c.logger(e).Info("columns left out of the comparison", "only_first", strings.Join(al.OnlyReference, " "),
			"only_second", strings.Join(al.OnlyCandidate, " "), "excluded", strings.Join(al.Excluded, " "))
	}
	return &twoSamples{a: p.Reference, b: p.Candidate, align: al}, nil
}

// newClassifier returns the classifier of the two-sample test.
func newClassifier(kind string, seed uint64, g blas.Gemm) (validate.Classifier, error) {
	switch kind {
	case "mlp":
		return &validate.MLP{Seed: seed, Gemm: g}, nil
	case "logistic":
		return &validate.Logistic{}, nil
	}
	return nil, usagef("--classifier %q: want mlp or logistic", kind)
}

// printJSON prints v as one JSON object on one line.
func printJSON(e *env, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	fmt.Fprintln(e.stdout, string(b))
	return nil
}
