package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"

	"hepflow/data"
	"hepflow/nn/blas"
	"hepflow/validate"
	"hepflow/validate/suite"
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

// readEvents reads one event file. When weightCol names one of its columns,
// that column becomes the per-event weights and leaves the features; a file
// without it is unweighted unless need says it must have it.
func readEvents(ctx context.Context, path string, opts data.ReadOptions, weightCol string, need bool) (*data.Table, []float64, error) {
	t, err := data.Read(ctx, path, opts)
	if err != nil {
		return nil, nil, err
	}
	if weightCol == "" {
		return t, nil, nil
	}
	if !slices.Contains(t.Columns, weightCol) {
		if need {
			return nil, nil, usagef("--weight: %s: %v", path, &data.UnknownColumnError{Name: weightCol, Known: t.Columns})
		}
		return t, nil, nil
	}
	w, err := t.Column(weightCol)
	if err != nil {
		return nil, nil, err
	}
	if err := t.Drop(weightCol); err != nil {
		return nil, nil, err
	}
	return t, w, nil
}

// twoSamples reads the first file with --format/--where/--drop options and
// the second with its own, and lines both up on their common columns; the
// --drop columns and the weight column are left out of both.
type twoSamples struct {
	a, b  validate.Sample
	align suite.Alignment
}

func readTwoSamples(ctx context.Context, e *env, c *common, in *inputFlags, side *sideFlags, pathA, pathB, weightCol string) (*twoSamples, error) {
	optA, err := in.options(c.threads)
	if err != nil {
		return nil, err
	}
	optB, err := side.options(in, c.threads)
	if err != nil {
		return nil, err
	}
	// --drop names columns to leave out of the comparison; either file may
	// lack them, so they are excluded after reading rather than by the reader.
	drop := in.dropList()
	optA.Drop = slices.DeleteFunc(optA.Drop, func(s string) bool { return slices.Contains(drop, s) })
	ta, wa, err := readEvents(ctx, pathA, optA, weightCol, true)
	if err != nil {
		return nil, err
	}
	tb, wb, err := readEvents(ctx, pathB, optB, weightCol, false)
	if err != nil {
		return nil, err
	}
	for _, d := range drop {
		if !slices.Contains(ta.Columns, d) && !slices.Contains(tb.Columns, d) {
			return nil, usagef("--drop %s: neither file has that column (%s has %s)", d, pathA, strings.Join(ta.Columns, " "))
		}
	}
	al, err := suite.Align(ta.Columns, tb.Columns, drop)
	if err != nil {
		return nil, fmt.Errorf("%s vs %s: %w", pathA, pathB, err)
	}
	if left := al.LeftOut(); len(left) > 0 {
		c.logger(e).Info("columns left out of the comparison", "only_first", strings.Join(al.OnlyReference, " "),
			"only_second", strings.Join(al.OnlyCandidate, " "), "excluded", strings.Join(al.Excluded, " "))
	}
	sa, err := suite.SampleOf(ta, al.Common, wa)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pathA, err)
	}
	sb, err := suite.SampleOf(tb, al.Common, wb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pathB, err)
	}
	for _, s := range []struct {
		path string
		n    int
	}{{pathA, sa.Rows}, {pathB, sb.Rows}} {
		if s.n < 2 {
			return nil, fmt.Errorf("%s: %d events (after the selection); need at least 2", s.path, s.n)
		}
	}
	return &twoSamples{a: sa, b: sb, align: al}, nil
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
