package validate

import "math"

// Hist is a weighted 1D histogram: per bin the sum of weights and the sum of
// squared weights (its statistical variance), plus under/overflow.
type Hist struct {
	Binning
	Sum     []float64 `json:"sum"`
	SumW2   []float64 `json:"sumw2"`
	Count   []int     `json:"count"` // raw entries per bin
	Under   float64   `json:"under"`
	Over    float64   `json:"over"`
	UnderW2 float64   `json:"under_w2"`
	OverW2  float64   `json:"over_w2"`
	UnderN  int       `json:"under_n"`
	OverN   int       `json:"over_n"`
	Entries int       `json:"entries"`
}

// NewHist fills a histogram with values x and weights w (nil = unit weights).
func NewHist(b Binning, x, w []float64) Hist {
	h := Hist{Binning: b, Sum: make([]float64, b.Bins()), SumW2: make([]float64, b.Bins()), Count: make([]int, b.Bins())}
	for i, v := range x {
		wt := 1.0
		if w != nil {
			wt = w[i]
		}
		h.Fill(v, wt)
	}
	return h
}

// newHistSorted is NewHist for ascending x: one merge-like walk over the
// values and the edges instead of a bin search per value.
func newHistSorted(b Binning, x, w []float64) Hist {
	nb := b.Bins()
	h := Hist{Binning: b, Sum: make([]float64, nb), SumW2: make([]float64, nb), Count: make([]int, nb), Entries: len(x)}
	lo, hi := b.Edges[0], b.Edges[nb]
	k := 0
	for i, v := range x {
		wt := 1.0
		if w != nil {
			wt = w[i]
		}
		switch {
		case v < lo:
			h.Under += wt
			h.UnderW2 += wt * wt
			h.UnderN++
			continue
		case v > hi:
			h.Over += wt
			h.OverW2 += wt * wt
			h.OverN++
			continue
		}
		for k < nb-1 && v >= b.Edges[k+1] {
			k++
		}
		h.Sum[k] += wt
		h.SumW2[k] += wt * wt
		h.Count[k]++
	}
	return h
}

// Fill adds one value with weight w.
func (h *Hist) Fill(x, w float64) {
	h.Entries++
	switch k := h.Find(x); {
	case k < 0:
		h.Under += w
		h.UnderW2 += w * w
		h.UnderN++
	case k >= len(h.Sum):
		h.Over += w
		h.OverW2 += w * w
		h.OverN++
	default:
		h.Sum[k] += w
		h.SumW2[k] += w * w
		h.Count[k]++
	}
}

// Total returns the sum of weights including under/overflow.
func (h Hist) Total() float64 {
	t := h.Under + h.Over
	for _, v := range h.Sum {
		t += v
	}
	return t
}

// countsWithFlow returns the raw entries in the order of withFlow.
func (h Hist) countsWithFlow() []int {
	c := make([]int, 0, len(h.Sum)+2)
	if h.Count == nil {
		// Built by hand without raw counts: treat every bin as well filled.
		for range len(h.Sum) + 2 {
			c = append(c, math.MaxInt32)
		}
		return c
	}
	return append(append(append(c, h.UnderN), h.Count...), h.OverN)
}

// withFlow returns contents and variances with the underflow prepended and
// the overflow appended, the bin set every test works on.
func (h Hist) withFlow() (sum, w2 []float64) {
	sum = make([]float64, 0, len(h.Sum)+2)
	w2 = make([]float64, 0, len(h.Sum)+2)
	sum = append(append(append(sum, h.Under), h.Sum...), h.Over)
	w2 = append(append(append(w2, h.UnderW2), h.SumW2...), h.OverW2)
	return sum, w2
}

// Density returns the bin contents normalised to unit area over the whole
// histogram including under/overflow (so the values are comparable between
// samples of different sizes) and their statistical errors.
func (h Hist) Density() (d, err []float64) {
	t := h.Total()
	d = make([]float64, len(h.Sum))
	err = make([]float64, len(h.Sum))
	if t == 0 {
		return d, err
	}
	for i := range h.Sum {
		wdt := h.Edges[i+1] - h.Edges[i]
		d[i] = h.Sum[i] / t / wdt
		err[i] = math.Sqrt(math.Max(h.SumW2[i], 0)) / t / wdt
	}
	return d, err
}

// Hist2D is a weighted 2D histogram of two features; Sum[iy*NX+ix].
// Events outside either binning are not counted (Outside holds their weight).
type Hist2D struct {
	X       Binning   `json:"x"`
	Y       Binning   `json:"y"`
	NameX   string    `json:"name_x"`
	NameY   string    `json:"name_y"`
	Sum     []float64 `json:"sum"`
	Outside float64   `json:"outside"`
}

// NewHist2D fills a 2D histogram of columns i and j of s with the given binnings.
func NewHist2D(s Sample, i, j int, bx, by Binning) Hist2D {
	h := Hist2D{X: bx, Y: by, NameX: s.Name(i), NameY: s.Name(j), Sum: make([]float64, bx.Bins()*by.Bins())}
	nx, ny := bx.Bins(), by.Bins()
	for r := 0; r < s.Rows; r++ {
		row := s.Row(r)
		kx, ky := bx.Find(row[i]), by.Find(row[j])
		w := s.Weight(r)
		if kx < 0 || kx >= nx || ky < 0 || ky >= ny {
			h.Outside += w
			continue
		}
		h.Sum[ky*nx+kx] += w
	}
	return h
}

// PairHists fills 2D histograms of columns i and j for both samples with a
// shared binning, ready to be drawn side by side. They are for the eye, so
// the defaults differ from the 1D tests: the pooled 0.005..0.995 quantile
// range (tails would leave most cells empty) and sqrt(nmin/10) bins per axis
// (5..50), i.e. ~10 events per cell on average for the smaller sample.
func PairHists(a, b Sample, i, j int, opts BinningOptions) (ha, hb Hist2D, err error) {
	if err := compatible(a, b); err != nil {
		return ha, hb, err
	}
	nmin := math.Min(a.EffectiveN(), b.EffectiveN())
	if opts.Bins == 0 {
		opts.Bins = max(5, min(50, int(math.Sqrt(nmin/10))))
	}
	if opts.LowQuantile == 0 && opts.HighQuantile == 0 && !opts.MinMax {
		opts.LowQuantile, opts.HighQuantile = 0.005, 0.995
	}
	bx, err := sharedBinningSorted(sortedCopy(a.Column(i, nil)), sortedCopy(b.Column(i, nil)), nmin, opts)
	if err != nil {
		return ha, hb, err
	}
	by, err := sharedBinningSorted(sortedCopy(a.Column(j, nil)), sortedCopy(b.Column(j, nil)), nmin, opts)
	if err != nil {
		return ha, hb, err
	}
	return NewHist2D(a, i, j, bx, by), NewHist2D(b, i, j, bx, by), nil
}
