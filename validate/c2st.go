package validate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// C2STOptions configures the classifier two-sample test.
type C2STOptions struct {
	// TrainFraction of each (balanced) class used for training; the rest is
	// the holdout (default 0.5).
	TrainFraction float64
	// MaxPerClass caps the events drawn from each sample (0 = all of the
	// smaller sample).
	MaxPerClass int
	// TailQuantile is the fraction of holdout events listed in each tail of
	// the density ratio (default 0.01).
	TailQuantile float64
	// Seed makes the subsampling, split and shuffles reproducible.
	Seed uint64
}

// TailEvent is one holdout event in a tail of the density ratio.
type TailEvent struct {
	Sample   string  `json:"sample"` // "reference" or "candidate"
	Index    int     `json:"index"`  // row in that sample
	LogRatio float64 `json:"log_ratio"`
}

// TailMeans are per-feature means of the holdout events overall and in
// each tail of r: where a generator fails shows up as tails whose means
// differ from the overall ones.
type TailMeans struct {
	Names []string  `json:"names"`
	All   []float64 `json:"all"`
	Low   []float64 `json:"low"`
	High  []float64 `json:"high"`
}

// Holdout holds the per-event outputs on the holdout set (not written to
// JSON: there can be millions), for plots and further study.
type Holdout struct {
	Label    []float64 // 0 = reference, 1 = candidate
	Index    []int     // row in its sample
	Score    []float64 // raw classifier output D(x)
	LogRatio []float64 // log r(x) from the cross-fitted calibration
}

// C2STResult is the classifier two-sample test (Lopez-Paz & Oquab 2017)
// with the density ratio it implies.
type C2STResult struct {
	NTrain   int     `json:"n_train"`
	NTest    int     `json:"n_test"` // holdout size n_te
	Correct  int     `json:"correct"`
	Accuracy float64 `json:"accuracy"` // t, threshold 0.5 on the raw output
	// P = P(X >= n_te*t), X ~ Binomial(n_te, 1/2): the one-sided p-value;
	// Log10P keeps its size when P underflows.
	P      float64 `json:"p"`
	Log10P float64 `json:"log10_p"`
	AUC    float64 `json:"auc"`
	// Weighted: the samples carried weights; accuracy and AUC are weighted
	// and the binomial uses Kish's effective holdout size (an approximation).
	Weighted bool `json:"weighted"`
	// Calibration are the two cross-fitted Platt calibrators (fitted on
	// holdout halves 1 and 2, applied to the other half).
	Calibration [2]Platt `json:"calibration"`
	// LogLossRaw and LogLossCalibrated are the holdout binary cross-entropies
	// before and after calibration (cross-fitted, so not optimistic).
	LogLossRaw        float64     `json:"log_loss_raw"`
	LogLossCalibrated float64     `json:"log_loss_calibrated"`
	TailQuantile      float64     `json:"tail_quantile"`
	LowTail           []TailEvent `json:"low_tail"`  // lowest r first: candidate under-produces here
	HighTail          []TailEvent `json:"high_tail"` // highest r first: candidate over-produces here
	TailMeans         TailMeans   `json:"tail_means"`
	Holdout           Holdout     `json:"-"`
}

// LogRatio maps a raw classifier output to log r = log p_candidate/p_reference
// using the mean of the two cross-fitted calibrations.
func (r C2STResult) LogRatio(score float64) float64 {
	return 0.5 * (r.Calibration[0].LogRatio(score) + r.Calibration[1].LogRatio(score))
}

