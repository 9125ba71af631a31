package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"hepflow/data"
	"hepflow/model"
	"hepflow/nn"
	"hepflow/train"
)

const trainExamples = `  # background of the full UCI HIGGS file, standard MAF
  hepflow train --data HIGGS.csv.gz --format higgs --where 'label==0' --out bkg.safetensors

  # the seed talk's 18 continuous features, RealNVP, JSON summary
  hepflow train --data HIGGS.csv.gz --format higgs --where 'label==0' --drop @phi,@btag \
      --flow realnvp --blocks 8 --out bkg18.safetensors --json

  # MC with generator weights, combined with data at half weight
  hepflow train --data mc.parquet --data data.parquet@0.5 --weight genweight --out mix.safetensors

  # a conditional spline flow p(x | label) of signal and background together
  hepflow train --data HIGGS.csv.gz --format higgs --context label --flow nsf --out cond.safetensors

  # an ensemble of 5 flows (seeds 1-5) in one model: density = mean of the members'
  hepflow train --data HIGGS.csv.gz --format higgs --where 'label==0' --ensemble 5 --out ens.safetensors

  # continue a run that was killed (checkpoints are kept in OUT.ckpt/ after every epoch)
  hepflow train --resume bkg.safetensors.ckpt
`

type trainFlags struct {
	common
	fitFlags
	in      inputFlags
	inputs  listFlag
	weight  string
	out     string
	context string
	ck      checkpointFlags
}

func runTrain(ctx context.Context, args []string, e *env) error {
	f, err := parseTrain(args, e)
	if err != nil {
		return err
	}
	if f.ck.resumeOnly {
		// `train --resume DIR` alone: the interrupted run's own arguments.
		dir := f.ck.resume
		stored, err := f.ck.storedArgs()
		if err != nil {
			return err
		}
		// The flags given beside --resume (--threads, --json) win.
		if f, err = parseTrain(append(stored, f.ck.extra...), e); err != nil {
			return fmt.Errorf("--resume %s: the recorded arguments: %w", dir, err)
		}
		f.ck.ownOutput = true
	}
	return trainWith(ctx, f, args, e)
}

