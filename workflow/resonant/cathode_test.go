package resonant

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"hepflow/flow"
	"hepflow/nn/blas"
	"hepflow/train"
	"hepflow/validate"
)

// recorder is a classifier that remembers every event it was trained on
// and fails the test if it is asked to score one of them.
type recorder struct {
	t     *testing.T
	seen  map[string]bool
	inner validate.Classifier
}

func key(row []float64) string { return fmt.Sprint(row) }

func (r *recorder) Fit(ctx context.Context, x []float64, rows, cols int, y, w []float64) error {
	r.seen = map[string]bool{}
	for i := 0; i < rows; i++ {
		r.seen[key(x[i*cols:(i+1)*cols])] = true
	}
	return r.inner.Fit(ctx, x, rows, cols, y, w)
}

func (r *recorder) Predict(dst, x []float64, rows int) {
	cols := len(x) / rows
	for i := 0; i < rows; i++ {
		if r.seen[key(x[i*cols:(i+1)*cols])] {
			r.t.Errorf("event %v scored by a classifier trained on it", x[i*cols:(i+1)*cols])
		}
	}
	r.inner.Predict(dst, x, rows)
}

// TestOutOfFold: every real and generated event is scored, and never by a
// classifier that saw it (each event has unique values, so the recorder
// recognises it), in CATHODE's k-fold and the supervised one.
func TestOutOfFold(t *testing.T) {
	const n, d, k = 60, 2, 3
	rng := rand.New(rand.NewPCG(1, 2))
	x, gen, y := make([]float64, n*d), make([]float64, n*k*d), make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range gen {
		gen[i] = rng.NormFloat64() + 0.5
	}
	for i := range y {
		y[i] = float64(i % 3 / 2)
	}
	fits := 0
	cfg := Config{Folds: 4, Ensemble: 2, NewClassifier: func(uint64) validate.Classifier {
		fits++
		return &recorder{t: t, inner: &validate.Logistic{}}
	}}
	cfg.defaults()
	scores, genScores, err := kfold(context.Background(), x, gen, n, d, k, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if fits != 8 || len(scores) != n || len(genScores) != n*k {
		t.Fatalf("%d fits, %d scores, %d generated scores", fits, len(scores), len(genScores))
	}
	for i, s := range append(scores, genScores...) {
		if s == 0 || math.IsNaN(s) {
			t.Fatalf("event %d not scored (%g)", i, s)
		}
	}
	if s, _, err := kfoldLabelled(context.Background(), x, y, n, d, cfg); err != nil || len(s) != n {
		t.Fatalf("supervised k-fold: %v, %d scores", err, len(s))
	}
}

// smallConfig is a quick flow and classifier for the tests.
func smallConfig(truth string) Config {
	g := blas.Default(1, nil)
	return Config{Resonant: "m", Lo: SignalRegionLo, Hi: SignalRegionHi, Truth: truth, Seed: 1, Folds: 4, Ensemble: 1,
		Flow: train.ModelOptions{Spec: flow.Spec{Kind: "maf", Blocks: 3, Hidden: []int{32, 32}, Activation: "tanh", Seed: 1},
			Config: train.Config{Epochs: 60, Seed: 1}, ValFraction: 0.2, Gemm: g, Workers: 2},
		NewClassifier: func(seed uint64) validate.Classifier {
			return &validate.MLP{Seed: seed, Hidden: []int{32, 32}, Epochs: 20, Gemm: g}
		},
	}
}

// TestCathodeFindsSignal: with a strong signal (S/B ~ 0.3 in the signal
// region) CATHODE ranks it near the supervised classifier and far above
// chance, and the sideband flow, sampled at given masses, has the
// background's conditional means and spreads, inside the signal region
// too (where it never saw an event).
func TestCathodeFindsSignal(t *testing.T) {
	tab := Synthetic{Background: 40000, Signal: 800, Seed: 3}.Generate()
	cfg := smallConfig(Label)
	res, err := Cathode(context.Background(), tab, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sup, err := Supervised(context.Background(), tab, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ideal, err := Idealized(context.Background(), tab, cfg, BackgroundAt)
	if err != nil {
		t.Fatal(err)
	}
	g, gs, gi := res.Truth, sup.Truth, ideal.Truth
	t.Logf("cathode: %d signal, %d background; AUC %.4f max SIC %.2f; idealized AUC %.4f max SIC %.2f; supervised AUC %.4f max SIC %.2f; data vs generated AUC %.4f (%.1f sigma)",
		g.NSignal, g.NBackground, g.AUC, g.SIC.MaxSIC, gi.AUC, gi.SIC.MaxSIC, gs.AUC, gs.SIC.MaxSIC, res.DataVsGenerated.AUC, res.DataVsGenerated.Pulls)
	if gi.NSignal != g.NSignal || gi.AUC < 0.9 {
		t.Errorf("idealized: %d signal events, AUC %.4f", gi.NSignal, gi.AUC)
	}
	if g.NSignal < 700 || g.AUC < 0.9 || gs.AUC < 0.95 || g.SIC.MaxSIC < 0.6*gs.SIC.MaxSIC {
		t.Errorf("cathode AUC %.4f max SIC %.2f against supervised %.4f, %.2f", g.AUC, g.SIC.MaxSIC, gs.AUC, gs.SIC.MaxSIC)
	}
	if res.DataVsGenerated.Pulls < 5 {
		t.Errorf("with a strong signal the classifier should tell data from samples: %.1f sigma", res.DataVsGenerated.Pulls)
	}
	// Conditional sampling at given m: x1 | m ~ N(0.5 m, 1), x3 | m has
	// standard deviation 0.5 + 0.2 m (synth.go). 20,000 samples put the
	// estimates within ~0.01-0.02 of the flow's own; 0.1 allows the fit.
	// The masses are where the sidebands have events nearby (beyond m ~ 5
	// the falling spectrum leaves a few hundred per unit of m, and this
	// small flow's x3 spread there is off by ~10%), and the signal region.
	for _, m := range []float64{2, 3, 4, 4.6} {
		const n = 20000
		ms := make([]float64, n)
		for i := range ms {
			ms[i] = m
		}
		x := make([]float64, n*res.Model.Dim())
		if err := res.Model.Sample(x, ms, n, rand.New(rand.NewPCG(5, 5))); err != nil {
			t.Fatal(err)
		}
		var s1 float64
		x3 := make([]float64, n)
		for i := 0; i < n; i++ {
			s1 += x[i*4] / n
			x3[i] = x[i*4+2]
		}
		// The spread of x3 by its interquartile range (1.349 sd for a
		// normal): the bulk, where a flow is judged; the sd itself is
		// pulled up by the wide tails of the scaling's extrapolation.
		slices.Sort(x3)
		spread := (x3[3*n/4] - x3[n/4]) / 1.349
		t.Logf("samples at m = %g: mean x1 %.3f (want %.3f), spread of x3 %.3f (want %.3f)", m, s1, 0.5*m, spread, 0.5+0.2*m)
		if math.Abs(s1-0.5*m) > 0.1 || math.Abs(spread-(0.5+0.2*m)) > 0.1 {
			t.Errorf("samples at m = %g: mean x1 %.3f (want %.3f), spread of x3 %.3f (want %.3f)", m, s1, 0.5*m, spread, 0.5+0.2*m)
		}
	}
}

// TestCathodeWithoutSignal: on background alone the classifier finds
// nothing: its AUC for real against generated signal-region events is
// consistent with 0.5.
func TestCathodeWithoutSignal(t *testing.T) {
	tab := Synthetic{Background: 40000, Signal: 0, Seed: 4}.Generate()
	res, err := Cathode(context.Background(), tab, smallConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	s := res.DataVsGenerated
	t.Logf("no signal: data vs generated AUC %.4f ± %.4f (%.1f sigma)", s.AUC, s.Sigma, s.Pulls)
	if math.Abs(s.Pulls) > 3.5 {
		t.Errorf("no signal, yet the classifier tells data from samples: AUC %.4f, %.1f sigma from 0.5", s.AUC, s.Pulls)
	}
	if res.Truth != nil {
		t.Errorf("graded without a truth column")
	}
}
