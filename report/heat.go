package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"hepflow/validate"
)

// cellMap is a heat map over arbitrary (also unequal) bin edges; cell
// (ix, iy) has value z[iy*nx+ix]. Unlike plotter.HeatMap it draws each cell
// slightly over its upper neighbours, so anti-aliasing leaves no seams, and
// it never resamples (no blur).
type cellMap struct {
	xe, ye   []float64
	z        []float64
	pal      []color.Color
	min, max float64
}

func (m *cellMap) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	nx := len(m.xe) - 1
	overlap := vg.Points(0.6)
	for iy := range len(m.ye) - 1 {
		for ix := range nx {
			v := m.z[iy*nx+ix]
			if math.IsNaN(v) {
				continue
			}
			k := int((v - m.min) / (m.max - m.min) * float64(len(m.pal)-1))
			k = max(0, min(len(m.pal)-1, k))
			x0, x1 := trX(m.xe[ix]), trX(m.xe[ix+1])
			y0, y1 := trY(m.ye[iy]), trY(m.ye[iy+1])
			if ix < nx-1 {
				x1 += overlap
			}
			if iy < len(m.ye)-2 {
				y1 += overlap
			}
			var p vg.Path
			p.Move(vg.Point{X: x0, Y: y0})
			p.Line(vg.Point{X: x1, Y: y0})
			p.Line(vg.Point{X: x1, Y: y1})
			p.Line(vg.Point{X: x0, Y: y1})
			p.Close()
			c.SetColor(m.pal[k])
			c.Fill(p)
		}
	}
}

func (m *cellMap) DataRange() (xmin, xmax, ymin, ymax float64) {
	return m.xe[0], m.xe[len(m.xe)-1], m.ye[0], m.ye[len(m.ye)-1]
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// colorBar returns a plot holding a vertical colour bar for cm.
func colorBar(cm palette.ColorMap, label string) *plot.Plot {
	p := plot.New()
	p.HideX()
	p.Y.Padding = 0
	p.Y.Label.Text = label
	p.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	return p
}

// density2D returns a 2D histogram's contents per unit area, normalised to
// the histogram's total (so two samples of different sizes compare).
func density2D(h validate.Hist2D) []float64 {
	nx := h.X.Bins()
	var tot float64
	for _, v := range h.Sum {
		tot += v
	}
	tot += h.Outside
	out := make([]float64, len(h.Sum))
	if tot == 0 {
		return out
	}
	for i, v := range h.Sum {
		ix, iy := i%nx, i/nx
		area := (h.X.Edges[ix+1] - h.X.Edges[ix]) * (h.Y.Edges[iy+1] - h.Y.Edges[iy])
		out[i] = v / tot / area
	}
	return out
}

// Pair2D draws the 2D histograms of one pair of features for the reference
// and the candidate side by side, on one colour scale (density), with a
// colour bar.
func Pair2D(ref, cand validate.Hist2D, style HistStyle) (*Figure, error) {
	if ref.X.Bins() != cand.X.Bins() || ref.Y.Bins() != cand.Y.Bins() || len(ref.Sum) == 0 {
		return nil, fmt.Errorf("pair 2D: histograms differ in binning or are empty")
	}
	rl, cl := style.labels()
	dr, dc := density2D(ref), density2D(cand)
	zmax := math.Max(maxOf(dr), maxOf(dc))
	if !(zmax > 0) {
		zmax = 1
	}
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(0)
	cm.SetMax(zmax)
	pal := cm.Palette(255)
	mk := func(d []float64, title string) *plot.Plot {
		hm := &cellMap{xe: ref.X.Edges, ye: ref.Y.Edges, z: d, pal: pal.Colors(), min: 0, max: zmax}
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = ref.NameX
		p.Y.Label.Text = ref.NameY
		p.Add(hm)
		return p
	}
	pr, pc := mk(dr, rl), mk(dc, cl)
	bar := colorBar(cm, "density")
	return &Figure{Width: 10 * vg.Inch, Height: 4.5 * vg.Inch, draw: func(c draw.Canvas) {
		barW := vg.Points(70)
		main := draw.Crop(c, 0, -barW, 0, 0)
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(20), PadTop: vg.Points(2), PadBottom: vg.Points(2)}
		cs := plot.Align([][]*plot.Plot{{pr, pc}}, tiles, main)
		pr.Draw(cs[0][0])
		pc.Draw(cs[0][1])
		// Line the colour bar up with the data area of the panels.
		dc := pr.DataCanvas(cs[0][0])
		bc := draw.Crop(c, c.Max.X-c.Min.X-barW+vg.Points(10), -vg.Points(10), dc.Min.Y-c.Min.Y, dc.Max.Y-c.Max.Y)
		bar.Draw(bc)
	}}, nil
}

// CorrelationDiff draws the difference of two correlation matrices
// (candidate - reference) as a heat map with feature names on both axes,
// on a symmetric blue-red scale, with the values written in the cells when
// there are at most 12 features.
func CorrelationDiff(c validate.CorrelationResult) (*Figure, error) {
	d := len(c.Diff)
	if d == 0 || len(c.Names) != d {
		return nil, fmt.Errorf("correlation diff: empty or unnamed matrix")
	}
	z := make([]float64, d*d)
	zmax := 0.02 // floor: statistical noise alone should not look dramatic
	for i := range d {
		for j := range d {
			// Row 0 at the top, as a matrix reads.
			z[(d-1-i)*d+j] = c.Diff[i][j]
			zmax = math.Max(zmax, math.Abs(c.Diff[i][j]))
		}
	}
	edges := make([]float64, d+1)
	for i := range edges {
		edges[i] = float64(i) - 0.5
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-zmax)
	cm.SetMax(zmax)
	hm := &cellMap{xe: edges, ye: edges, z: z, pal: cm.Palette(255).Colors(), min: -zmax, max: zmax}
	p := plot.New()
	p.Title.Text = "correlation difference (candidate - reference)"
	p.Add(hm)
	xt, yt := make([]plot.Tick, d), make([]plot.Tick, d)
	for i := range d {
		xt[i] = plot.Tick{Value: float64(i), Label: c.Names[i]}
		yt[i] = plot.Tick{Value: float64(d - 1 - i), Label: c.Names[i]}
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	if d <= 12 {
		lab := plotter.XYLabels{}
		for i := range d {
			for j := range d {
				lab.XYs = append(lab.XYs, plotter.XY{X: float64(j), Y: float64(d - 1 - i)})
				lab.Labels = append(lab.Labels, fmt.Sprintf("%.2f", c.Diff[i][j]))
			}
		}
		l, err := plotter.NewLabels(lab)
		if err != nil {
			return nil, fmt.Errorf("correlation diff: %w", err)
		}
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign = draw.XCenter
			l.TextStyle[i].YAlign = draw.YCenter
			l.TextStyle[i].Font.Size = vg.Points(7)
		}
		p.Add(l)
	}
	bar := colorBar(cm, "Δ correlation")
	side := 6*vg.Inch + vg.Length(d)*vg.Points(4)
	return &Figure{Width: side + vg.Points(80), Height: side, draw: func(c draw.Canvas) {
		barW := vg.Points(80)
		mc := draw.Crop(c, 0, -barW, 0, 0)
		p.Draw(mc)
		dc := p.DataCanvas(mc)
		bar.Draw(draw.Crop(c, c.Max.X-c.Min.X-barW+vg.Points(15), -vg.Points(10), dc.Min.Y-c.Min.Y, dc.Max.Y-c.Max.Y))
	}}, nil
}
