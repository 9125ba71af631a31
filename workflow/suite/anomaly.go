package suite

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"hepflow/model"
	"hepflow/report"
	"hepflow/validate"
)

// AnomalyConfig configures Anomaly.
type AnomalyConfig struct {
	// Seed draws the dequantization noise of discrete columns.
	Seed uint64
	// ROCPoints thins the stored ROC curve (default 400; the AUC always
	// uses every event).
	ROCPoints int
	// Name is the score's name in the legend (default "-log p(x)").
	Name string
}

// AnomalySummary are the headline numbers of the anomaly-detection check.
type AnomalySummary struct {
	AUC         float64                   `json:"auc"`
	AtFPR       []validate.OperatingPoint `json:"tpr_at_fpr"`
	NSignal     int                       `json:"n_signal"`
	NBackground int                       `json:"n_background"`
	// OutsideSignal and OutsideBackground count events outside the
	// model's support: a discrete value never seen in training (mass zero,
	// score +Inf, ranked most anomalous). Continuous values always have a
	// density.
	OutsideSignal     int `json:"outside_support_signal"`
	OutsideBackground int `json:"outside_support_background"`
	// ScoreCap is the finite value standing in for +Inf in the stored
	// curve's thresholds and the histograms.
	ScoreCap float64 `json:"score_cap"`
}

// Anomaly scores background and signal events (both with the model's
// columns) by -log p(x) under m, and adds the ROC curve of signal against
// background and the score histograms to b. Events outside the model's
// support score +Inf: they rank above every other event, and a finite
// stand-in (ScoreCap) keeps the stored numbers finite.
func Anomaly(ctx context.Context, b *report.Builder, m *model.Model, bkg, sig validate.Sample, cfg AnomalyConfig) (AnomalySummary, error) {
	if err := checkColumns(m, bkg, "background"); err != nil {
		return AnomalySummary{}, err
	}
	if err := checkColumns(m, sig, "signal"); err != nil {
		return AnomalySummary{}, err
	}
	if bkg.Rows == 0 || sig.Rows == 0 {
		return AnomalySummary{}, fmt.Errorf("anomaly: need events in both samples (background %d, signal %d)", bkg.Rows, sig.Rows)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xa70))
	sb, ob, err := Scores(m, bkg.Data, bkg.Rows, rng)
	if err != nil {
		return AnomalySummary{}, fmt.Errorf("background: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return AnomalySummary{}, err
	}
	ss, osig, err := Scores(m, sig.Data, sig.Rows, rng)
	if err != nil {
		return AnomalySummary{}, fmt.Errorf("signal: %w", err)
	}
	return AnomalyScores(b, Scored{Scores: sb, Weights: bkg.Weights, Outside: ob}, Scored{Scores: ss, Weights: sig.Weights, Outside: osig}, cfg)
}

// Scored are the anomaly scores -log p(x) of one sample's events (+Inf
// outside the model's support), with their weights (nil: 1).
type Scored struct {
	Scores  []float64
	Weights []float64
	// Outside counts the events outside the support (the +Inf scores).
	Outside int
}

// AnomalyScores is Anomaly on scores computed beforehand (by streaming a
// file through the model, or read from the outputs of sharded 'hepflow
// logprob' runs): the ROC curve and the score histograms of signal
// against background. Only cfg.ROCPoints and cfg.Name are used.
func AnomalyScores(b *report.Builder, bkg, sig Scored, cfg AnomalyConfig) (AnomalySummary, error) {
	if len(bkg.Scores) == 0 || len(sig.Scores) == 0 {
		return AnomalySummary{}, fmt.Errorf("anomaly: need events in both samples (background %d, signal %d)", len(bkg.Scores), len(sig.Scores))
	}
	if cfg.ROCPoints == 0 {
		cfg.ROCPoints = 400
	}
	if cfg.Name == "" {
		cfg.Name = "-log p(x)"
	}
	ss, sb := sig.Scores, bkg.Scores
	fin, capped := finiteScores(ss, sb)
	roc, err := validate.ROC(fin[0], sig.Weights, fin[1], bkg.Weights, cfg.ROCPoints)
	if err != nil {
		return AnomalySummary{}, err
	}
	s := AnomalySummary{AUC: roc.AUC, AtFPR: roc.AtFPR, NSignal: len(ss), NBackground: len(sb),
		OutsideSignal: sig.Outside, OutsideBackground: bkg.Outside, ScoreCap: capped}
	b.SetMetric("anomaly", s)
	if err := b.AddROC("anomaly score "+cfg.Name, []report.NamedROC{{Name: cfg.Name, Curve: roc}}); err != nil {
		return s, err
	}
	if err := addScoreHists(b, cfg.Name, sb, bkg.Weights, ss, sig.Weights, s); err != nil {
		return s, err
	}
	return s, nil
}

