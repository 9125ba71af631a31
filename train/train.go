// Package train fits a flow by (weighted) maximum likelihood: shuffled
// mini-batches, Adam, a learning-rate schedule, gradient clipping, a
// validation split with early stopping that keeps the best weights, and
// progress through a callback. A run never loses its work: a step with a
// non-finite loss or gradient is skipped and counted, and a run that is
// interrupted or diverges ends with the best weights so far in the flow and
// a *StoppedError saying why.
package train

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"hepflow/flow"
	"hepflow/nn"
)

// Dataset is a batch of events in the flow's input space.
type Dataset struct {
	X []float32 // rows x Dim, row-major
	W []float64 // per-event weights; nil means 1
	// LogDet is per row the log|det| of the Jacobian of the map from the
	// events' physical units to X (the preprocessing); nil means 0. Every NLL
	// Fit reports is the weighted mean of -log p(X) - LogDet: in physical
	// units when LogDet is the preprocessing's, as FitModel sets it.
	LogDet []float64
	Rows   int
	Dim    int
	// C holds the context of a conditional flow, rows x Ctx (nil and 0 for
	// an unconditional one): event r is fitted as p(X_r | C_r).
	C   []float32
	Ctx int
	// Redraw, when set, is called before every epoch from the second on to
	// refresh the random part of X and LogDet in place: new dequantization
	// noise for the discrete columns each epoch. It must be deterministic
	// given the epoch, so runs are reproducible. Epoch 1 trains on X as
	// given: the caller fills it with epoch 1's noise (FitModel does), so
	// a Dataset reused for a second Fit starts from the last epoch's noise
	// unless refilled.
	Redraw func(epoch int, x []float32, logdet []float64) error
}

// Config sets up a training run. Zero values of Epochs, Batch, LR and
// MaxBadSteps take the defaults (Defaults, AutoBatch); negative or NaN
// values are errors.
type Config struct {
	Epochs      int
	Batch       int // 0: AutoBatch
	LR          float64
	Schedule    string  // constant, cosine or step
	WeightDecay float64 // decoupled (AdamW); >= 0
	ClipNorm    float64 // global gradient norm bound; 0 disables
	Patience    int     // epochs without validation improvement before stopping; 0 disables
	// MaxBadSteps is how many consecutive steps with a non-finite loss or
	// gradient are skipped before the run stops as diverged (0: DefaultMaxBadSteps).
	MaxBadSteps int
	Seed        uint64
	// Progress, when set, is called after every epoch.
	Progress func(Epoch)
	// Logger receives one line per epoch when set.
	Logger *slog.Logger
	// Checkpoint, when set, is called with the run's state at the end of
	// every epoch that completed (not after the epoch that triggers early
	// stopping, nor a partial one), and once more with Done set when the
	// run finishes without a StoppedError. An error from it stops the run
	// (a StoppedError with Reason CheckpointFailed).
	Checkpoint func(*Checkpoint) error
	// Resume, when set, continues the run it was saved from instead of
	// starting afresh: with the same flow, data and configuration the
	// result is bit for bit that of the uninterrupted run. A Done
	// checkpoint puts its final weights in the flow and returns its summary.
	Resume *Checkpoint
}

// DefaultMaxBadSteps is Config.MaxBadSteps when zero.
const DefaultMaxBadSteps = 20

// Defaults are hepflow's training defaults. Batch 0 means AutoBatch.
func Defaults() Config {
	return Config{Epochs: 100, LR: 1e-3, Schedule: "cosine", ClipNorm: 5, Patience: 10, MaxBadSteps: DefaultMaxBadSteps}
}

// AutoBatch is the default mini-batch size for rows training events: 512 (the
// standard benchmark's) for large samples, and for small ones the largest
// power of two that still gives about 25 steps per epoch, at least 32. With
// 512 on the 1,643 training events of the HIGGS sample's background there are
// 3 steps per epoch and the held-out NLL was 7.48; with 64 it was 7.12.
func AutoBatch(rows int) int {
	b := 512
	for b > 32 && rows/b < 25 {
		b /= 2
	}
	return b
}

