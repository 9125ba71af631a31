package report

import (
	"bytes"
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"hepflow/internal/atomicfile"
)

// DPI of the PNG files.
const DPI = 120

// Figure is a drawing of a fixed size that can be saved as PNG or SVG.
type Figure struct {
	Width, Height vg.Length
	draw          func(c draw.Canvas)
}

// plotFigure wraps a single plot.
func plotFigure(p *plot.Plot, w, h vg.Length) *Figure {
	return &Figure{Width: w, Height: h, draw: func(c draw.Canvas) { p.Draw(c) }}
}

// Render returns the figure encoded as "png" or "svg".
func (f *Figure) Render(format string) ([]byte, error) {
	var buf bytes.Buffer
	switch strings.ToLower(format) {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
		f.draw(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("encode png: %w", err)
		}
	case "svg":
		c := vgsvg.New(f.Width, f.Height)
		dc := draw.New(c)
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		f.draw(dc)
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("encode svg: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown figure format %q", format)
	}
	return buf.Bytes(), nil
}

// Save writes the figure to path (format from the extension, .png or .svg)
// atomically.
func (f *Figure) Save(path string) error {
	b, err := f.Render(strings.TrimPrefix(filepath.Ext(path), "."))
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, b)
}

// SaveBoth writes dir/base.png and dir/base.svg and returns an Image
// referring to them by file name (relative to dir).
func (f *Figure) SaveBoth(dir, base, caption string) (Image, error) {
	img := Image{PNG: base + ".png", SVG: base + ".svg", Caption: caption}
	if err := f.Save(filepath.Join(dir, img.PNG)); err != nil {
		return Image{}, err
	}
	if err := f.Save(filepath.Join(dir, img.SVG)); err != nil {
		return Image{}, err
	}
	return img, nil
}

// Colours used throughout: reference in black, candidate in a strong blue,
// tails in red and green (distinguishable also in greyscale by line style).
var (
	colRef  = color.RGBA{A: 255}
	colCand = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	colLow  = color.RGBA{R: 44, G: 160, B: 44, A: 255}
	colHigh = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	colGrey = color.RGBA{R: 128, G: 128, B: 128, A: 255}
)

// blankTicks keeps a ticker's tick marks but drops their labels (for the
// upper panel of a stacked plot, whose x axis is labelled below).
type blankTicks struct{ plot.Ticker }

func (b blankTicks) Ticks(min, max float64) []plot.Tick {
	t := b.Ticker.Ticks(min, max)
	for i := range t {
		t[i].Label = ""
	}
	return t
}

// drawStacked draws top above bottom, bottom taking frac of the height,
// with their data areas aligned horizontally.
func drawStacked(c draw.Canvas, top, bottom *plot.Plot, frac float64) {
	split := c.Min.Y + vg.Length(frac)*(c.Max.Y-c.Min.Y)
	bc := draw.Crop(c, 0, 0, 0, split-c.Max.Y)
	tc := draw.Crop(c, 0, 0, split-c.Min.Y, 0)
	dt, db := top.DataCanvas(tc), bottom.DataCanvas(bc)
	if lt, lb := dt.Min.X-tc.Min.X, db.Min.X-bc.Min.X; lt < lb {
		tc = draw.Crop(tc, lb-lt, 0, 0, 0)
	} else {
		bc = draw.Crop(bc, lt-lb, 0, 0, 0)
	}
	dt, db = top.DataCanvas(tc), bottom.DataCanvas(bc)
	if rt, rb := tc.Max.X-dt.Max.X, bc.Max.X-db.Max.X; rt < rb {
		tc = draw.Crop(tc, 0, -(rb - rt), 0, 0)
	} else {
		bc = draw.Crop(bc, 0, -(rt - rb), 0, 0)
	}
	top.Draw(tc)
	bottom.Draw(bc)
}
