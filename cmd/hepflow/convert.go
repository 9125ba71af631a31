package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"hepflow/data"
)

const convertExamples = `  # the UCI HIGGS file to Parquet, background only, in constant memory (the label is kept)
  hepflow convert HIGGS.csv.gz bkg.parquet --format higgs --where 'label==0'

  # a few columns of a Parquet file to .npy (column names in bkg.npy.columns)
  hepflow convert bkg.parquet bkg.npy --columns lepton_pT,m_bb,m_wwbb

  # to a ROOT file (a TTree of double branches), read back by ROOT and uproot
  hepflow convert bkg.parquet bkg.root
`

func runConvert(ctx context.Context, args []string, e *env) error {
	var c common
	var in inputFlags
	var outFormat string
	fs := newFlags("convert", "convert IN OUT [--format F] [--where EXPR] [--columns LIST] [flags]", convertExamples, e)
	c.register(fs, true)
	in.register(fs)
	fs.StringVar(&outFormat, "out-format", "", "output format: csv, parquet, npy or root (default from OUT's extension; .gz compresses csv)")
	// Flags may come before, between or after IN and OUT.
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want IN and OUT, got %d file arguments", len(pos))
	}
	src, dst := pos[0], pos[1]
	if err := c.validate(); err != nil {
		return err
	}
	if err := checkInputFlags(&in); err != nil {
		return err
	}
	opts, err := in.options(c.threads)
	if err != nil {
		return err
	}
	// The HIGGS label is data to a conversion: kept unless --drop names it.
	if opts.Format == data.FormatHIGGS && !slices.Contains(in.dropList(), data.HiggsLabel) {
		opts.Drop = slices.DeleteFunc(opts.Drop, func(s string) bool { return s == data.HiggsLabel })
	}
	var wopt data.WriteOptions
	if outFormat != "" {
		if wopt.Format, err = data.ParseFormat(outFormat); err != nil {
			return usagef("--out-format: %v", err)
		}
	}
	if err := checkDataOutput("OUT", dst, wopt.Format, c.force, src); err != nil {
		return err
	}
	start := time.Now()
	bar := newProgress(e.stderr)
	var progress func(int64)
	if bar != nil {
		progress = func(n int64) {
			fmt.Fprintf(bar.f, "\rconverted %d events (%.0f events/s)   ", n, float64(n)/time.Since(start).Seconds())
		}
	}
	n, err := data.Convert(ctx, src, dst, opts, wopt, progress)
	if bar != nil {
		bar.done()
	}
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	if c.json {
		b, _ := json.Marshal(map[string]any{"in": src, "out": dst, "events": n, "seconds": secs, "events_per_second": float64(n) / secs})
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	size := ""
	if st, err := os.Stat(dst); err == nil {
		size = fmt.Sprintf(", %.1f MB", float64(st.Size())/1e6)
	}
	fmt.Fprintf(e.stdout, "wrote %d events to %s (%.1f s, %.0f events/s%s)\n", n, dst, secs, float64(n)/secs, size)
	return nil
}
