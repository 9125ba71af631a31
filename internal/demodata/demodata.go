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

import _ "embed"

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
