package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"hepflow/validate"
)

// NamedROC is one ROC curve with the name shown in the legend.
type NamedROC struct {
	Name  string
	Curve validate.ROCCurve
}

// ROC draws ROC curves (background efficiency on x, signal efficiency on
// y) with each AUC in the legend and the diagonal of a random classifier.
func ROC(title string, curves []NamedROC) (*Figure, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("roc: no curves")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "background efficiency (FPR)"
	p.Y.Label.Text = "signal efficiency (TPR)"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	diag := plotter.NewFunction(func(x float64) float64 { return x })
	diag.Color = colGrey
	diag.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(diag)
	for i, c := range curves {
		if len(c.Curve.FPR) != len(c.Curve.TPR) || len(c.Curve.FPR) < 2 {
			return nil, fmt.Errorf("roc %s: bad curve", c.Name)
		}
		xy := make(plotter.XYs, len(c.Curve.FPR))
		for k := range xy {
			xy[k] = plotter.XY{X: c.Curve.FPR[k], Y: c.Curve.TPR[k]}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("roc %s: %w", c.Name, err)
		}
		l.Color = lineColor(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (AUC = %.3f)", c.Name, c.Curve.AUC), l)
	}
	p.Legend.Add("random (AUC = 0.5)", diag)
	p.Legend.Left = false
	p.Legend.Top = false
	p.Legend.XOffs = -vg.Points(5)
	p.Legend.YOffs = vg.Points(5)
	return plotFigure(p, 5*vg.Inch, 5*vg.Inch), nil
}

func lineColor(i int) color.Color {
	if i == 0 {
		return colCand
	}
	return plotutil.Color(i + 1)
}

// LatentNorm2 draws the histogram of |z|^2 of the latent codes against the
// chi2 density with D = dims degrees of freedom, which |z|^2 follows when
// z ~ N(0, I).
func LatentNorm2(r validate.LatentResult, dims int) (*Figure, error) {
	h := r.Norm2H
	if len(h.Sum) == 0 || dims <= 0 {
		return nil, fmt.Errorf("latent |z|^2: empty histogram")
	}
	d, e := h.Density()
	p := plot.New()
	p.Title.Text = fmt.Sprintf("latent |z|² vs χ²(%d)  (KS p = %.3g)", dims, r.Norm2.P)
	p.X.Label.Text = "|z|²"
	p.Y.Label.Text = "density"
	l, err := stepLine(h.Edges, d, colCand, false)
	if err != nil {
		return nil, fmt.Errorf("latent |z|^2: %w", err)
	}
	eb, err := errorBars(centers(h.Edges), d, e, colCand)
	if err != nil {
		return nil, fmt.Errorf("latent |z|^2: %w", err)
	}
	k := float64(dims)
	chi := plotter.NewFunction(func(x float64) float64 {
		if x <= 0 {
			return 0
		}
		lg, _ := math.Lgamma(k / 2)
		return math.Exp((k/2-1)*math.Log(x) - x/2 - k/2*math.Ln2 - lg)
	})
	chi.Color = colRef
	chi.Width = vg.Points(1.3)
	chi.Samples = 200
	p.Add(l, eb, chi)
	p.Legend.Add("flow latent |z|²", l)
	p.Legend.Add(fmt.Sprintf("χ²(%d)", dims), chi)
	p.Legend.Top = true
	p.X.Min, p.X.Max, p.Y.Min = h.Edges[0], h.Edges[len(h.Edges)-1], 0
	return plotFigure(p, 5.5*vg.Inch, 4*vg.Inch), nil
}

// LatentMarginals draws each latent dimension's histogram against the
// N(0,1) density in a grid of small panels (at most maxDims of them).
func LatentMarginals(r validate.LatentResult, maxDims int) (*Figure, error) {
	n := len(r.Dims)
	if maxDims > 0 {
		n = min(n, maxDims)
	}
	if n == 0 {
		return nil, fmt.Errorf("latent marginals: no dimensions")
	}
	cols := min(n, 4)
	rows := (n + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	gauss := func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
	for i := range rows {
		plots[i] = make([]*plot.Plot, cols)
	}
	for k := range n {
		dim := r.Dims[k]
		d, _ := dim.Hist.Density()
		p := plot.New()
		p.Title.Text = fmt.Sprintf("z%d  (KS p = %.2g)", dim.Index, dim.KS.P)
		p.Title.TextStyle.Font.Size = vg.Points(9)
		l, err := stepLine(dim.Hist.Edges, d, colCand, false)
		if err != nil {
			return nil, fmt.Errorf("latent marginals: %w", err)
		}
		g := plotter.NewFunction(gauss)
		g.Color = colRef
		p.Add(l, g)
		p.X.Min, p.X.Max, p.Y.Min = -5, 5, 0
		plots[k/cols][k%cols] = p
	}
	w, h := vg.Length(cols)*2.4*vg.Inch, vg.Length(rows)*2*vg.Inch
	return &Figure{Width: w, Height: h, draw: func(c draw.Canvas) {
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(8), PadY: vg.Points(8), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(4)}
		cs := plot.Align(plots, tiles, c)
		for i := range plots {
			for j, p := range plots[i] {
				if p != nil {
					p.Draw(cs[i][j])
				}
			}
		}
	}}, nil
}
