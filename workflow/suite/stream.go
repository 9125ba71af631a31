package suite

import (
	"context"
	"errors"
	"fmt"
	"math"

	"hepflow/data"
	"hepflow/model"
	"hepflow/workflow/score"
)

// StreamScores scores every event of a file by -log p(x) under m in
// constant memory (a noise block at a time, as 'hepflow logprob' does with
// the same seed: the same numbers), keeping only the scores and, when
// weightCol is set, the weights. The events' features are never held, so
// a file of any size can be scored.
func StreamScores(ctx context.Context, m *model.Model, path string, opts data.ReadOptions, weightCol string, seed uint64) (Scored, error) {
	if err := unconditional(m, "anomaly scores"); err != nil {
		return Scored{}, err
	}
	var s Scored
	res, err := score.Stream(ctx, m, path, score.Options{Read: opts, Seed: seed, Weight: weightCol}, nil,
		func(lp, w []float64) error {
			for _, v := range lp {
				s.Scores = append(s.Scores, -v)
			}
			s.Weights = append(s.Weights, w...)
			return nil
		})
	if err != nil {
		return Scored{}, err
	}
	if len(s.Scores) == 0 {
		return Scored{}, fmt.Errorf("%s: no events (after the selection)", path)
	}
	s.Outside = res.Unscored.Total()
	return s, nil
}

// ReadScores reads anomaly scores from the outputs of 'hepflow logprob'
// (column score.Column: log p(x), -Inf outside the support), as written by
// the shards of a batch job: the scores -log p(x) of every file, in the
// order given (which does not matter to the ROC curve). Every file must
// have the column; opts sets the format and the other reading options.
func ReadScores(ctx context.Context, paths []string, opts data.ReadOptions) (Scored, error) {
	var s Scored
	opts.Columns = []string{score.Column}
	opts.Drop = nil
	opts.AllowInfinite = true
	for _, p := range paths {
		err := data.Scan(ctx, p, opts, func(t *data.Table) error {
			for _, v := range t.Data {
				if math.IsInf(v, 1) {
					return fmt.Errorf("%s: log density +Inf: not a file of log densities?", p)
				}
				if math.IsInf(v, -1) {
					s.Outside++
				}
				s.Scores = append(s.Scores, -v)
			}
			return nil
		})
		// An empty shard (more shards than blocks of events) adds nothing.
		if err != nil && !errors.Is(err, data.ErrNoRows) {
			return Scored{}, err
		}
	}
	if len(s.Scores) == 0 {
		return Scored{}, fmt.Errorf("%d score files without events", len(paths))
	}
	return s, nil
}