// Epoch is the progress report of one epoch. NLLs are in the units of the
// Dataset's LogDet (physical units under FitModel); ValNLL is NaN (JSON
// null) without validation events.
type Epoch struct {
	Epoch    int     `json:"epoch"`
	Epochs   int     `json:"epochs"`
	TrainNLL Nats    `json:"train_nll"`
	ValNLL   Nats    `json:"val_nll"`
	Best     bool    `json:"best"`
	LR       float64 `json:"lr"`
	Skipped  int     `json:"skipped_steps"`
	Seconds  float64 `json:"seconds"`
}

// Summary describes a finished (or stopped) run; the flow holds the best
// weights. NLLs are in the units of the Dataset's LogDet.
type Summary struct {
	Epochs       int     `json:"epochs"`
	BestEpoch    int     `json:"best_epoch"`
	TrainNLL     Nats    `json:"train_nll"`
	ValNLL       Nats    `json:"val_nll"`
	Steps        int     `json:"steps"`
	SkippedSteps int     `json:"skipped_steps"`
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_second"`
	StoppedEarly bool    `json:"stopped_early"`
	// Stopped is set when the run ended early for another reason than early
	// stopping (see StoppedError).
	Stopped     StopReason `json:"stopped,omitempty"`
	TrainEvents int        `json:"train_events"`
	ValEvents   int        `json:"val_events"`
}

// Split shuffles d with rng and returns (train, validation) with a fraction
// frac of the rows in validation (at least one row each when frac > 0).
// LogDet is split with the rows; Redraw is not carried over.
func Split(d Dataset, frac float64, rng *rand.Rand) (Dataset, Dataset, error) {
	if !(frac >= 0 && frac < 1) {
		return Dataset{}, Dataset{}, fmt.Errorf("validation fraction %g: want 0 <= f < 1", frac)
	}
	nv := int(math.Round(frac * float64(d.Rows)))
	if frac > 0 {
		nv = max(nv, 1)
	}
	if nv >= d.Rows {
		return Dataset{}, Dataset{}, fmt.Errorf("%d events are too few to hold out %g for validation", d.Rows, frac)
	}
	perm := rng.Perm(d.Rows)
	take := func(idx []int) Dataset {
		out := Dataset{X: make([]float32, len(idx)*d.Dim), Rows: len(idx), Dim: d.Dim}
		if d.W != nil {
			out.W = make([]float64, len(idx))
		}
		if d.LogDet != nil {
			out.LogDet = make([]float64, len(idx))
		}
		for i, r := range idx {
			copy(out.X[i*d.Dim:(i+1)*d.Dim], d.X[r*d.Dim:(r+1)*d.Dim])
			if d.W != nil {
				out.W[i] = d.W[r]
			}
			if d.LogDet != nil {
				out.LogDet[i] = d.LogDet[r]
			}
		}
		return out
	}
	return take(perm[nv:]), take(perm[:nv]), nil
}

