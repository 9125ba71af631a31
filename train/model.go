package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

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
	// ValFraction of the events is held out for validation and early stopping.
	ValFraction float64
	// Preprocess configures the feature scaling fitted on the training split.
	Preprocess preprocess.Options
	// Gemm is the matrix-multiply backend.
	Gemm blas.Gemm
	// Workers spreads each batch over this many goroutines (0 means 1); give
	// a single-threaded Gemm when it is more than 1.
	Workers int
	// Data is recorded in the model file.
	Data model.DataInfo
}

// Result is a trained model with figures in physical units.
type Result struct {
	Model   *model.Model
	Summary Summary `json:"training"`
	// ValNLL is the weighted mean -log p(x) of the validation events in the
	// units of the input file (nats/event), over events inside the support.
	ValNLL float64 `json:"val_nll_physical"`
	// TrainNLL is the same over the training events.
	TrainNLL float64 `json:"train_nll_physical"`
	// ValOutside counts validation events outside the scaler's fitted support
	// (density zero); they are left out of ValNLL and of early stopping.
	ValOutside int `json:"val_outside_support"`
}

// FitModel splits tab into training and validation events, fits the feature
// scaling on the training split, trains a flow on the scaled events and
// returns the model in physical units. weights (nil for unit weights) are
// per-row event weights.
func FitModel(ctx context.Context, tab *data.Table, weights []float64, opt ModelOptions) (*Result, error) {
	rows, d := tab.Rows(), tab.Cols()
	if rows < 2 {
		return nil, fmt.Errorf("need at least 2 events to train, got %d", rows)
	}
	if weights != nil && len(weights) != rows {
		return nil, fmt.Errorf("%d weights for %d events", len(weights), rows)
	}
	rng := rand.New(rand.NewPCG(opt.Config.Seed, 0xda7a))
	perm := rng.Perm(rows)
	nv := int(math.Round(opt.ValFraction * float64(rows)))
	if opt.ValFraction > 0 {
		nv = max(nv, 1)
	}
	if opt.ValFraction < 0 || opt.ValFraction >= 1 || nv >= rows {
		return nil, fmt.Errorf("validation fraction %g of %d events leaves no training events", opt.ValFraction, rows)
	}
	gather := func(idx []int) ([]float64, []float64) {
		x := make([]float64, len(idx)*d)
		var w []float64
		if weights != nil {
			w = make([]float64, len(idx))
		}
		for i, r := range idx {
			copy(x[i*d:(i+1)*d], tab.Data[r*d:(r+1)*d])
			if w != nil {
				w[i] = weights[r]
			}
		}
		return x, w
	}
	xt, wt := gather(perm[nv:])
	xv, wv := gather(perm[:nv])
	nt := rows - nv

	scaler, err := preprocess.Fit(xt, nt, tab.Columns, opt.Preprocess)
	if err != nil {
		return nil, fmt.Errorf("fit feature scaling: %w", err)
	}
	tr := Dataset{X: make([]float32, nt*d), W: wt, Rows: nt, Dim: d}
	if err := scaler.ToLatent(tr.X, xt, nt, make([]float64, nt), rng); err != nil {
		return nil, fmt.Errorf("scale training events: %w", err)
	}
	// Validation events outside the training support have density zero under
	// any model with this scaling; keep them out of the loss and count them.
	var keep []int
	for r := 0; r < nv; r++ {
		if err := scaler.Check(xv[r*d:(r+1)*d], 1); err != nil {
			var de *preprocess.DomainError
			if !errors.As(err, &de) {
				return nil, err
			}
			continue
		}
		keep = append(keep, r)
	}
	xvIn := make([]float64, len(keep)*d)
	var wvIn []float64
	if wv != nil {
		wvIn = make([]float64, len(keep))
	}
	for i, r := range keep {
		copy(xvIn[i*d:(i+1)*d], xv[r*d:(r+1)*d])
		if wv != nil {
			wvIn[i] = wv[r]
		}
	}
	val := Dataset{X: make([]float32, len(keep)*d), W: wvIn, Rows: len(keep), Dim: d}
	if err := scaler.ToLatent(val.X, xvIn, len(keep), make([]float64, len(keep)), rng); err != nil {
		return nil, fmt.Errorf("scale validation events: %w", err)
	}

	spec := opt.Spec
	spec.Dim = d
	f, err := flow.Build(spec, opt.Gemm)
	if err != nil {
		return nil, err
	}
	if err := f.SetWorkers(max(opt.Workers, 1)); err != nil {
		return nil, err
	}
	sum, err := Fit(ctx, f, tr, val, opt.Config)
	if err != nil {
		return nil, err
	}
	info := model.Info{Columns: append([]string(nil), tab.Columns...), Spec: spec, Data: opt.Data, Seed: opt.Config.Seed}
	info.Data.Events = rows
	m, err := model.New(info, scaler, f)
	if err != nil {
		return nil, err
	}
	res := &Result{Model: m, Summary: sum, ValOutside: nv - len(keep)}
	if res.TrainNLL, err = physicalNLL(m, xt, wt, nt, rng); err != nil {
		return nil, err
	}
	res.ValNLL = math.NaN()
	if len(keep) > 0 {
		if res.ValNLL, err = physicalNLL(m, xvIn, wvIn, len(keep), rng); err != nil {
			return nil, err
		}
	}
	m.Info.Training, err = json.Marshal(res)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// physicalNLL is the weighted mean -log p(x) in physical units.
func physicalNLL(m *model.Model, x, w []float64, rows int, rng *rand.Rand) (float64, error) {
	lp := make([]float64, rows)
	if _, err := m.LogProb(lp, x, rows, rng); err != nil {
		return 0, err
	}
	var s, sw float64
	for r, v := range lp {
		wr := 1.0
		if w != nil {
			wr = w[r]
		}
		s -= wr * v
		sw += wr
	}
	return s / sw, nil
}
