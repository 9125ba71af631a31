// Package demo runs hepflow's main job on the embedded real HIGGS sample:
// split the background into training and held-out test events, train a
// flow, measure the held-out NLL, generate events and write the validation
// report, into one folder. `hepflow demo` is its command line.
package demo

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/internal/atomicfile"
	"hepflow/internal/demodata"
	"hepflow/model"
	"hepflow/nn/blas"
	"hepflow/preprocess"
	"hepflow/train"
)

// Config is one demo run.
type Config struct {
	// Spec is the flow (its Dim is the number of features).
	Spec flow.Spec
	// Epochs is the most training epochs; Seed drives the split, the
	// training and the samples; Scaling the feature scaling.
	Epochs  int
	Seed    uint64
	Scaling string
	// Gemm and Threads: the matrix backend and the workers.
	Gemm    blas.Gemm
	Threads int
	// Progress and Logger report the training's epochs (see train.Config).
	Progress func(train.Epoch)
	Logger   *slog.Logger
}

// Result is what a demo found; Summary is what summary.json holds.
type Result struct {
	Features                []string
	TrainEvents, TestEvents int
	// TestNLL is the mean -log p of the held-out events with a density
	// (all of them: the features are continuous), in physical units.
	TestNLL      float64
	TestUnscored model.Unscored
	Training     train.Summary
	Headline     Headline
	// Model, Generated and SummaryPath are the files as the user will see
	// them (under the shown folder).
	Model, Generated, SummaryPath string
	Summary                       map[string]any
}

// rootName is the demo's copy of the sample as a ROOT file.
const rootName = "higgs-sample.root"

// Files is the demo folder's content that marks it as one: --force
// replaces an existing folder only when it holds these.
func Files() []string { return []string{"summary.json", "model.safetensors"} }

// Run writes the demo into dir, which the user will see as shown once the
// caller has put it in place (paths recorded in the files are shown's).
// Interrupted or diverged, it returns the error and the caller discards dir.
func Run(ctx context.Context, dir, shown string, cfg Config) (*Result, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The embedded sample, written out with its attribution so the user can
	// rerun any step by hand.
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	sample := filepath.Join(dataDir, demodata.FileName)
	for name, content := range map[string][]byte{demodata.FileName: demodata.HiggsSample, "README.md": []byte(demodata.Attribution)} {
		if err := atomicfile.WriteBytes(filepath.Join(dataDir, name), content); err != nil {
			return nil, err
		}
	}
	// The same events as a ROOT file (a TTree, label included), which the
	// demo trains from: what a physicist's own ntuple would be.
	rootSample := filepath.Join(dataDir, rootName)
	if _, err := data.Convert(ctx, sample, rootSample, data.ReadOptions{Format: data.FormatHIGGS, Workers: cfg.Threads}, data.WriteOptions{}, nil); err != nil {
		return nil, err
	}
	all, err := data.Read(ctx, rootSample, data.ReadOptions{Workers: cfg.Threads})
	if err != nil {
		return nil, err
	}
	features := data.HiggsContinuous()
	bkg, err := Select(all, "label==0", features)
	if err != nil {
		return nil, err
	}
	sig, err := Select(all, "label==1", features)
	if err != nil {
		return nil, err
	}
	// Hold out a test set the training never sees, not even for early stopping.
	trainTab, testTab := Split(bkg, 0.2, cfg.Seed)
	log.Info("demo: training on the embedded HIGGS background", "train_events", trainTab.Rows(), "test_events", testTab.Rows(), "features", len(features))
	tc := train.Config{Epochs: cfg.Epochs, LR: 1e-3, Schedule: "cosine", ClipNorm: 5, Patience: 20, Seed: cfg.Seed, Progress: cfg.Progress}
	if cfg.Progress == nil {
		tc.Logger = log
	}
	res, err := train.FitModel(ctx, trainTab, nil, train.ModelOptions{
		Spec: cfg.Spec, Config: tc, ValFraction: 0.2, Gemm: cfg.Gemm, Workers: cfg.Threads,
		Preprocess: preprocess.Options{Scaling: cfg.Scaling},
		Data:       model.DataInfo{Files: []string{filepath.Join(shown, "data", rootName)}, Format: "root", Where: "label==0", Drop: nonFeatures(features)},
		Logger:     log,
	})
	if err != nil {
		return nil, err // interrupted or diverged: the demo keeps nothing
	}
	m := res.Model
	if err := model.Save(filepath.Join(dir, "model.safetensors"), m); err != nil {
		return nil, err
	}
	out := &Result{Features: features, TrainEvents: trainTab.Rows(), TestEvents: testTab.Rows(), Training: res.Summary,
		Model: filepath.Join(shown, "model.safetensors"), Generated: filepath.Join(shown, "generated.csv.gz"),
		SummaryPath: filepath.Join(shown, "summary.json")}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xde40))
	if out.TestNLL, out.TestUnscored, err = meanNLL(m, testTab, rng); err != nil {
		return nil, err
	}
	gen := data.Zeros(features, 20000)
	if err := m.Sample(gen.Data, nil, gen.Rows(), rng); err != nil {
		return nil, err
	}
	for name, t := range map[string]*data.Table{"generated.csv.gz": gen, "test-background.csv.gz": testTab, "signal.csv.gz": sig} {
		if err := data.Write(filepath.Join(dir, name), t, data.WriteOptions{}); err != nil {
			return nil, err
		}
	}
	if out.Headline, err = writeReport(ctx, filepath.Join(dir, "report"), filepath.Join(shown, "report"), m, testTab, gen, sig, cfg.Threads, cfg.Seed, cfg.Gemm); err != nil {
		return nil, err
	}
	testNLL := any(out.TestNLL)
	if math.IsNaN(out.TestNLL) {
		testNLL = nil
	}
	out.Summary = map[string]any{
		"model": out.Model, "generated": out.Generated, "features": features,
		"train_events": res.Summary.TrainEvents, "val_events": res.Summary.ValEvents, "test_events": testTab.Rows(),
		"epochs": res.Summary.Epochs, "best_epoch": res.Summary.BestEpoch, "seconds": res.Summary.Seconds,
		"train_nll": res.TrainNLL, "val_nll": res.ValNLL,
		"test_nll": testNLL, "test_unscored": out.TestUnscored.Total(),
		"validation": out.Headline,
	}
	b, err := json.MarshalIndent(out.Summary, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, "summary.json"), append(b, '\n')); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// Select keeps the rows of t passing where and the given columns.
