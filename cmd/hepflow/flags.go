package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"hepflow/data"
	"hepflow/internal/atomicfile"
	"hepflow/model"
	"hepflow/nn/blas"
)

// errHelp reports that --help was asked for and printed.
var errHelp = errors.New("help requested")

// usageError is a bad flag or argument.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// newFlags returns a flag set whose --help prints the synopsis, the flags and
// the examples.
func newFlags(name, synopsis, examples string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := e.stdout
		fmt.Fprintf(w, "Usage: hepflow %s\n\nFlags:\n", synopsis)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		if examples != "" {
			fmt.Fprintf(w, "\nExamples:\n%s", examples)
		}
	}
	return fs
}

// parse parses args, turning --help into errHelp (Parse prints the usage) and
// flag errors into usage errors. Positional arguments are refused.
func parse(fs *flag.FlagSet, args []string) error {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (flags take the form --name value)", pos[0])
	}
	return nil
}

// parseArgs parses flags that may come before, between or after the
// positional arguments, which it returns.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) { // Parse has printed the usage
			return nil, errHelp
		}
		if err != nil {
			return nil, usagef("%v", err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }

func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseInts parses a comma-separated list of positive integers; an empty
// item (128,,128) is an error, not skipped.
func parseInts(flagName, s string) ([]int, error) {
	var out []int
	if strings.TrimSpace(s) == "" {
		return nil, usagef("--%s is empty", flagName)
	}
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, usagef("--%s %q: want positive integers separated by commas, e.g. 128,128", flagName, s)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, usagef("--%s is empty", flagName)
	}
	return out, nil
}

// common holds flags every compute command shares.
type common struct {
	threads int
	json    bool
	force   bool
}

func (c *common) register(fs *flag.FlagSet, withJSON bool) {
	fs.IntVar(&c.threads, "threads", runtime.NumCPU(), "worker threads (matrix products and parsing)")
	if withJSON {
		fs.BoolVar(&c.json, "json", false, "print the summary as one JSON object on the last line of stdout")
	}
	fs.BoolVar(&c.force, "force", false, "overwrite output files that already exist")
}

func (c *common) validate() error {
	if c.threads < 1 {
		return usagef("--threads %d: want at least 1", c.threads)
	}
	runtime.GOMAXPROCS(c.threads)
	return nil
}

// logger returns the slog logger commands report progress through (stderr).
func (c *common) logger(e *env) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// gemm picks the matrix-multiply backend ($HEPFLOW_BLAS overrides). It is
// single-threaded: flows spread batches over --threads workers instead,
// which measured 2x faster on the standard benchmark than one worker with a
// multi-threaded GEMM (BENCHMARKS.md).
//
// A backend $HEPFLOW_BLAS names that does not exist or cannot be loaded is a
// usage error, like a bad flag.
func (c *common) gemm(e *env) (blas.Gemm, error) {
	g, err := blas.Select(os.Getenv(blas.EnvVar), 1, c.logger(e))
	if err != nil {
		return nil, usagef("%v", err)
	}
	return g, nil
}

// loadModel reads a model and spreads its flows over --threads workers.
func (c *common) loadModel(e *env, path string) (*model.Model, error) {
	g, err := c.gemm(e)
	if err != nil {
		return nil, err
	}
	m, err := model.Load(path, g)
	if err != nil {
		return nil, err
	}
	if err := m.SetWorkers(c.threads); err != nil {
		return nil, err
	}
	return m, nil
}

// checkOutput refuses, as usage errors, an output file path that is one of
// the inputs (by path, symbolic or hard link), lies in a folder that does
// not exist or cannot be written, is anything but a regular file (a device,
// a FIFO, a socket, a folder, a symbolic link: never replaced, even with
// --force), or exists already (unless force). It then removes the leftovers
// of killed hepflow runs from the output's folder (atomicfile.CleanStale).
func checkOutput(flagName, out string, force bool, inputs ...string) error {
	if out == "" {
		return usagef("--%s is required", flagName)
	}
	if err := data.CheckOutput(out, inputs...); err != nil {
		return usagef("--%s: %v", flagName, err)
	}
	dir, err := outputFolder(flagName, out)
	if err != nil {
		return err
	}
	if err := atomicfile.CheckFile(out, force); err != nil {
		return outputError(flagName, out, err)
	}
	return prepareFolder(flagName, out, dir)
}

// checkDataOutput is checkOutput for a table written in format (empty: the
// one out's extension names, which must be one hepflow writes), with the
// side files the writer puts beside it (the column names of a .npy file)
// under the same rules, all checked before anything is written.
func checkDataOutput(flagName, out string, format data.Format, force bool, inputs ...string) error {
	if err := checkOutput(flagName, out, force, inputs...); err != nil {
		return err
	}
	if format == "" {
		if _, err := data.FormatOf(out); err != nil {
			return usagef("--%s %s: %v", flagName, out, err)
		}
	}
	for _, p := range data.SideFiles(out, format) {
		if err := data.CheckOutput(p, inputs...); err != nil {
			return usagef("--%s: %v", flagName, err)
		}
		if err := atomicfile.CheckFile(p, force); err != nil {
			return outputError(flagName, out, fmt.Errorf("the file written beside it, %w", err))
		}
	}
	return nil
}

// checkOutputDir is checkOutput for an output folder, written under a
// temporary name and renamed into place when complete: it may not exist
// yet, or be empty, or, with force, be a complete folder of the same kind
// (one holding every one of markers), which is then replaced as a whole. An
// input inside it is refused.
func checkOutputDir(flagName, out string, force bool, markers []string, inputs ...string) error {
	if out == "" {
		return usagef("--%s is required", flagName)
	}
	if err := data.CheckOutputDir(out, inputs...); err != nil {
		return usagef("--%s: %v", flagName, err)
	}
	dir, err := outputFolder(flagName, out)
	if err != nil {
		return err
	}
	if err := atomicfile.CheckDir(out, force, markers); err != nil {
		return outputError(flagName, out, err)
	}
	return prepareFolder(flagName, out, dir)
}

// outputFolder returns the existing folder an output path lies in.
func outputFolder(flagName, out string) (string, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return "", usagef("--%s %s: %v", flagName, out, err)
	}
	dir := filepath.Dir(abs)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", usagef("--%s %s: folder %s does not exist", flagName, out, filepath.Dir(out))
	}
	return dir, nil
}

// outputError words a refused output path as a usage error naming the flag.
func outputError(flagName, out string, err error) error {
	if strings.HasPrefix(err.Error(), out+" ") {
		return usagef("--%s %v", flagName, err)
	}
	return usagef("--%s %s: %v", flagName, out, err)
}

// prepareFolder finds out now, not after an hour of training, that the
// output's folder refuses temporary files (outputs are written to one and
// renamed), and removes the leftovers of killed hepflow runs from it.
func prepareFolder(flagName, out, dir string) error {
	if err := atomicfile.CheckWritable(dir); err != nil {
		return usagef("--%s %s: cannot write in folder %s: %v", flagName, out, filepath.Dir(out), err)
	}
	atomicfile.CleanStale(dir) // best effort: a leftover that cannot be removed harms no one
	return nil
}

// checkWhere refuses a selection that does not parse, before any work;
// whether its columns exist is known once the file is open.
func checkWhere(flagName, expr string) error {
	if expr == "" {
		return nil
	}
	if _, err := data.ParseExpr(expr); err != nil {
		return usagef("--%s: %v", flagName, err)
	}
	return nil
}

// positive reports whether v is finite and > 0 (false for NaN).
func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) }

// nonNegative reports whether v is finite and >= 0 (false for NaN).
func nonNegative(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