// C2ST runs the classifier two-sample test of reference a (label 0) against
// candidate b (label 1):
//
//  1. balance: draw n = min(rows A, rows B, MaxPerClass) events of each
//     sample at random (seeded);
//  2. split each class alike into train and holdout (stratified, so the
//     holdout is exactly balanced and the null accuracy is 1/2);
//  3. fit clf on the shuffled training set; score the holdout;
//  4. t = holdout accuracy with threshold 0.5, p = P(Binomial(n_te,1/2) >= n_te t),
//     AUC by Mann-Whitney;
//  5. calibrate by cross-fitting Platt scaling on the holdout: split it in
//     halves, fit on one, apply to the other, and vice versa, so every
//     holdout event gets a calibrated D(x) from a calibrator that never saw
//     it. The density ratio is r(x) = D/(1-D) (equal priors), i.e.
//     p_candidate(x)/p_reference(x);
//  6. list the holdout events (of both samples) in the lowest and highest
//     TailQuantile of r, with their sample and row.
//
// Weighted samples pass their weights (normalised to mean 1 per class) to
// the classifier and calibration and weight accuracy and AUC.
func C2ST(ctx context.Context, a, b Sample, clf Classifier, opts C2STOptions) (C2STResult, error) {
	if err := compatible(a, b); err != nil {
		return C2STResult{}, fmt.Errorf("c2st: %w", err)
	}
	if opts.TrainFraction == 0 {
		opts.TrainFraction = 0.5
	}
	if opts.TailQuantile == 0 {
		opts.TailQuantile = 0.01
	}
	if !(opts.TrainFraction > 0 && opts.TrainFraction < 1) || !(opts.TailQuantile > 0 && opts.TailQuantile <= 0.5) {
		return C2STResult{}, fmt.Errorf("c2st: bad options %+v", opts)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	n := min(a.Rows, b.Rows)
	if opts.MaxPerClass > 0 {
		n = min(n, opts.MaxPerClass)
	}
	nTr := int(math.Round(opts.TrainFraction * float64(n)))
	nHo := n - nTr
	if nTr < 2 || nHo < 2 {
		return C2STResult{}, fmt.Errorf("c2st: %d events per class is too few", n)
	}
	pickA := rng.Perm(a.Rows)[:n]
	pickB := rng.Perm(b.Rows)[:n]
	weighted := a.Weights != nil || b.Weights != nil
	cols := a.Cols

	// Build (sample, row) lists for the training set and the holdout.
	type ev struct {
		label float64
		row   int
	}
	train := make([]ev, 0, 2*nTr)
	hold := make([]ev, 0, 2*nHo)
	for k := range n {
		ea, eb := ev{0, pickA[k]}, ev{1, pickB[k]}
		if k < nTr {
			train = append(train, ea, eb)
		} else {
			hold = append(hold, ea, eb)
		}
	}
	rng.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
	rng.Shuffle(len(hold), func(i, j int) { hold[i], hold[j] = hold[j], hold[i] })

	gather := func(evs []ev) (x, y, w []float64) {
		x = make([]float64, len(evs)*cols)
		y = make([]float64, len(evs))
		if weighted {
			w = make([]float64, len(evs))
		}
		for i, e := range evs {
			s := a
			if e.label == 1 {
				s = b
			}
			copy(x[i*cols:(i+1)*cols], s.Row(e.row))
			y[i] = e.label
			if weighted {
				w[i] = s.Weight(e.row)
			}
		}
		if weighted {
			normalisePerClass(y, w)
		}
		return x, y, w
	}
	xtr, ytr, wtr := gather(train)
	if err := clf.Fit(ctx, xtr, len(train), cols, ytr, wtr); err != nil {
		return C2STResult{}, fmt.Errorf("c2st: fit classifier: %w", err)
	}
	xtr = nil
	xho, yho, who := gather(hold)
	score := make([]float64, len(hold))
	clf.Predict(score, xho, len(hold))
	for i, s := range score {
		if math.IsNaN(s) {
			return C2STResult{}, fmt.Errorf("c2st: classifier returned NaN for holdout event %d", i)
		}
	}

	res := C2STResult{NTrain: len(train), NTest: len(hold), Weighted: weighted, TailQuantile: opts.TailQuantile}
	if err := res.score(yho, who, score); err != nil {
		return C2STResult{}, err
	}

	// Cross-fitted Platt calibration on the two halves of the (shuffled) holdout.
	half := len(hold) / 2
	logr := make([]float64, len(hold))
	parts := [2][2]int{{0, half}, {half, len(hold)}}
	for k := range 2 {
		fit, app := parts[k], parts[1-k]
		var wf []float64
		if who != nil {
			wf = who[fit[0]:fit[1]]
		}
		res.Calibration[k] = FitPlatt(score[fit[0]:fit[1]], yho[fit[0]:fit[1]], wf)
		for i := app[0]; i < app[1]; i++ {
			logr[i] = res.Calibration[k].LogRatio(score[i])
		}
	}
	var sw float64
	for i := range hold {
		w := weightAt(who, i)
		sw += w
		res.LogLossRaw += w * bce(yho[i], logit(score[i]))
		res.LogLossCalibrated += w * bce(yho[i], logr[i])
	}
	res.LogLossRaw /= sw
	res.LogLossCalibrated /= sw

	res.Holdout = Holdout{Label: yho, Index: make([]int, len(hold)), Score: score, LogRatio: logr}
	for i, e := range hold {
		res.Holdout.Index[i] = e.row
	}
	res.tails(a, b, xho)
	return res, nil
}

// score fills accuracy, p-value and AUC from holdout labels and raw scores.
func (r *C2STResult) score(y, w, s []float64) error {
	var correct, sw, sw2 float64
	var sig, bkg, wsig, wbkg []float64
	for i := range y {
		wi := weightAt(w, i)
		sw += wi
		sw2 += wi * wi
		if (s[i] >= 0.5) == (y[i] == 1) {
			correct += wi
			if w == nil {
				r.Correct++
			}
		}
		if y[i] == 1 {
			sig = append(sig, s[i])
			if w != nil {
				wsig = append(wsig, wi)
			}
		} else {
			bkg = append(bkg, s[i])
			if w != nil {
				wbkg = append(wbkg, wi)
			}
		}
	}
	if sw <= 0 {
		return errors.New("c2st: holdout has no positive weight")
	}
	r.Accuracy = correct / sw
	nte := r.NTest
	if w != nil {
		// Kish's effective size stands in for n_te with weighted events.
		nte = int(math.Round(sw * sw / sw2))
		r.Correct = int(math.Round(r.Accuracy * float64(nte)))
	}
	var lp float64
	r.P, lp = BinomialHalfSurvival(r.Correct, nte)
	r.Log10P = lp / math.Ln10
	auc, err := AUC(sig, wsig, bkg, wbkg)
	if err != nil {
		return fmt.Errorf("c2st: %w", err)
	}
	r.AUC = auc
	return nil
}

// tails lists the holdout events with the lowest and highest log r and the
// per-feature means there.
func (r *C2STResult) tails(a, b Sample, xho []float64) {
	h := r.Holdout
	n := len(h.LogRatio)
	cols := a.Cols
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(h.LogRatio[i], h.LogRatio[j]) })
	k := max(1, int(math.Ceil(r.TailQuantile*float64(n))))
	ev := func(i int) TailEvent {
		name := "reference"
		if h.Label[i] == 1 {
			name = "candidate"
		}
		return TailEvent{Sample: name, Index: h.Index[i], LogRatio: h.LogRatio[i]}
	}
	tm := TailMeans{Names: make([]string, cols), All: make([]float64, cols), Low: make([]float64, cols), High: make([]float64, cols)}
	for j := range cols {
		tm.Names[j] = a.Name(j)
	}
	for i := range n {
		for j, v := range xho[i*cols : (i+1)*cols] {
			tm.All[j] += v / float64(n)
		}
	}
	for q := range k {
		lo, hi := order[q], order[n-1-q]
		r.LowTail = append(r.LowTail, ev(lo))
		r.HighTail = append(r.HighTail, ev(hi))
		for j := range cols {
			tm.Low[j] += xho[lo*cols+j] / float64(k)
			tm.High[j] += xho[hi*cols+j] / float64(k)
		}
	}
	r.TailMeans = tm
}

// TailRows returns the rows of the tail events that belong to the reference
// and to the candidate sample, for histogramming their features.
func TailRows(tail []TailEvent) (reference, candidate []int) {
	for _, e := range tail {
		if e.Sample == "candidate" {
			candidate = append(candidate, e.Index)
		} else {
			reference = append(reference, e.Index)
		}
	}
	return reference, candidate
}

func weightAt(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// bce is the binary cross-entropy of label y for a logit f.
func bce(y, f float64) float64 { return softplus(f) - y*f }

// normalisePerClass rescales weights so each class has mean weight 1, i.e.
// both classes carry the same total as their event count (balanced).
func normalisePerClass(y, w []float64) {
	var s [2]float64
	var c [2]int
	for i := range y {
		k := int(y[i])
		s[k] += w[i]
		c[k]++
	}
	for i := range y {
		k := int(y[i])
		if s[k] != 0 {
			w[i] *= float64(c[k]) / s[k]
		}
	}
}
