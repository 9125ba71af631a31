package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"hepflow/validate"
)

// HistStyle sets labels and scales of the 1D histogram figures.
type HistStyle struct {
	RefLabel  string // legend of the reference (default "reference")
	CandLabel string // legend of the candidate (default "candidate")
	// RatioLabel is the y label of the ratio panel (default "cand/ref").
	RatioLabel string
	LogY       bool // logarithmic density axis
}

func (s HistStyle) labels() (string, string) {
	r, c := s.RefLabel, s.CandLabel
	if r == "" {
		r = "reference"
	}
	if c == "" {
		c = "candidate"
	}
	return r, c
}

// errPoints are points with symmetric vertical error bars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// stepLine returns a step histogram of values per bin over the given edges.
func stepLine(edges, vals []float64, col color.Color, dashed bool) (*plotter.Line, error) {
	xy := make(plotter.XYs, len(vals)+1)
	for i, v := range vals {
		xy[i] = plotter.XY{X: edges[i], Y: v}
	}
	xy[len(vals)] = plotter.XY{X: edges[len(vals)], Y: vals[len(vals)-1]}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.StepStyle = plotter.PostStep
	l.Color = col
	l.Width = vg.Points(1.3)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	}
	return l, nil
}

// errorBars returns vertical error bars at the bin centres.
func errorBars(centers, vals, errs []float64, col color.Color) (*plotter.YErrorBars, error) {
	ep := errPoints{XYs: make(plotter.XYs, len(vals)), YErrors: make(plotter.YErrors, len(vals))}
	for i := range vals {
		ep.XYs[i] = plotter.XY{X: centers[i], Y: vals[i]}
		ep.YErrors[i].Low, ep.YErrors[i].High = errs[i], errs[i]
	}
	eb, err := plotter.NewYErrorBars(ep)
	if err != nil {
		return nil, err
	}
	eb.Color = col
	eb.CapWidth = 0
	return eb, nil
}

func centers(edges []float64) []float64 {
	c := make([]float64, len(edges)-1)
	for i := range c {
		c[i] = 0.5 * (edges[i] + edges[i+1])
	}
	return c
}

// logFloor replaces non-positive values by a floor below the smallest
// positive one, so they can be drawn on a log axis.
func logFloor(v []float64) (out []float64, floor float64) {
	floor = math.Inf(1)
	for _, x := range v {
		if x > 0 {
			floor = math.Min(floor, x)
		}
	}
	if math.IsInf(floor, 1) {
		floor = 1
	}
	floor /= 10
	out = make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Max(x, floor)
	}
	return out, floor
}

// HistRatio draws the reference and candidate histograms of one feature
// (shared binning, each normalised to unit area, error bars sqrt(sum w^2))
// with a candidate/reference ratio panel below.
func HistRatio(feature string, ref, cand validate.Hist, style HistStyle) (*Figure, error) {
	if len(ref.Edges) != len(cand.Edges) || len(ref.Sum) == 0 {
		return nil, fmt.Errorf("hist ratio %s: histograms differ in binning or are empty", feature)
	}
	rl, cl := style.labels()
	dr, er := ref.Density()
	dc, ec := cand.Density()
	cen := centers(ref.Edges)
	if ref.Discrete {
		cen = ref.Values
	}

	top := plot.New()
	top.Y.Label.Text = "density"
	top.X.Tick.Marker = blankTicks{plot.DefaultTicks{}}
	pr, pc := dr, dc
	if style.LogY {
		var f1, f2 float64
		pr, f1 = logFloor(dr)
		pc, f2 = logFloor(dc)
		top.Y.Scale = plot.LogScale{}
		top.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		top.Y.Min = math.Min(f1, f2)
	}
	lr, err := stepLine(ref.Edges, pr, colRef, false)
	if err != nil {
		return nil, fmt.Errorf("hist ratio %s: %w", feature, err)
	}
	lc, err := stepLine(ref.Edges, pc, colCand, true)
	if err != nil {
		return nil, fmt.Errorf("hist ratio %s: %w", feature, err)
	}
	top.Add(lr, lc)
	if !style.LogY {
		br, err := errorBars(cen, dr, er, colRef)
		if err != nil {
			return nil, fmt.Errorf("hist ratio %s: %w", feature, err)
		}
		bc, err := errorBars(cen, dc, ec, colCand)
		if err != nil {
			return nil, fmt.Errorf("hist ratio %s: %w", feature, err)
		}
		top.Add(br, bc)
		top.Y.Min = 0
	}
	top.Legend.Add(rl, lr)
	top.Legend.Add(cl, lc)
	top.Legend.Top = true
	top.Title.Text = feature

	bottom, err := ratioPlot(feature, style.RatioLabel, cen, dr, er, dc, ec)
	if err != nil {
		return nil, err
	}
	top.X.Min, top.X.Max = ref.Edges[0], ref.Edges[len(ref.Edges)-1]
	bottom.X.Min, bottom.X.Max = top.X.Min, top.X.Max
	return &Figure{Width: 5.5 * vg.Inch, Height: 5 * vg.Inch, draw: func(c draw.Canvas) {
		drawStacked(c, top, bottom, 0.3)
	}}, nil
}