// sums returns the total weight and the weighted sum of LogDet.
func sums(d Dataset) (w, ld float64) {
	for r := 0; r < d.Rows; r++ {
		wr := 1.0
		if d.W != nil {
			wr = d.W[r]
		}
		w += wr
		if d.LogDet != nil {
			ld += wr * d.LogDet[r]
		}
	}
	return w, ld
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// check applies the defaults and validates the configuration.
func (cfg *Config) check(trainRows int) error {
	def := Defaults()
	if cfg.Epochs == 0 {
		cfg.Epochs = def.Epochs
	}
	if cfg.Batch == 0 {
		cfg.Batch = AutoBatch(trainRows)
	}
	if cfg.LR == 0 {
		cfg.LR = def.LR
	}
	if cfg.MaxBadSteps == 0 {
		cfg.MaxBadSteps = def.MaxBadSteps
	}
	switch {
	case cfg.Epochs < 0:
		return fmt.Errorf("epochs %d: must be positive", cfg.Epochs)
	case cfg.Batch < 1:
		return fmt.Errorf("batch %d: must be positive", cfg.Batch)
	case !(cfg.LR > 0) || math.IsInf(cfg.LR, 0):
		return fmt.Errorf("learning rate %g: must be positive and finite", cfg.LR)
	case !(cfg.WeightDecay >= 0) || math.IsInf(cfg.WeightDecay, 0):
		return fmt.Errorf("weight decay %g: must be >= 0 and finite", cfg.WeightDecay)
	case !(cfg.ClipNorm >= 0) || math.IsInf(cfg.ClipNorm, 0):
		return fmt.Errorf("gradient clip %g: must be >= 0 (0 disables) and finite", cfg.ClipNorm)
	case cfg.Patience < 0:
		return fmt.Errorf("patience %d: must be >= 0 (0 disables)", cfg.Patience)
	case cfg.MaxBadSteps < 0:
		return fmt.Errorf("max bad steps %d: must be positive", cfg.MaxBadSteps)
	}
	return nil
}

// Fit trains f on tr, monitoring val (which may have zero rows: then the last
// weights are kept and no early stopping happens).
//
// A step whose loss or gradient is not finite is skipped (the weights and
// the optimizer state are left as they were) and counted; after
// Config.MaxBadSteps such steps in a row the run stops as diverged. When the
// context is cancelled the run stops after the current step. Either way
// the flow keeps the best weights seen (the current ones are evaluated too)
// and Fit returns the summary with a *StoppedError; if not a single step
// succeeded there is nothing to keep, and the summary has Steps == 0.
func Fit(ctx context.Context, f *flow.Flow, tr, val Dataset, cfg Config) (Summary, error) {
	if err := cfg.check(tr.Rows); err != nil {
		return Summary{}, err
	}
	switch {
	case tr.Rows < 1:
		return Summary{}, errors.New("no training events")
	case tr.Dim != f.Dim() || (val.Rows > 0 && val.Dim != f.Dim()):
		return Summary{}, fmt.Errorf("data have %d features, the flow %d", tr.Dim, f.Dim())
	case tr.Ctx != f.ContextDim() || (val.Rows > 0 && val.Ctx != f.ContextDim()):
		return Summary{}, fmt.Errorf("data have %d context columns, the flow takes %d", tr.Ctx, f.ContextDim())
	case len(tr.C) < tr.Rows*tr.Ctx || len(val.C) < val.Rows*val.Ctx:
		return Summary{}, fmt.Errorf("context has %d values for %d events of %d context columns", len(tr.C), tr.Rows, tr.Ctx)
	case tr.LogDet != nil && len(tr.LogDet) < tr.Rows, val.LogDet != nil && len(val.LogDet) < val.Rows:
		return Summary{}, fmt.Errorf("LogDet shorter than the events")
	}
	wTrain, _ := sums(tr)
	wVal, ldVal := sums(val)
	if !(wTrain > 0) {
		return Summary{}, fmt.Errorf("training weights sum to %g: weighted maximum likelihood needs a positive total", wTrain)
	}
	if val.Rows > 0 && !(wVal > 0) {
		return Summary{}, fmt.Errorf("validation weights sum to %g: need a positive total", wVal)
	}
	meanW := wTrain / float64(tr.Rows)
	batch := min(cfg.Batch, tr.Rows)
	stepsPerEpoch := tr.Rows / batch // the remainder of each shuffle is dropped, as torch's drop_last
	sched, err := nn.ScheduleByName(cfg.Schedule, cfg.LR, cfg.Epochs*stepsPerEpoch)
	if err != nil {
		return Summary{}, err
	}
	params := f.Params()
	opt := nn.NewAdam(params, cfg.LR, cfg.WeightDecay)
	st := &fitState{pcg: rand.NewPCG(cfg.Seed, 0x7a1), perm: make([]int, tr.Rows), best: math.Inf(1), initVal: math.Inf(1),
		sum: Summary{TrainEvents: tr.Rows, ValEvents: val.Rows, TrainNLL: Nats(math.NaN()), ValNLL: Nats(math.NaN())}}
	rng := rand.New(st.pcg)
	perm := st.perm
	for i := range perm {
		perm[i] = i
	}
	d, nc := tr.Dim, tr.Ctx
	xb := make([]float32, batch*d)
	var cb []float32
	if nc > 0 {
		cb = make([]float32, batch*nc)
	}
	var wb []float64
	if tr.W != nil {
		wb = make([]float64, batch)
	}
	norm := float64(batch) * meanW

	validate := func() Nats {
		if val.Rows == 0 {
			return Nats(math.NaN())
		}
		return Nats(f.NLL(val.X, val.C, val.W, val.Rows, wVal) - ldVal/wVal)
	}
	start := time.Now()
	var prior float64 // seconds spent before a resume
	first := 1
	if c := cfg.Resume; c != nil {
		if err := c.check(params, tr.Rows); err != nil {
			return Summary{}, fmt.Errorf("resume: %w", err)
		}
		if c.Done {
			nn.Restore(params, c.Params)
			return c.Summary, nil
		}
		if err := st.restore(c, params, opt); err != nil {
			return Summary{}, fmt.Errorf("resume: %w", err)
		}
		prior, first = c.Summary.Seconds, c.Epoch+1
	} else if v := validate(); v.Valid() {
		// The initial weights' validation loss: a run that stops (diverges)
		// without ever beating it has nothing worth keeping (Kept is false).
		st.initVal = float64(v)
	}
	if cfg.Logger != nil {
		// Where the run starts from, and when the first step is taken.
		cfg.Logger.Info("training starts", "val_nll", st.initVal, "train_events", tr.Rows, "val_events", val.Rows, "batch", batch, "steps_per_epoch", stepsPerEpoch)
	}
	sum := &st.sum
	elapsed := func() float64 { return prior + time.Since(start).Seconds() }
	var stop *StoppedError
	for ep := first; ep <= cfg.Epochs && stop == nil; ep++ {
		t0 := time.Now()
		if ep > 1 && tr.Redraw != nil {
			if err := tr.Redraw(ep, tr.X, tr.LogDet); err != nil {
				return *sum, fmt.Errorf("epoch %d: redraw the dequantization noise: %w", ep, err)
			}
		}
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		var lossSum float64
		good, skipped := 0, 0
		for s := 0; s < stepsPerEpoch; s++ {
			if err := ctx.Err(); err != nil {
				stop = &StoppedError{Reason: Interrupted, Epoch: ep, Step: sum.Steps, Err: err}
				break
			}
			idx := perm[s*batch : (s+1)*batch]
			var ldb float64
			for i, r := range idx {
				copy(xb[i*d:(i+1)*d], tr.X[r*d:(r+1)*d])
				copy(cb[i*nc:(i+1)*nc], tr.C[r*nc:(r+1)*nc])
				wr := 1.0
				if wb != nil {
					wb[i] = tr.W[r]
					wr = wb[i]
				}
				if tr.LogDet != nil {
					ldb += wr * tr.LogDet[r]
				}
			}
			nn.ZeroGrad(params)
			loss := f.NLLGrad(xb, cb, wb, batch, norm)
			gnorm := nn.ClipGradNorm(params, cfg.ClipNorm)
			if !finite(loss) || !finite(gnorm) {
				skipped++
				sum.SkippedSteps++
				if st.badRun++; st.badRun >= cfg.MaxBadSteps {
					stop = &StoppedError{Reason: Diverged, Epoch: ep, Step: sum.Steps,
						Err: fmt.Errorf("%d steps in a row had a non-finite loss or gradient (last: loss %g, gradient norm %g); try a lower --lr, a tighter --clip, or look for extreme values in the input", st.badRun, loss, gnorm)}
					break
				}
				continue
			}
			st.badRun = 0
			opt.LR = sched.LR(sum.Steps)
			opt.Step()
			sum.Steps++
			good++
			lossSum += loss - ldb/norm
		}
		if stop != nil && good == 0 {
			break // nothing new in this epoch to report
		}
		e := Epoch{Epoch: ep, Epochs: cfg.Epochs, TrainNLL: Nats(math.NaN()), LR: opt.LR, Skipped: skipped}
		if good > 0 {
			e.TrainNLL = Nats(lossSum / float64(good))
		}
		e.ValNLL = validate()
		if val.Rows > 0 {
			if e.ValNLL.Valid() && float64(e.ValNLL) < st.best {
				st.best, e.Best, st.bad = float64(e.ValNLL), true, 0
				st.bestW = nn.Snapshot(params)
				sum.BestEpoch = ep
			} else {
				st.bad++
			}
		} else {
			sum.BestEpoch = ep
		}
		e.Seconds = time.Since(t0).Seconds()
		sum.Epochs = ep
		sum.TrainNLL = e.TrainNLL
		if cfg.Progress != nil {
			cfg.Progress(e)
		}
		if cfg.Logger != nil {
			cfg.Logger.Info("epoch", "epoch", ep, "of", cfg.Epochs, "train_nll", float64(e.TrainNLL), "val_nll", float64(e.ValNLL),
				"best", e.Best, "lr", e.LR, "skipped_steps", skipped, "seconds", e.Seconds)
		}
		if stop == nil && cfg.Patience > 0 && val.Rows > 0 && st.bad >= cfg.Patience {
			sum.StoppedEarly = true
			break
		}
		if stop == nil && ep < cfg.Epochs && cfg.Checkpoint != nil {
			c, err := st.checkpoint(ep, params, opt, elapsed())
			if err == nil {
				err = cfg.Checkpoint(c)
			}
			if err != nil {
				stop = &StoppedError{Reason: CheckpointFailed, Epoch: ep, Step: sum.Steps, Err: err}
			}
		}
	}
	best, bestW := st.best, st.bestW
	if stop != nil && val.Rows > 0 && sum.Steps > 0 {
		// The weights at the stop may beat the last best epoch.
		if v := validate(); v.Valid() && float64(v) < best {
			best, bestW = float64(v), nn.Snapshot(params)
			sum.BestEpoch = stop.Epoch
		}
	}
	kept := sum.Steps > 0 && finiteParams(params)
	if val.Rows > 0 {
		kept = bestW != nil && (stop == nil || best < st.initVal)
		if stop == nil && !kept {
			stop = &StoppedError{Reason: Diverged, Epoch: sum.Epochs, Step: sum.Steps,
				Err: errors.New("no epoch had a finite validation loss; try a lower --lr or look for extreme values in the input")}
		}
	}
	if bestW != nil {
		nn.Restore(params, bestW)
		sum.ValNLL = Nats(best)
	}
	sum.Seconds = elapsed()
	if sum.Seconds > 0 {
		sum.EventsPerSec = float64(sum.Steps*batch) / sum.Seconds
	}
	if stop != nil {
		stop.Kept = kept
		sum.Stopped = stop.Reason
		return *sum, stop
	}
	if cfg.Checkpoint != nil {
		done := &Checkpoint{Epoch: sum.Epochs, Done: true, Summary: *sum, Params: nn.Snapshot(params)}
		if err := cfg.Checkpoint(done); err != nil {
			return *sum, &StoppedError{Reason: CheckpointFailed, Epoch: sum.Epochs, Step: sum.Steps, Err: err, Kept: true}
		}
	}
	return *sum, nil
}

// finiteParams reports whether every weight is finite.
func finiteParams(ps []*nn.Param) bool {
	for _, p := range ps {
		for _, v := range p.Value {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return false
			}
		}
	}
	return true
}
