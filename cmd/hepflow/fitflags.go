package main

import (
	"flag"
	"slices"
	"strings"

	"hepflow/flow"
	"hepflow/nn"
	"hepflow/preprocess"
	"hepflow/train"
)

// fitFlags are the flags of fitting a flow: architecture, optimisation and
// feature scaling. train registers them, and so does every command that
// fits flows on the way (anomaly --method cathode|anode), with the same
// names and defaults.
type fitFlags struct {
	kind    string
	blocks  int
	hidden  string
	act     string
	perm    string
	mask    string
	epochs  int
	batch   int
	lr      float64
	sched   string
	wd      float64
	clip    float64
	pat     int
	valFrac float64
	seed    uint64
	disc    string
	cont    string
	periods string
	margin  float64
	scaling string
	unbound string
	bins    int
	bound   float64
	actnorm bool
	lu      bool
	members int
}

func (f *fitFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.kind, "flow", "maf", "flow type: maf (affine autoregressive), nsf (rational-quadratic spline autoregressive), realnvp (affine couplings) or nsf-coupling (spline couplings)")
	fs.IntVar(&f.bins, "bins", flow.DefaultSplineBins, "nsf, nsf-coupling: spline bins per coordinate (2 to 64)")
	fs.Float64Var(&f.bound, "tail-bound", flow.DefaultSplineBound, "nsf, nsf-coupling: the splines act on [-B, B] of the standardized inputs, identity outside")
	fs.IntVar(&f.blocks, "blocks", 5, "number of MAF blocks or coupling layers")
	fs.BoolVar(&f.actnorm, "actnorm", false, "an ActNorm layer before every block (per-feature affine, initialised from the first training events, stored in the model)")
	fs.BoolVar(&f.lu, "lu", false, "an LU-decomposed invertible linear layer before every block (mixes all features; log-det = sum log diag U)")
	fs.StringVar(&f.hidden, "hidden", "128,128", "hidden layer sizes of each conditioner")
	fs.StringVar(&f.act, "activation", "tanh", "conditioner activation: tanh, relu, elu or silu (relu extrapolates linearly into the tails; tanh gave better held-out densities on HIGGS)")
	fs.StringVar(&f.perm, "permutation", "reverse", "MAF feature order between blocks: reverse or random")
	fs.StringVar(&f.mask, "mask", "alternating", "RealNVP coupling masks: alternating or random")
	fs.IntVar(&f.epochs, "epochs", 200, "maximum number of epochs (at least 1)")
	fs.IntVar(&f.batch, "batch", 0, "mini-batch size; 0 (the default) means automatic: 512, or smaller for small samples to keep ~25 steps per epoch")
	fs.Float64Var(&f.lr, "lr", 1e-3, "Adam learning rate (positive)")
	fs.StringVar(&f.sched, "schedule", "cosine", "learning-rate schedule: constant, cosine or step")
	fs.Float64Var(&f.wd, "weight-decay", 0, "decoupled weight decay (AdamW), >= 0")
	fs.Float64Var(&f.clip, "clip", 5, "global gradient-norm bound; 0 disables clipping")
	fs.IntVar(&f.pat, "patience", 20, "stop after this many epochs without a better validation loss; 0 disables early stopping")
	fs.Float64Var(&f.valFrac, "val-fraction", 0.2, "fraction of events held out for validation and early stopping, in [0, 1); 0 trains on every event without validation or early stopping and keeps the last weights")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed (split, initial weights, shuffling, dequantization)")
	fs.StringVar(&f.disc, "discrete", "", "columns to treat as discrete (default: auto-detected, at most 10 distinct values)")
	fs.StringVar(&f.cont, "continuous", "", "columns never to treat as discrete")
	fs.StringVar(&f.periods, "periodic", "", "angle columns scaled on the fixed range [-pi, pi] instead of their training range (the UCI HIGGS phi's are rescaled to about +-1.74, so they are not periodic in [-pi, pi])")
	fs.Float64Var(&f.margin, "margin", 0, "widen each continuous column's training range by this fraction of its width on both sides, >= 0; 0 (the default) widens by the spacing of its 10 most extreme training values")
	fs.StringVar(&f.scaling, "scaling", preprocess.ScalingAuto, "map of continuous columns: auto (per column the better of logit and asinh by held-out likelihood), asinh (a Johnson SU marginal per column; log-based for columns never negative), logit (the seed talk's min-max/clip/logit on the widened range) or seed (the seed's recipe on the exact training range); every choice maps every real value")
	fs.IntVar(&f.members, "ensemble", 1, "train this many flows (initial-weight and shuffling seeds --seed, --seed+1, ...; same split and scaling) into one model whose density is the mean of theirs and whose samples come from a member picked at random per event")
	fs.StringVar(&f.unbound, "unbounded", "", "columns always mapped by plain asinh, never log-based or logit")
}

