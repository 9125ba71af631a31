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
  bench     the standard MAF (or NSF) benchmark, side by side with PyTorch
  demo      train, sample and validate on the embedded real HIGGS sample
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
		"bench":    runBench,
		"demo":     runDemo,
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

// interrupted is a command stopped by Ctrl-C or SIGTERM after it tidied up.
type interrupted struct{ err error }

func (e *interrupted) Error() string { return e.err.Error() }
func (e *interrupted) Unwrap() error { return e.err }

// run executes one command line and returns the exit status: 0 on success,
// 1 on failure, 2 on a usage error, 130 when interrupted (Ctrl-C, SIGTERM).
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, usage)
		return 0
	case "-version", "--version":
		args[0] = "version"
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "hepflow: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := cmd(ctx, args[1:], e)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.As(err, new(*usageError)):
		fmt.Fprintf(e.stderr, "hepflow %s: %v\nRun 'hepflow %s --help' for usage.\n", args[0], err, args[0])
		return 2
	case errors.As(err, new(*interrupted)):
		return 130 // the command has said what it kept
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.stderr, "hepflow %s: interrupted before it finished\n", args[0])
		return 130
	default:
		fmt.Fprintf(e.stderr, "hepflow %s: %v\n", args[0], err)
		return 1
	}
}