// parseTrain parses and checks train's flags.
func parseTrain(args []string, e *env) (*trainFlags, error) {
	f := &trainFlags{}
	fs := newFlags("train", "train --data FILE [--data FILE2@FACTOR] --out MODEL [flags]  |  train --resume DIR", trainExamples, e)
	f.common.register(fs, true)
	f.in.register(fs)
	fs.Var(&f.inputs, "data", "input events (repeatable; FILE@FACTOR multiplies that file's weights by FACTOR)")
	fs.StringVar(&f.weight, "weight", "", "column of per-event weights (weighted maximum likelihood; negative weights allowed, the total must be positive)")
	fs.StringVar(&f.out, "out", "", "model file to write (.safetensors)")
	fs.StringVar(&f.context, "context", "", "comma-separated columns to condition on: the model is p(features | context), the context columns are read (standardized) but not modelled; with --format higgs, 'label' may be one")
	f.fitFlags.register(fs)
	f.ck.register(fs)
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	// --resume alone (or with --threads, --json) reuses the run's recorded flags.
	if f.ck.resumeOnly = f.ck.resume != "" && onlyFlags(fs, "resume", "threads", "json"); f.ck.resumeOnly {
		f.ck.extra = args
		return f, nil
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

// trainWith runs the training the flags describe; args are recorded in
// the checkpoint folder.
func trainWith(ctx context.Context, f *trainFlags, args []string, e *env) error {
	if len(f.inputs) == 0 {
		return usagef("--data is required")
	}
	var inputs []data.WeightedInput
	var paths []string
	for _, v := range f.inputs {
		in, err := parseInput(v)
		if err != nil {
			return err
		}
		inputs = append(inputs, in)
		paths = append(paths, in.Path)
	}
	if err := checkOutput("out", f.out, f.force || f.ck.ownOutput, paths...); err != nil {
		return err
	}
	ck, err := f.ck.dir(f.out, f.force, append(args[:len(args):len(args)], fmt.Sprintf("--threads=%d", f.threads)))
	if err != nil {
		return err
	}
	spec, err := f.spec()
	if err != nil {
		return err
	}
	ctxCols := splitList(f.context)
	opts, err := f.in.options(f.threads)
	if err != nil {
		return err
	}
	for _, name := range ctxCols {
		if slices.Contains(f.in.dropList(), name) {
			return usagef("--context %s: the column is also in --drop", name)
		}
		if name == data.HiggsLabel && opts.Format == data.FormatHIGGS {
			opts.Drop = slices.DeleteFunc(opts.Drop, func(s string) bool { return s == data.HiggsLabel })
		}
	}
	log := f.logger(e)
	gemm, err := f.gemm(e)
	if err != nil {
		return err
	}
	tab, weights, err := data.ReadWeighted(ctx, inputs, opts, f.weight)
	if err != nil {
		// A column named by a flag that the data lack is a usage error.
		var uc *data.UnknownColumnError
		if errors.As(err, &uc) {
			switch {
			case uc.Name == f.weight:
				return usagef("--weight: %v", err)
			case slices.Contains(opts.Drop, uc.Name):
				return usagef("--drop: %v", err)
			}
		}
		return err
	}
	features := slices.Clone(tab.Columns)
	for _, name := range ctxCols {
		if !slices.Contains(tab.Columns, name) {
			return usagef("--context: %v", &data.UnknownColumnError{Name: name, Known: tab.Columns})
		}
		features = slices.DeleteFunc(features, func(s string) bool { return s == name })
	}
	if err := f.checkColumns(features); err != nil {
		return err
	}
	log.Info("training", "events", tab.Rows(), "features", tab.Cols(), "flow", f.kind, "blocks", f.blocks, "hidden", f.hidden, "gemm", gemm.Name())
	if tab.Bytes() >= train.BigSample {
		// A full-size sample: the heap is then mostly float arrays without
		// pointers, which the collector marks in no time, so collecting
		// when it has grown by a tenth rather than doubled costs little
		// and keeps the peak near the live memory (1.3 GB, not 1.7, for
		// the HIGGS background).
		debug.SetGCPercent(10)
	}
	cfg := f.config()
	bar := newProgress(e.stderr)
	if bar != nil {
		cfg.Progress = bar.epoch
	} else {
		cfg.Logger = log
	}
	var onMember func(k, of int)
	if bar != nil {
		onMember = func(k, of int) {
			if k > 0 {
				bar.done()
			}
			bar.member = fmt.Sprintf("member %d/%d ", k+1, of)
		}
	}
	res, err := train.FitEvents(ctx, tab, weights, train.ModelOptions{
		Spec: spec, Config: cfg, ValFraction: f.valFrac, Preprocess: f.preprocess(), Gemm: gemm, Workers: f.threads, Context: ctxCols,
		Data:   model.DataInfo{Files: paths, Format: f.in.format, Where: f.in.where, Drop: opts.Drop, Weight: f.weight},
		Logger: log, Ensemble: f.members, OnMember: onMember, Checkpoints: ck,
	})
	if bar != nil {
		bar.done()
	}
	if err := saveTrained(e, f.out, res, err); err != nil {
		f.ck.failed(e, ck, err)
		return err
	}
	f.ck.finished(e, ck)
	return printTrainSummary(e, f.json, f.out, res)
}

// check validates the flags that need no data.
func (f *trainFlags) check() error {
	if err := f.common.validate(); err != nil {
		return err
	}
	return f.fitFlags.check()
}

// saveTrained writes the model FitModel returned. A run that stopped early
// (interrupted, or diverged) still returns the best model so far: it is
// written, the user is told, and the stop is returned as the error (exit
// status 130 for an interrupt, 1 for divergence).
func saveTrained(e *env, out string, res *train.Result, err error) error {
	st := train.Stopped(err)
	if err != nil && (st == nil || res == nil) {
		return err
	}
	if serr := model.Save(out, res.Model); serr != nil {
		if st != nil {
			return fmt.Errorf("%v; saving the best model so far failed too: %w", err, serr)
		}
		return serr
	}
	if st == nil {
		return nil
	}
	s := res.Summary
	if res.Members != nil {
		fmt.Fprintf(e.stderr, "hepflow: %v\nhepflow: wrote the best model so far to %s (an ensemble of %d flows, val NLL %s nats/event)\n",
			err, out, res.Model.Ensemble(), fmtNats(res.ValNLL))
	} else {
		fmt.Fprintf(e.stderr, "hepflow: %v\nhepflow: wrote the best model so far to %s (epoch %d of %d, %d steps, val NLL %s nats/event)\n",
			err, out, s.BestEpoch, s.Epochs, s.Steps, fmtNats(s.ValNLL))
	}
	if st.Reason == train.Interrupted {
		return &interrupted{err: err}
	}
	return err
}

// fmtNats prints an NLL, or "n/a" when there is none.
func fmtNats(v train.Nats) string {
	if !v.Valid() {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", float64(v))
}

// modelParams counts the free parameters of every flow of m.
func modelParams(m *model.Model) int {
	n := 0
	for _, f := range m.Flows() {
		n += nn.CountParams(f.Params())
	}
	return n
}

func printTrainSummary(e *env, asJSON bool, out string, res *train.Result) error {
	s := res.Summary
	if asJSON {
		r := map[string]any{
			"model": out, "columns": res.Model.Columns(), "constant_columns": res.Model.Info.Constants, "context": res.Model.Info.Context, "flow": res.Model.Info.Spec,
			"parameters": modelParams(res.Model),
			"epochs":     s.Epochs, "best_epoch": s.BestEpoch, "stopped_early": s.StoppedEarly, "stopped": s.Stopped,
			"skipped_steps": s.SkippedSteps, "train_events": s.TrainEvents, "val_events": s.ValEvents,
			"train_nll": res.TrainNLL, "val_nll": res.ValNLL, "val_unseen_level": res.ValUnseenLevel,
			"warnings": res.Warnings, "seconds": s.Seconds, "events_per_second": s.EventsPerSec,
		}
		if res.Members != nil {
			var ms []map[string]any
			for _, mr := range res.Members {
				ms = append(ms, map[string]any{"member": mr.Member, "seed": mr.Seed, "in_model": mr.InModel,
					"epochs": mr.Summary.Epochs, "best_epoch": mr.Summary.BestEpoch, "stopped_early": mr.Summary.StoppedEarly, "stopped": mr.Summary.Stopped,
					"train_nll": mr.TrainNLL, "val_nll": mr.ValNLL})
			}
			r["ensemble"], r["members"] = res.Model.Ensemble(), ms
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", out)
	fmt.Fprintf(e.stdout, "  features      %d (%s)\n", len(res.Model.Columns()), strings.Join(res.Model.Columns(), ", "))
	for _, c := range res.Model.Info.Constants {
		fmt.Fprintf(e.stdout, "  constant      %s = %g (not modelled; written as that value when sampling)\n", c.Name, c.Value)
	}
	if cs := res.Model.ContextColumns(); len(cs) > 0 {
		fmt.Fprintf(e.stdout, "  context       %s (conditioned on, not modelled)\n", strings.Join(cs, ", "))
	}
	all := ""
	if res.Model.Ensemble() > 1 {
		all = fmt.Sprintf(" in all %d flows", res.Model.Ensemble())
	}
	fmt.Fprintf(e.stdout, "  flow          %s, %d blocks %v, %s, %d free parameters%s\n", res.Model.Info.Spec.Kind, res.Model.Info.Spec.Blocks, res.Model.Info.Spec.Hidden, res.Model.Info.Spec.Activation, modelParams(res.Model), all)
	if res.Members != nil {
		fmt.Fprintf(e.stdout, "  ensemble      %d flows in the model (density = mean of the members'; sampling picks a member per event)\n", res.Model.Ensemble())
		for _, mr := range res.Members {
			ms := mr.Summary
			how := ""
			switch {
			case ms.Stopped != "":
				how = ", stopped: " + string(ms.Stopped)
			case ms.StoppedEarly:
				how = ", stopped early"
			}
			if !mr.InModel {
				how += ", not in the model"
			}
			fmt.Fprintf(e.stdout, "  member %-6d seed %d, epochs %d (best %d%s), val NLL %s nats/event\n", mr.Member+1, mr.Seed, ms.Epochs, ms.BestEpoch, how, fmtNats(mr.ValNLL))
		}
	}
	how := ""
	switch {
	case s.Stopped != "":
		how = ", stopped: " + string(s.Stopped)
	case s.StoppedEarly:
		how = ", stopped early"
	}
	if res.Members != nil {
		fmt.Fprintf(e.stdout, "  epochs        %d over all members%s\n", s.Epochs, how)
	} else {
		fmt.Fprintf(e.stdout, "  epochs        %d (best %d%s)\n", s.Epochs, s.BestEpoch, how)
	}
	if s.SkippedSteps > 0 {
		fmt.Fprintf(e.stdout, "  skipped steps %d of %d (non-finite loss or gradient)\n", s.SkippedSteps, s.Steps+s.SkippedSteps)
	}
	fmt.Fprintf(e.stdout, "  train NLL     %s nats/event (physical units, %d events)\n", fmtNats(res.TrainNLL), s.TrainEvents)
	if s.ValEvents > 0 {
		fmt.Fprintf(e.stdout, "  val NLL       %s nats/event (physical units, %d events)\n", fmtNats(res.ValNLL), s.ValEvents)
	} else {
		fmt.Fprintf(e.stdout, "  val NLL       none (--val-fraction 0: no validation, last weights kept)\n")
	}
	if res.ValUnseenLevel > 0 {
		fmt.Fprintf(e.stdout, "  unscored      %d validation events with a discrete value never seen in training (mass 0), left out\n", res.ValUnseenLevel)
	}
	fmt.Fprintf(e.stdout, "  time          %.1f s, %.0f events/s\n", s.Seconds, s.EventsPerSec)
	return nil
}

// nullNaN turns NaN into JSON null.
func nullNaN(v float64) any {
	if v != v {
		return nil
	}
	return v
}

// progress draws a one-line progress bar on a terminal; member names the
// ensemble member being trained ("" for a single flow).
type progress struct {
	f      *os.File
	member string
}

func newProgress(w any) *progress {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progress{f: f}
}

func (p *progress) epoch(ep train.Epoch) {
	const width = 30
	n := width * ep.Epoch / max(ep.Epochs, 1)
	best := ""
	if ep.Best {
		best = " *"
	}
	fmt.Fprintf(p.f, "\r%s[%s%s] epoch %d/%d  NLL (nats/event) train %s  val %s%s   ", p.member, strings.Repeat("=", n), strings.Repeat(" ", width-n), ep.Epoch, ep.Epochs, fmtNats(ep.TrainNLL), fmtNats(ep.ValNLL), best)
}

func (p *progress) done() { fmt.Fprintln(p.f) }
