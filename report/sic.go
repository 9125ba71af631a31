package report

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"hepflow/validate"
)

// NamedSIC is one significance-improvement curve with its legend name.
type NamedSIC struct {
	Name  string
	Curve validate.SICCurve
}

// SIC draws significance-improvement curves, SIC = eps_S/sqrt(eps_B)
// against the signal efficiency, each maximum in the legend, and the line
// SIC = 1 of a cut that does not help.
func SIC(title string, curves []NamedSIC) (*Figure, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("sic: no curves")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "signal efficiency"
	p.Y.Label.Text = "SIC = signal eff. / sqrt(background eff.)"
	p.X.Min, p.X.Max, p.Y.Min = 0, 1, 0
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Color = colGrey
	one.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(one)
	for i, c := range curves {
		var xy plotter.XYs
		for k := range c.Curve.EffS {
			if c.Curve.EffB[k] > 0 {
				xy = append(xy, plotter.XY{X: c.Curve.EffS[k], Y: c.Curve.SIC[k]})
			}
		}
		if len(xy) < 2 {
			return nil, fmt.Errorf("sic %s: fewer than 2 points with background left", c.Name)
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("sic %s: %w", c.Name, err)
		}
		l.Color = lineColor(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (max %.2f)", c.Name, c.Curve.MaxSIC), l)
	}
	p.Legend.Add("no improvement", one)
	p.Legend.Top = true
	return plotFigure(p, 5*vg.Inch, 5*vg.Inch), nil
}

// AddSIC adds significance-improvement curves of anomaly scores.
func (b *Builder) AddSIC(title string, curves []NamedSIC) error {
	fig, err := SIC(title, curves)
	if err != nil {
		return err
	}
	img, err := fig.SaveBoth(b.dir, "sic_"+anchor(title), title)
	if err != nil {
		return err
	}
	m := map[string]validate.SICCurve{}
	for _, c := range curves {
		m[c.Name] = c.Curve
		b.AddMetric(Metric{Name: "max SIC, " + c.Name, Value: fmt.Sprintf("%.2f", c.Curve.MaxSIC), Note: title})
	}
	b.metrics["sic_"+anchor(title)] = m
	b.AddSection(Section{ID: "sic-" + title, Title: title,
		HowToRead: "How much a cut on the score multiplies the significance S/sqrt(B) of the signal, against the fraction of signal it keeps; above 1 the cut helps. The maximum ignores cuts that leave fewer than 10 background events.",
		Images:    []Image{img}})
	return nil
}
