package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/model"
	"hepflow/nn/blas"
	"hepflow/preprocess"
)

// ModelOptions configures FitModel.
type ModelOptions struct {
	// Spec is the flow architecture; its Dim is set from the table.
	Spec flow.Spec
	// Config drives the optimisation; Config.Seed also drives the split and
	// the dequantization noise.
	Config Config
	// ValFraction of the events is held out for validation and early
	// stopping, in [0, 1); 0 trains on every event without validation (no
	// early stopping, the last weights are kept).
	ValFraction float64
	// Preprocess configures the feature scaling fitted on the training split.
	Preprocess preprocess.Options
	// Gemm is the matrix-multiply backend.
	Gemm blas.Gemm
	// Workers spreads each batch over this many goroutines (0 means 1); give
	// a single-threaded Gemm when it is more than 1.
	Workers int
	// Context names the columns of the table to condition on: the model is
	// then p(x | context) of the other columns (see model.ContextColumn);
	// empty for an unconditional model.
	Context []string
	// Data is recorded in the model file.
	Data model.DataInfo
	// Logger receives the warnings about the data (also in Result.Warnings)
	// as they are found, before training starts; nil discards them.
	Logger *slog.Logger
	// Ensemble is the number K of flows to train into one ensemble model (0
	// or 1: a single flow): the same architecture, split, scaling and
	// context, member k with initial-weight seed Spec.Seed+k and shuffling
	// seed Config.Seed+k, trained one after the other. See FitModel.
	Ensemble int
	// OnMember, when set, is called before each member of an ensemble
	// starts training (member counts from 0); Config.Progress reports its
	// epochs. Config.Logger's lines carry member=k/K (counting from 1).
	OnMember func(member, members int)
	// Checkpoints, when set, receives the run's state at the end of every
	// epoch (and each finished member's weights), and with Resume set
	// continues the run it holds: bit for bit the uninterrupted run's
	// model, given the same table, options and Workers. A checkpoint that
	// cannot be written is a warning on Logger, and the run goes on.
	Checkpoints *CheckpointDir
}

// Result is a trained model with figures in physical units.
type Result struct {
	Model   *model.Model `json:"-"` // the file holds it already
	Summary Summary      `json:"training"`
	// ValNLL is the weighted mean -log p(x) of the validation events in the
	// units of the input file (nats/event), over every validation event that
	// has a density (all but ValUnseenLevel); NaN (null) without validation.
	ValNLL Nats `json:"val_nll_physical"`
	// TrainNLL is the same over the training events.
	TrainNLL Nats `json:"train_nll_physical"`
	// ValUnseenLevel counts validation events with a discrete value never
	// seen in training: mass zero, left out of ValNLL and early stopping.
	ValUnseenLevel int `json:"val_unseen_level"`
	// Warnings about the training data: extreme values, dropped constant columns.
	Warnings []string `json:"warnings,omitempty"`
	// Members of an ensemble (nil for a single flow), every member trained,
	// in order; TrainNLL, ValNLL and Summary are then the ensemble's.
	Members []MemberResult `json:"members,omitempty"`
}

// FitModel splits tab into training and validation events, fits the feature
// scaling on the training split, trains a flow on the scaled events and
// returns the model in physical units. weights (nil for unit weights) are
// per-row event weights.
//
// Columns with a single value in the training split are dropped from the
// flow with a warning and recorded as model constants. If training stops
// early (see Fit and StoppedError) with weights worth keeping, the model
// with the best weights so far is returned together with the
// *StoppedError, so that callers can still save it; otherwise no model.
//
// With opt.Ensemble = K > 1 it trains K flows on the same split and
// scaling (see ModelOptions.Ensemble) into one ensemble model (see
// model.NewEnsemble); Result.Members describes each member. If a member's
// run stops early, no further member is trained and the model holds the
// members finished before it, plus the stopped one when its weights are
// worth keeping (Kept) and, with validation events, it lowers the
// ensemble's validation NLL (or there is no finished member); the
// *StoppedError (wrapped, naming the member) has Kept set when any member
// is kept.
func FitModel(ctx context.Context, tab *data.Table, weights []float64, opt ModelOptions) (*Result, error) {
	own := &data.Table{Columns: tab.Columns, Data: slices.Clone(tab.Data)}
	return FitEvents(ctx, data.CompactOf(own), weights, opt)
}

