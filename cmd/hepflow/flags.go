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
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) { // Parse has printed the usage
		return errHelp
	}
	if err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags take the form --name value)", fs.Arg(0))
	}
	return nil
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
func (c *common) gemm(e *env) (blas.Gemm, error) {
	return blas.Select(os.Getenv(blas.EnvVar), 1, c.logger(e))
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

// checkOutput refuses an output path that is one of the inputs (by path,
// symbolic or hard link), lies in a folder that does not exist, or exists
// already (unless --force).
func checkOutput(flagName, out string, force bool, inputs ...string) error {
	if out == "" {
		return usagef("--%s is required", flagName)
	}
	if err := data.CheckOutput(out, inputs...); err != nil {
		return usagef("--%s: %v", flagName, err)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("--%s %s: %w", flagName, out, err)
	}
	if st, err := os.Stat(filepath.Dir(abs)); err != nil || !st.IsDir() {
		return fmt.Errorf("--%s %s: folder %s does not exist", flagName, out, filepath.Dir(out))
	}
	if _, err := os.Stat(out); err == nil && !force {
		return fmt.Errorf("--%s %s exists already; use --force to overwrite it", flagName, out)
	}
	// Outputs are written to a temporary file in the same folder and renamed:
	// find out now, not after an hour of training, that the folder refuses it.
	probe, err := os.CreateTemp(filepath.Dir(abs), ".hepflow-probe-*")
	if err != nil {
		return fmt.Errorf("--%s %s: cannot write in folder %s: %w", flagName, out, filepath.Dir(out), err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// positive reports whether v is finite and > 0 (false for NaN).
func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) }

// nonNegative reports whether v is finite and >= 0 (false for NaN).
func nonNegative(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