// addScoreHists draws the score distributions of background and signal on
// a shared binning of the finite scores; +Inf scores land in the overflow.
func addScoreHists(b *report.Builder, name string, sb, wb, ss, ws []float64, s AnomalySummary) error {
	finite := func(x []float64) []float64 {
		return slices.DeleteFunc(slices.Clone(x), func(v float64) bool { return math.IsInf(v, 0) })
	}
	fb, fs := finite(sb), finite(ss)
	if len(fb)+len(fs) == 0 {
		return nil // every event outside the support: nothing to draw
	}
	bins, err := validate.SharedBinning(fb, fs, validate.BinningOptions{Bins: 40, MaxDiscrete: -1})
	if err != nil {
		return err
	}
	fig, err := report.HistRatio(name, validate.NewHist(bins, sb, wb), validate.NewHist(bins, ss, ws),
		report.HistStyle{RefLabel: "background", CandLabel: "signal", RatioLabel: "sig/bkg"})
	if err != nil {
		return err
	}
	img, err := fig.SaveBoth(b.Dir(), "anomaly_scores", "anomaly score "+name+" of background and signal")
	if err != nil {
		return err
	}
	how := "The anomaly score of background (black) and signal (blue): signal should sit at higher scores; the lower panel is signal/background, rising to the right where the score enriches signal."
	if s.OutsideBackground+s.OutsideSignal > 0 {
		how += fmt.Sprintf(" %d background and %d signal events lie outside the model's support (a discrete value never seen in training: mass zero, score +∞): they count in the overflow and rank as most anomalous.", s.OutsideBackground, s.OutsideSignal)
	}
	b.AddSection(report.Section{ID: "anomaly-scores", Title: "Anomaly score distributions", HowToRead: how, Images: []report.Image{img}})
	return nil
}

// LatentSummary are the headline numbers of the latent-space check.
type LatentSummary struct {
	Rows      int     `json:"rows"`
	Dim       int     `json:"dim"`
	Outside   int     `json:"outside_support"` // events that could not be mapped
	Norm2P    float64 `json:"norm2_ks_p"`      // |z|^2 against chi2(D)
	Norm2Mean float64 `json:"norm2_mean"`      // expect Dim
	MinDimP   float64 `json:"min_dim_ks_p"`    // smallest per-dimension KS p-value
}

// Latent maps held-out reference events (the model's columns; weights are
// ignored) to the flow's base space, checks that they look N(0, I) and adds
// the check to b. At most maxRows events (chosen at random with seed) are
// used when maxRows > 0.
func Latent(b *report.Builder, m *model.Model, ref validate.Sample, maxRows int, seed uint64) (LatentSummary, error) {
	if err := checkColumns(m, ref, "latent check"); err != nil {
		return LatentSummary{}, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x1a7))
	x, rows := ref.Data, ref.Rows
	if maxRows > 0 && rows > maxRows {
		pick := rng.Perm(rows)[:maxRows]
		slices.Sort(pick)
		x, rows = ref.Subset(pick).Data, maxRows
	}
	z, kept, err := Encode(m, x, rows, rng)
	if err != nil {
		return LatentSummary{}, err
	}
	if len(kept) == 0 {
		return LatentSummary{}, fmt.Errorf("latent check: all %d events are outside the model's support", rows)
	}
	r, err := validate.CheckLatent(z, len(kept), m.Dim())
	if err != nil {
		return LatentSummary{}, err
	}
	if err := b.AddLatent(r); err != nil {
		return LatentSummary{}, err
	}
	return LatentSummary{Rows: len(kept), Dim: m.Dim(), Outside: rows - len(kept), Norm2P: r.Norm2.P, Norm2Mean: r.Norm2Mean, MinDimP: r.MinP}, nil
}
