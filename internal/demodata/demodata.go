// Package demodata embeds the real HIGGS sample that `hepflow demo` trains on:
// 5,492 events in the UCI HIGGS layout (label first, 28 features, no header).
//
// Source: the HIGGS data set, D. Whiteson (2014), UCI Machine Learning
// Repository, licensed CC BY 4.0 (https://archive.ics.uci.edu/dataset/280/higgs;
// P. Baldi, P. Sadowski, D. Whiteson, "Searching for exotic particles in
// high-energy physics with deep learning", Nature Communications 5, 4308 (2014)).
// See README.md beside this file; anything that ships the file keeps this
// attribution.
package demodata

import (
	"context"
	_ "embed"
	"os"

	"hepflow/data"
)

// HiggsSample is the gzip'd CSV of the sample.
//
//go:embed higgs-sample.csv.gz
var HiggsSample []byte

// Attribution is the licence notice that must accompany the sample.
//
//go:embed README.md
var Attribution string

// FileName is the name the sample is written under.
const FileName = "higgs-sample.csv.gz"

// Split reads the embedded sample and returns its background (label 0) and
// signal (label 1) events as row-major values of the 28 features, in the
// UCI order of data.HiggsFeatures.
func Split(ctx context.Context) (bkg, sig []float64, err error) {
	f, err := os.CreateTemp("", "hepflow-higgs-*.csv.gz")
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(HiggsSample); err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := f.Close(); err != nil {
		return nil, nil, err
	}
	t, err := data.Read(ctx, f.Name(), data.ReadOptions{Format: data.FormatHIGGS})
	if err != nil {
		return nil, nil, err
	}
	for i := 0; i < t.Rows(); i++ {
		row := t.Row(i)
		if row[0] == 1 {
			sig = append(sig, row[1:]...)
		} else {
			bkg = append(bkg, row[1:]...)
		}
	}
	return bkg, sig, nil
}