func Select(t *data.Table, where string, cols []string) (*data.Table, error) {
	keep, err := data.CompileExpr(where, t.Columns)
	if err != nil {
		return nil, err
	}
	return t.Filter(keep).Select(cols...)
}

// Split shuffles the rows of t with a seed and returns (the rest, a
// held-out fraction frac): the demo's split of training and test events.
func Split(t *data.Table, frac float64, seed uint64) (*data.Table, *data.Table) {
	perm := rand.New(rand.NewPCG(seed, 0x5b1)).Perm(t.Rows())
	nh := int(math.Round(frac * float64(t.Rows())))
	pick := func(idx []int) *data.Table {
		out := data.Zeros(t.Columns, len(idx))
		for i, r := range idx {
			copy(out.Row(i), t.Row(r))
		}
		return out
	}
	return pick(perm[nh:]), pick(perm[:nh])
}

// meanNLL is the mean -log p over the events that have a density (with
// continuous columns only: every event), and the count of those without.
func meanNLL(m *model.Model, t *data.Table, rng *rand.Rand) (float64, model.Unscored, error) {
	lp := make([]float64, t.Rows())
	un, err := m.LogProb(lp, t.Data, nil, t.Rows(), rng)
	if err != nil {
		return 0, un, err
	}
	var s float64
	for _, v := range lp {
		if !math.IsInf(v, -1) {
			s -= v
		}
	}
	if un.Total() == len(lp) {
		return math.NaN(), un, nil
	}
	return s / float64(len(lp)-un.Total()), un, nil
}

// nonFeatures lists the HIGGS columns the demo leaves out.
func nonFeatures(features []string) []string {
	var out []string
	for _, c := range data.HiggsColumns() {
		keep := false
		for _, f := range features {
			keep = keep || f == c
		}
		if !keep {
			out = append(out, c)
		}
	}
	return out
}