// ratioPlot draws candidate/reference per bin with propagated errors and a
// line at 1; the y range adapts to the points but stays within [0, 3].
func ratioPlot(feature, label string, x, dr, er, dc, ec []float64) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text = feature
	p.Y.Label.Text = label
	if label == "" {
		p.Y.Label.Text = "cand/ref"
	}
	ep := errPoints{}
	lo, hi := 0.8, 1.2
	for i := range x {
		if dr[i] <= 0 {
			continue
		}
		r := dc[i] / dr[i]
		e := r * math.Hypot(er[i]/dr[i], relErr(ec[i], dc[i]))
		if dc[i] == 0 {
			e = ec[i] / dr[i]
		}
		ep.XYs = append(ep.XYs, plotter.XY{X: x[i], Y: r})
		ep.YErrors = append(ep.YErrors, struct{ Low, High float64 }{e, e})
		lo = math.Min(lo, r-e)
		hi = math.Max(hi, r+e)
	}
	lo, hi = math.Max(lo, 0), math.Min(hi, 3)
	for i := range ep.XYs {
		ep.XYs[i].Y = math.Max(lo, math.Min(hi, ep.XYs[i].Y))
	}
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Color = colGrey
	one.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(one)
	if len(ep.XYs) > 0 {
		sc, err := plotter.NewScatter(ep.XYs)
		if err != nil {
			return nil, fmt.Errorf("ratio %s: %w", feature, err)
		}
		sc.GlyphStyle.Color = colCand
		sc.GlyphStyle.Radius = vg.Points(1.8)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		eb, err := plotter.NewYErrorBars(ep)
		if err != nil {
			return nil, fmt.Errorf("ratio %s: %w", feature, err)
		}
		eb.Color = colCand
		eb.CapWidth = 0
		p.Add(eb, sc)
	}
	p.Y.Min, p.Y.Max = lo, hi
	return p, nil
}

func relErr(e, v float64) float64 {
	if v == 0 {
		return 0
	}
	return e / v
}

// TailHist draws a feature's distribution for all events and for the
// events in the low and high tails of the density ratio, each normalised
// to unit area. Where the tails' shapes depart from the whole, the
// generator fails.
func TailHist(feature string, all, low, high []float64, logY bool) (*Figure, error) {
	if len(all) == 0 {
		return nil, fmt.Errorf("tail hist %s: no events", feature)
	}
	pooled := append(append([]float64(nil), low...), high...)
	bin, err := validate.SharedBinning(all, pooled, validate.BinningOptions{Bins: 30})
	if err != nil {
		return nil, fmt.Errorf("tail hist %s: %w", feature, err)
	}
	p := plot.New()
	p.Title.Text = feature + ": density-ratio tails"
	p.X.Label.Text = feature
	p.Y.Label.Text = "density"
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	curves := []struct {
		name   string
		v      []float64
		col    color.Color
		dashed bool
	}{{"all events", all, colRef, false}, {"lowest r (candidate deficit)", low, colLow, true}, {"highest r (candidate excess)", high, colHigh, true}}
	ymin := math.Inf(1)
	for _, c := range curves {
		if len(c.v) == 0 {
			continue
		}
		d, _ := validate.NewHist(bin, c.v, nil).Density()
		if logY {
			var f float64
			d, f = logFloor(d)
			ymin = math.Min(ymin, f)
		}
		l, err := stepLine(bin.Edges, d, c.col, c.dashed)
		if err != nil {
			return nil, fmt.Errorf("tail hist %s: %w", feature, err)
		}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%d)", c.name, len(c.v)), l)
	}
	if logY {
		p.Y.Min = ymin
	} else {
		p.Y.Min = 0
	}
	p.Legend.Top = true
	return plotFigure(p, 5.5*vg.Inch, 4*vg.Inch), nil
}
