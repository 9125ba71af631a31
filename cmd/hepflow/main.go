// Command hepflow fits normalizing flows to collider events, generates new
// events, scores events by density and validates generators. Each subcommand
// parses its flags and calls the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"hepflow/data"
	"hepflow/internal/atomicfile"
)

const usage = `hepflow: normalizing flows for particle-physics events

Usage:
  hepflow <command> [flags]

Commands:
  train     fit a flow (MAF, NSF, RealNVP; optionally conditional) to events by maximum likelihood
  sample    generate events in physical units from a model
  logprob   per-event log density of a data file under a model
  compare   compare a reference and a candidate sample; HTML report
  c2st      classifier two-sample test of two samples
  anomaly   score signal against background by -log p, or CATHODE/ANODE in a signal region; ROC, AUC, SIC
  classify  per-event likelihood ratio log p(x|num) - log p(x|den) of a conditional model
  convert   copy events between csv, csv.gz, Parquet, .npy and ROOT, with a selection, in constant memory
  bench     the standard MAF (or NSF) benchmark, side by side with PyTorch
  demo      train, sample and validate on the embedded real HIGGS sample
  serve     an HTTP service: sample and log densities of loaded models
  version   print the version

Run 'hepflow <command> --help' for the flags and examples of a command.

Examples:
  hepflow demo --out demo
  hepflow train --data HIGGS.csv.gz --format higgs --where 'label==0' --out bkg.safetensors
  hepflow sample --model bkg.safetensors -n 1000000 --out gen.parquet
`

// command is one subcommand: it gets its arguments and the process streams.
type command func(ctx context.Context, args []string, env *env) error

func commands() map[string]command {
	return map[string]command{
		"train":    runTrain,
		"sample":   runSample,
		"logprob":  runLogProb,
		"compare":  runCompare,
		"c2st":     runC2ST,
		"anomaly":  runAnomaly,
		"classify": runClassify,
		"convert":  runConvert,
		"bench":    runBench,
		"demo":     runDemo,
		"serve":    runServe,
		"version":  runVersion,
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C (or SIGTERM) asks the command to stop cleanly (train
	// saves its best model so far); once it is seen the default handling is
	// back, so a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	os.Exit(run(ctx, os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr}))
}

// env carries the streams a command writes to, so tests can capture them.
type env struct {
	stdout, stderr io.Writer
}

// interrupted is a command stopped by Ctrl-C or SIGTERM after it tidied up
// and said what it kept.
type interrupted struct{ err error }

func (e *interrupted) Error() string { return e.err.Error() }
func (e *interrupted) Unwrap() error { return e.err }

// Exit statuses, the same for every command.
const (
	exitOK          = 0
	exitFailure     = 1   // a runtime or data error
	exitUsage       = 2   // a bad, missing or conflicting flag or flag value, an unsafe output path
	exitInterrupted = 130 // Ctrl-C or SIGTERM (128 + SIGINT)
)

// run executes one command line and returns the exit status: 0 on success,
// 1 on a runtime or data error, 2 on a usage error, 130 when interrupted
// (Ctrl-C, SIGTERM).
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	case "-version", "--version":
		args[0] = "version"
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "hepflow: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	err := cmd(ctx, args[1:], e)
	code, msg := exitStatus(ctx, err)
	if msg != "" {
		fmt.Fprintf(e.stderr, "hepflow %s: %s\n", args[0], msg)
		if code == exitUsage {
			fmt.Fprintf(e.stderr, "Run 'hepflow %s --help' for usage.\n", args[0])
		}
	}
	return code
}

// exitStatus classifies a command's error and words it for the user ("" when
// there is nothing to add). A selection that does not parse or names a
// column the file does not have, and an output path hepflow never replaces,
// are usage errors wherever they are found; any error after an interrupt
// (whatever the code that stopped wrapped it in) is the interrupt.
func exitStatus(ctx context.Context, err error) (int, string) {
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK, ""
	case errors.As(err, new(*interrupted)):
		return exitInterrupted, "" // the command has said what it kept
	case errors.As(err, new(*usageError)), errors.As(err, new(*data.ExprError)), errors.As(err, new(*atomicfile.UnsafeError)):
		return exitUsage, err.Error()
	case errors.Is(err, context.Canceled), ctx.Err() != nil:
		return exitInterrupted, "interrupted before it finished; nothing written"
	}
	return exitFailure, err.Error()
}