// check validates the flags that need no data: every value that is
// meaningless (zero, negative, NaN or infinite where the help says it must
// not be) is a usage error naming the flag.
func (f *fitFlags) check() error {
	switch {
	case f.epochs < 1:
		return usagef("--epochs %d: want at least 1", f.epochs)
	case f.batch < 0:
		return usagef("--batch %d: want a positive size, or 0 for automatic", f.batch)
	case !positive(f.lr):
		return usagef("--lr %g: want a positive, finite learning rate", f.lr)
	case !nonNegative(f.wd):
		return usagef("--weight-decay %g: want a finite value >= 0", f.wd)
	case !nonNegative(f.clip):
		return usagef("--clip %g: want a finite bound >= 0 (0 disables clipping)", f.clip)
	case f.pat < 0:
		return usagef("--patience %d: want >= 0 (0 disables early stopping)", f.pat)
	case !(f.valFrac >= 0 && f.valFrac < 1):
		return usagef("--val-fraction %g: want 0 <= f < 1", f.valFrac)
	case !nonNegative(f.margin):
		return usagef("--margin %g: want a finite fraction >= 0", f.margin)
	case f.blocks < 1:
		return usagef("--blocks %d: want at least 1", f.blocks)
	case f.members < 1:
		return usagef("--ensemble %d: want at least 1 flow", f.members)
	}
	switch f.scaling {
	case preprocess.ScalingAsinh, preprocess.ScalingLogit, preprocess.ScalingSeed, preprocess.ScalingAuto:
	default:
		return usagef("--scaling %q: want auto, asinh, logit or seed", f.scaling)
	}
	if _, err := flow.NewRQSpline(f.bins, f.bound); err != nil {
		return usagef("--bins/--tail-bound: %v", err)
	}
	if _, err := nn.ScheduleByName(f.sched, f.lr, 1); err != nil {
		return usagef("--schedule: %v", err)
	}
	// A column named in two of the kind lists: caught here, before reading.
	seen := map[string]string{}
	for _, l := range []struct{ flag, list string }{{"discrete", f.disc}, {"continuous", f.cont}, {"periodic", f.periods}, {"unbounded", f.unbound}} {
		for _, c := range splitList(l.list) {
			prev, dup := seen[c]
			// --continuous (never discrete) and --unbounded (its map) agree.
			compatible := (prev == "continuous" && l.flag == "unbounded") || (prev == "unbounded" && l.flag == "continuous")
			if dup && prev != l.flag && !compatible {
				return usagef("column %q is in both --%s and --%s", c, prev, l.flag)
			}
			seen[c] = l.flag
		}
	}
	if _, err := f.spec(); err != nil {
		return err
	}
	return nil
}

// spec is the flow architecture the flags ask for (Dim set once the data
// say how many features there are).
func (f *fitFlags) spec() (flow.Spec, error) {
	hidden, err := parseInts("hidden", f.hidden)
	if err != nil {
		return flow.Spec{}, err
	}
	spec := flow.Spec{Kind: f.kind, Blocks: f.blocks, Hidden: hidden, Activation: f.act, Permutation: f.perm, Mask: f.mask, Seed: f.seed,
		ActNorm: f.actnorm, LU: f.lu}
	if f.kind == "nsf" || f.kind == "nsf-coupling" {
		spec.Bins, spec.TailBound = f.bins, f.bound
	}
	check := spec
	check.Dim = 2 // checked for real once the data say how many features there are
	if err := check.Validate(); err != nil {
		return flow.Spec{}, usagef("%v", err)
	}
	return spec, nil
}

// config is the optimisation the flags ask for.
func (f *fitFlags) config() train.Config {
	return train.Config{Epochs: f.epochs, Batch: f.batch, LR: f.lr, Schedule: f.sched, WeightDecay: f.wd, ClipNorm: f.clip, Patience: f.pat, Seed: f.seed}
}

// preprocess is the feature scaling the flags ask for.
func (f *fitFlags) preprocess() preprocess.Options {
	return preprocess.Options{Discrete: splitList(f.disc), Continuous: splitList(f.cont), Periodic: splitList(f.periods), Margin: f.margin,
		Scaling: f.scaling, Unbounded: splitList(f.unbound)}
}

// checkColumns refuses, as a usage error, a column of the scaling flags
// (--discrete, --continuous, --periodic, --unbounded) that is not one of
// the features the flow models.
func (f *fitFlags) checkColumns(features []string) error {
	for _, l := range []struct{ flag, list string }{{"discrete", f.disc}, {"continuous", f.cont}, {"periodic", f.periods}, {"unbounded", f.unbound}} {
		for _, c := range splitList(l.list) {
			if !slices.Contains(features, c) {
				return usagef("--%s %s: not a feature (the features: %s)", l.flag, c, strings.Join(features, ", "))
			}
		}
	}
	return nil
}
