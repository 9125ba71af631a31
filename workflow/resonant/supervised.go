package resonant

import (
	"context"
	"errors"
	"fmt"

	"hepflow/data"
)

// Supervised is the reference CATHODE and ANODE are measured against: the
// same k-fold classifier trained on the truth of the signal-region events
// (signal against background, each class weighted to equal total), which
// only a simulation can provide. It needs Config.Truth.
func Supervised(ctx context.Context, tab *data.Table, cfg Config) (*Result, error) {
	cfg.defaults()
	if cfg.Truth == "" {
		return nil, errors.New("supervised: needs the truth column")
	}
	r, err := split(tab, cfg)
	if err != nil {
		return nil, err
	}
	n, d := len(r.sr), len(r.features)
	var sig, bkg []float64
	for i, t := range r.truthSR {
		if t == 1 {
			sig = append(sig, r.xSR[i*d:(i+1)*d]...)
		} else {
			bkg = append(bkg, r.xSR[i*d:(i+1)*d]...)
		}
	}
	ns, nb := len(sig)/d, len(bkg)/d
	if ns < cfg.Folds || nb < cfg.Folds {
		return nil, fmt.Errorf("supervised: %d signal and %d background events in the signal region: too few for %d folds", ns, nb, cfg.Folds)
	}
	cfg.Logger.Info("supervised: classifying true signal against true background", "signal", ns, "background", nb, "folds", cfg.Folds)
	scores, _, err := kfoldLabelled(ctx, r.xSR, r.truthSR, n, d, cfg)
	if err != nil {
		return nil, err
	}
	res := &Result{Method: "supervised", SignalRegion: r.sr, Scores: scores, Features: r.features,
		NSideband: len(r.sb), NSignalRegion: n, TruthColumn: cfg.Truth}
	if res.Truth, err = grade(scores, r.truthSR); err != nil {
		return nil, err
	}
	return res, nil
}

// kfoldLabelled scores n labelled events out of fold, the classes weighted
// to equal totals in training.
func kfoldLabelled(ctx context.Context, x, y []float64, n, d int, cfg Config) ([]float64, []float64, error) {
	fold := assignFolds(n, cfg.Folds, cfg.Seed)
	return outOfFold(ctx, x, n, d, fold, cfg, func(f int) (tx, ty, tw []float64) {
		var n1 float64
		for i := 0; i < n; i++ {
			if fold[i] != f {
				tx, ty = append(tx, x[i*d:(i+1)*d]...), append(ty, y[i])
				n1 += y[i]
			}
		}
		tw = make([]float64, len(ty))
		for i, v := range ty {
			if v == 1 {
				tw[i] = float64(len(ty)) / (2 * n1)
			} else {
				tw[i] = float64(len(ty)) / (2 * (float64(len(ty)) - n1))
			}
		}
		return tx, ty, tw
	}, nil, nil)
}
