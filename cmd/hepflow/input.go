package main

import (
	"flag"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"hepflow/data"
)

// inputFlags are the flags that say how to read event files.
type inputFlags struct {
	format string
	where  string
	drop   string
	cols   string
	tree   string
	text   bool
	// The reading limits (data.Limits); 0 means the default, so an
	// inputFlags made without register reads with the defaults.
	maxLine, maxField, maxColumns int
}

func (in *inputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&in.format, "format", "", "input format: csv, parquet, npy, root, or higgs (UCI HIGGS layout: no header, label first); default from the extension")
	fs.StringVar(&in.where, "where", "", "keep only events passing this selection, e.g. 'label==0' or 'm_bb > 1 && jet1_pt < 2'")
	fs.StringVar(&in.drop, "drop", "", "comma-separated columns to leave out; presets: @phi (the 6 HIGGS phi angles), @btag (the 4 HIGGS b-tags)")
	fs.StringVar(&in.cols, "columns", "", "comma-separated columns to keep, exactly these in this order (default: every column, less --drop)")
	fs.StringVar(&in.tree, "tree", "", "ROOT input: the TTree to read (default: the file's only one); --columns may name array branches by index, e.g. Muon_pt[0]")
	fs.BoolVar(&in.text, "skip-text", false, "drop columns holding text (e.g. an event-type string) instead of refusing the file")
	fs.IntVar(&in.maxLine, "max-line-bytes", data.DefaultMaxLineBytes, "refuse text input with a line longer than this many bytes (a guard against binary or endless input; raise it for very wide tables)")
	fs.IntVar(&in.maxField, "max-field-bytes", data.DefaultMaxFieldBytes, "refuse text input with a field (or column name) longer than this many bytes")
	fs.IntVar(&in.maxColumns, "max-columns", data.DefaultMaxColumns, "refuse input files with more columns than this, in any format")
}

// limits returns the reading limits the flags set.
func (in *inputFlags) limits() (data.Limits, error) {
	for _, f := range []struct {
		name string
		v    int
	}{{"max-line-bytes", in.maxLine}, {"max-field-bytes", in.maxField}, {"max-columns", in.maxColumns}} {
		if f.v < 0 {
			return data.Limits{}, usagef("--%s %d: want a positive limit (0: the default)", f.name, f.v)
		}
	}
	return data.Limits{MaxLineBytes: in.maxLine, MaxFieldBytes: in.maxField, MaxColumns: in.maxColumns}, nil
}

// dropList expands the presets of --drop.
func (in *inputFlags) dropList() []string {
	var out []string
	for _, d := range splitList(in.drop) {
		switch d {
		case "@phi":
			out = append(out, data.HiggsPhis()...)
		case "@btag":
			out = append(out, data.HiggsBTags()...)
		default:
			out = append(out, d)
		}
	}
	return out
}

// options builds the reader options. With the HIGGS layout the label is a
// class, not a feature: it can be used in --where and is dropped.
func (in *inputFlags) options(threads int) (data.ReadOptions, error) {
	o := data.ReadOptions{Where: in.where, Drop: in.dropList(), DropNonNumeric: in.text, Workers: threads}
	lim, err := in.limits()
	if err != nil {
		return o, err
	}
	o.Limits = lim
	if in.format != "" {
		f, err := data.ParseFormat(in.format)
		if err != nil {
			return o, usagef("--format: %v", err)
		}
		o.Format = f
	}
	o.Columns = splitList(in.cols)
	o.Tree = in.tree
	// The HIGGS label is a class, not a feature, unless --columns asks for it.
	if o.Format == data.FormatHIGGS && !slices.Contains(o.Drop, data.HiggsLabel) && !slices.Contains(o.Columns, data.HiggsLabel) {
		o.Drop = append(o.Drop, data.HiggsLabel)
	}
	for _, c := range o.Columns {
		if slices.Contains(o.Drop, c) && !(c == data.HiggsLabel && o.Format == data.FormatHIGGS) {
			return o, usagef("--columns %s: the column is also in --drop", c)
		}
	}
	return o, nil
}

// parseInput splits FILE@FACTOR; a path that exists as given wins, so file
// names containing @ still work.
func parseInput(v string) (data.WeightedInput, error) {
	if _, err := os.Stat(v); err == nil {
		return data.WeightedInput{Path: v, Factor: 1}, nil
	}
	i := strings.LastIndex(v, "@")
	if i < 0 {
		return data.WeightedInput{Path: v, Factor: 1}, nil
	}
	f, err := strconv.ParseFloat(v[i+1:], 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f == 0 {
		return data.WeightedInput{}, usagef("--data %q: the part after @ must be a finite, non-zero weight factor, e.g. mc.csv@0.5", v)
	}
	return data.WeightedInput{Path: v[:i], Factor: f}, nil
}
