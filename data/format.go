package data

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format names a file layout.
type Format string

// The formats hepflow reads and writes.
const (
	// FormatCSV is comma-separated text (tab-separated for .tsv), optionally
	// gzip'd, with a header line when the first line is not all numbers.
	FormatCSV Format = "csv"
	// FormatHIGGS is the UCI HIGGS layout: CSV without a header, 29 columns,
	// the label then the 28 features named by [HiggsColumns].
	FormatHIGGS Format = "higgs"
	// FormatParquet is Apache Parquet with a flat schema.
	FormatParquet Format = "parquet"
	// FormatNPY is a NumPy .npy array.
	FormatNPY Format = "npy"
	// FormatROOT is a ROOT file: one TTree read (see ReadOptions.Tree;
	// package rootfile), written as a TTree of double branches.
	FormatROOT Format = "root"
)

// ParseFormat converts a user's format name ("csv", "higgs", "parquet",
// "npy"; case-insensitive) to a Format.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatCSV, FormatHIGGS, FormatParquet, FormatNPY, FormatROOT:
		return f, nil
	case "tsv", "csv.gz", "tsv.gz":
		return FormatCSV, nil
	}
	return "", fmt.Errorf("%w %q (known: csv, higgs, parquet, npy, root)", ErrUnknownFormat, s)
}

// FormatOf tells the format from the path's extension: .csv, .tsv (either
// may end in .gz), .parquet (or .pq), .npy.
func FormatOf(path string) (Format, error) {
	name := strings.ToLower(filepath.Base(path))
	name = strings.TrimSuffix(name, ".gz")
	switch filepath.Ext(name) {
	case ".csv", ".tsv":
		return FormatCSV, nil
	case ".parquet", ".pq":
		return FormatParquet, nil
	case ".npy":
		return FormatNPY, nil
	case ".root":
		return FormatROOT, nil
	}
	ext := filepath.Ext(strings.ToLower(path))
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		ext = filepath.Ext(name) + ".gz"
	}
	if ext == "" || ext == ".gz" {
		return "", fmt.Errorf("%w: %q has no recognised extension (use .csv, .csv.gz, .parquet, .npy or .root, or give the format explicitly)", ErrUnknownFormat, filepath.Base(path))
	}
	return "", fmt.Errorf("%w %q (known: .csv, .csv.gz, .tsv, .parquet, .npy, .root; or give the format explicitly)", ErrUnknownFormat, ext)
}

// isGzipPath reports whether the path asks for gzip compression on writing.
func isGzipPath(path string) bool { return strings.HasSuffix(strings.ToLower(path), ".gz") }

// isTSVPath reports whether the path names tab-separated text.
func isTSVPath(path string) bool {
	return filepath.Ext(strings.TrimSuffix(strings.ToLower(path), ".gz")) == ".tsv"
}