// FitEvents is FitModel on events held in a Compact (see
// data.ReadWeighted), which it reorders (into the split's order): beside
// them it keeps only the flow's float32 inputs and a few numbers per event,
// so a full-size sample trains in about the memory of its float32 values
// twice. The passes over the events before training use opt.Workers
// goroutines.
func FitEvents(ctx context.Context, tab *data.Compact, weights []float64, opt ModelOptions) (*Result, error) {
	rows := tab.Rows()
	if rows < 2 {
		return nil, fmt.Errorf("need at least 2 events to train, got %d", rows)
	}
	if weights != nil && len(weights) != rows {
		return nil, fmt.Errorf("%d weights for %d events", len(weights), rows)
	}
	if opt.Ensemble < 0 {
		return nil, fmt.Errorf("ensemble of %d flows: want at least 1 (0 also means 1)", opt.Ensemble)
	}
	if !(opt.ValFraction >= 0 && opt.ValFraction < 1) {
		return nil, fmt.Errorf("validation fraction %g: want 0 <= f < 1", opt.ValFraction)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rng := rand.New(rand.NewPCG(opt.Config.Seed, 0xda7a))
	perm := rng.Perm(rows)
	nv := int(math.Round(opt.ValFraction * float64(rows)))
	if opt.ValFraction > 0 {
		nv = max(nv, 1)
	}
	if nv >= rows {
		return nil, fmt.Errorf("validation fraction %g of %d events leaves no training events", opt.ValFraction, rows)
	}
	nt := rows - nv
	res := &Result{}
	warn := func(msg string) {
		res.Warnings = append(res.Warnings, msg)
		log.Warn(msg)
	}

	ctxIdx, featIdx, err := splitContext(tab.Columns, opt.Context)
	if err != nil {
		return nil, err
	}
	nc := len(ctxIdx)
	workers := max(opt.Workers, 1)
	// The checkpoint's fingerprint and the inspection see the events in
	// file order (the inspection's row numbers are the user's).
	var digest string
	if opt.Checkpoints != nil {
		digest = dataDigest(tab, weights)
	}
	ins := preprocess.NewInspector(rows, tab.Columns)
	_ = tab.Range(func(x []float64) error { ins.Add(x); return nil })
	inspected := ins.Warnings(func(j int, buf []float64) []float64 { return tab.Column(j, 0, rows, buf) })
	// Then the rows go into split order, training events (shuffled) first:
	// every later pass over a split reads memory in order.
	order := make([]int, rows)
	copy(order, perm[nv:])
	copy(order[nt:], perm[:nv])
	perm = nil
	if err := tab.Permute(order); err != nil {
		return nil, err
	}
	var w []float64
	if weights != nil {
		w = make([]float64, rows)
		for i, r := range order {
			w[i] = weights[r]
		}
	}
	order = nil
	// Constant columns (after --where, in the training split) are dropped.
	keepCols, consts := constantColumns(tab, nt, featIdx)
	if len(keepCols) == 0 {
		return nil, fmt.Errorf("every column has a single value in the %d training events: nothing to learn", nt)
	}
	for _, c := range consts {
		warn(fmt.Sprintf("column %q has the single value %g in all %d training events: not modelled, and written as that constant when sampling", c.Name, c.Value, nt))
	}
	cols := make([]string, len(keepCols))
	for k, j := range keepCols {
		cols[k] = tab.Columns[j]
	}
	dm := len(cols)
	// Inspect every event, validation ones too: an absurd value there
	// ruins the validation NLL as surely as one in training.
	for _, w := range inspected {
		if slices.Contains(cols, w.Column) {
			warn(fmt.Sprintf("column %q, input event %d (counting from 1, after any --where): value %g %s", w.Column, w.Row+1, w.Value, w.Msg))
		}
	}
	evt := events{src: tab, lo: 0, n: nt, feat: keepCols, ctx: ctxIdx}
	evv := events{src: tab, lo: nt, n: nv, feat: keepCols, ctx: ctxIdx}
	if w != nil {
		evt.w, evv.w = w[:nt], w[nt:]
	}
	ct := evt.context()
	ctxCols, err := model.FitContext(opt.Context, ct, nt)
	if err != nil {
		return nil, err
	}
	// The training set: the scaling fitted and the continuous columns
	// mapped in one go, the dequantization noise of discrete columns
	// redrawn every epoch from (seed, epoch).
	tr := Dataset{X: make([]float32, nt*dm), W: evt.w, LogDet: make([]float64, nt), Rows: nt, Dim: dm,
		C: scaleContext(ctxCols, ct, nt), Ctx: nc}
	ct = nil
	ldCont := make([]float64, nt)
	trainCol := func(j int, buf []float64) []float64 { return evt.column(keepCols[j], buf) }
	scaler, err := preprocess.FitTransform(nt, cols, trainCol, opt.Preprocess, workers, tr.X, ldCont)
	if err != nil {
		return nil, fmt.Errorf("fit feature scaling: %w", err)
	}
	// The noise is drawn in event order and applied in parallel: the bits
	// of one sequential Dequantize with the epoch's rng.
	perRow := scaler.NoisePerRow()
	// The redraw reads the discrete columns only.
	evd := evt
	evd.feat = nil
	for _, j := range scaler.DiscreteColumns() {
		evd.feat = append(evd.feat, keepCols[j])
	}
	evd.ctx = nil
	dequantize := func(epoch int, x []float32, ld []float64) error {
		copy(ld, ldCont)
		if perRow == 0 {
			return nil
		}
		rng := rand.New(rand.NewPCG(opt.Config.Seed, 0xde9a0000+uint64(epoch)))
		draw := func(u []float64) { scaler.DrawNoise(u, rng) }
		return evd.eachParallel(workers, perRow, draw, func(start, n int, levels, _, _, u []float64) error {
			return scaler.DequantizeLevels(x[start*dm:(start+n)*dm], levels, n, ld[start:start+n], u)
		})
	}
	if err := dequantize(1, tr.X, tr.LogDet); err != nil {
		return nil, fmt.Errorf("scale training events: %w", err)
	}
	if scaler.HasDiscrete() {
		tr.Redraw = dequantize
	}
	// Validation events with a discrete value never seen in training have
	// mass zero under any model with this scaling: left out and counted.
	// So are those with a context value that is not finite.
	kept := make([][]int, (nv+evalChunk-1)/evalChunk)
	err = evv.eachParallel(workers, 0, nil, func(start, n int, x, c, _, _ []float64) error {
		var keep []int
		for r := range n {
			if !finiteAll(c[r*nc : (r+1)*nc]) {
				continue
			}
			if err := scaler.Check(x[r*dm:(r+1)*dm], 1); err != nil {
				var de *preprocess.DomainError
				if !errors.As(err, &de) {
					return err
				}
				continue
			}
			keep = append(keep, start+r)
		}
		kept[start/evalChunk] = keep
		return nil
	})
	if err != nil {
		return nil, err
	}
	keep := slices.Concat(kept...)
	evv = evv.subset(keep)
	nk := evv.rows()
	val := Dataset{X: make([]float32, nk*dm), W: evv.w, LogDet: make([]float64, nk), Rows: nk, Dim: dm, Ctx: nc}
	cv := evv.context()
	val.C = scaleContext(ctxCols, cv, nk)
	drawVal := func(u []float64) { scaler.DrawNoise(u, rng) }
	err = evv.eachParallel(workers, perRow, drawVal, func(start, n int, x, _, _, u []float64) error {
		return scaler.ToLatentNoise(val.X[start*dm:(start+n)*dm], x, n, val.LogDet[start:start+n], u)
	})
	if err != nil {
		return nil, fmt.Errorf("scale validation events: %w", err)
	}
	res.ValUnseenLevel = nv - nk
	log.Info("events scaled", "train", nt, "validation", nk, "features", dm, "context", nc,
		"stored_as", map[bool]string{true: "float32", false: "float64"}[tab.Float32()], "stored_mib", tab.Bytes()>>20)
	if tab.Bytes() >= BigSample {
		// The passes above left a few hundred MB of scratch (column
		// copies, chunk buffers) that the collector, its goal twice the
		// live heap, would keep until the heap doubled: hand it back
		// before the hours of training, which allocate almost nothing.
		debug.FreeOSMemory()
	}

	spec := opt.Spec
	spec.Dim, spec.Context = dm, nc
	info := model.Info{Columns: cols, Spec: spec, Data: opt.Data, Seed: opt.Config.Seed, Constants: consts, Context: ctxCols}
	info.Data.Events = rows
	if ck := opt.Checkpoints; ck != nil {
		gemm := ""
		if opt.Gemm != nil {
			gemm = opt.Gemm.Name()
		}
		c := opt.Config
		run := RunInfo{Spec: spec, Epochs: c.Epochs, Batch: c.Batch, LR: c.LR, Schedule: c.Schedule, WeightDecay: c.WeightDecay,
			ClipNorm: c.ClipNorm, Patience: c.Patience, MaxBadSteps: c.MaxBadSteps, Seed: c.Seed, ValFraction: opt.ValFraction,
			Preprocess: opt.Preprocess, Context: opt.Context, Workers: max(opt.Workers, 1), Gemm: gemm, Ensemble: max(opt.Ensemble, 1),
			Columns: tab.Columns, Events: rows, Data: digest}
		warning, err := ck.start(run)
		if err != nil {
			return nil, err
		}
		if warning != "" {
			warn(warning)
		}
	}
	// trainMember builds, initialises and trains flow k (0 for a single one).
	trainMember := func(k int, spec flow.Spec, cfg Config) (*flow.Flow, Summary, error) {
		f, err := flow.Build(spec, opt.Gemm)
		if err != nil {
			return nil, Summary{}, err
		}
		if err := f.SetWorkers(max(opt.Workers, 1)); err != nil {
			return nil, Summary{}, err
		}
		// Data-initialised layers (ActNorm) start from the first training
		// events (in shuffled order), once; a loaded model is never re-initialised.
		ni := min(nt, initRows)
		f.InitFromData(tr.X[:ni*dm], tr.C[:ni*nc], ni)
		if ck := opt.Checkpoints; ck != nil {
			if ck.Resume {
				c, err := ck.load(k)
				if err != nil {
					return nil, Summary{}, err
				}
				cfg.Resume = c
				if c != nil {
					log.Info("resuming", "checkpoint", ck.memberFile(k), "after_epoch", c.Epoch, "finished", c.Done)
				}
			}
			cfg.Checkpoint = func(c *Checkpoint) error {
				if err := ck.save(k, c); err != nil {
					log.Warn("checkpoint not written; the run goes on, but cannot resume from this epoch", "epoch", c.Epoch, "err", err)
				}
				return nil
			}
		}
		sum, err := Fit(ctx, f, tr, val, cfg)
		return f, sum, err
	}
	if opt.Ensemble > 1 {
		ev := evalSets{train: evt, val: evv, seed: opt.Config.Seed}
		refill := func() error {
			if !scaler.HasDiscrete() {
				return nil
			}
			return dequantize(1, tr.X, tr.LogDet)
		}
		return fitEnsemble(res, info, scaler, opt, log, ev, refill, trainMember)
	}
	f, sum, fitErr := trainMember(0, spec, opt.Config)
	if st := Stopped(fitErr); fitErr != nil && (st == nil || !st.Kept) {
		return nil, fitErr
	}
	m, err := model.New(info, scaler, f)
	if err != nil {
		return nil, err
	}
	res.Model, res.Summary = m, sum
	if res.TrainNLL, err = physicalNLL(m, evt, rng); err != nil {
		return nil, err
	}
	res.ValNLL = Nats(math.NaN())
	if nk > 0 {
		if res.ValNLL, err = physicalNLL(m, evv, rng); err != nil {
			return nil, err
		}
	}
	m.Info.Training, err = json.Marshal(res)
	if err != nil {
		return nil, err
	}
	return res, fitErr
}

// BigSample is the size of a sample (bytes of its values) from which
// FitEvents returns its scratch memory to the system before training; the
// train command also has the collector run early from there.
const BigSample = 256 << 20

// initRows is how many training events initialise ActNorm layers.
const initRows = 2048

// constantColumns splits the table's columns cols into those with more than
// one value over its first rows (their indices) and those with a single one
// (Index: the position among cols).
func constantColumns(tab *data.Compact, rows int, cols []int) (keep []int, consts []model.Constant) {
	for pos, j := range cols {
		v0 := tab.At(0, j)
		same := true
		for r := 1; r < rows; r++ {
			if tab.At(r, j) != v0 {
				same = false
				break
			}
		}
		if same && !math.IsNaN(v0) {
			consts = append(consts, model.Constant{Name: tab.Columns[j], Value: v0, Index: pos})
		} else {
			keep = append(keep, j)
		}
	}
	return keep, consts
}

// splitContext returns the indices of the context columns named ctx and of
// the other columns, in table order.
func splitContext(cols, ctx []string) (ctxIdx, feat []int, err error) {
	for _, name := range ctx {
		j := slices.Index(cols, name)
		switch {
		case j < 0:
			return nil, nil, fmt.Errorf("context column %q is not in the data (columns: %v)", name, cols)
		case slices.Contains(ctxIdx, j):
			return nil, nil, fmt.Errorf("context column %q given twice", name)
		}
		ctxIdx = append(ctxIdx, j)
	}
	for j := range cols {
		if !slices.Contains(ctxIdx, j) {
			feat = append(feat, j)
		}
	}
	if len(feat) == 0 {
		return nil, nil, fmt.Errorf("every column is context: nothing left to model")
	}
	return ctxIdx, feat, nil
}

// scaleContext returns rows of context as the flow sees it (nil without).
func scaleContext(cs []model.ContextColumn, c []float64, rows int) []float32 {
	if len(cs) == 0 {
		return nil
	}
	k := len(cs)
	out := make([]float32, rows*k)
	for i, v := range c[:rows*k] {
		out[i] = cs[i%k].Scale(v)
	}
	return out
}

func finiteAll(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
