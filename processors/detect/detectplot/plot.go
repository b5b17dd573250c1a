// Package detectplot draws a scored series: the values, the expected value
// and band, and the points the detector alerts on. It is what users look at
// to tune thresholds before turning alerts on. Kept apart from package
// detect so the online detector does not link a plotting library.
package detectplot

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/olympus-cloud/pulse/processors/detect"
)

// Save writes a PNG (or SVG/PDF, by extension) of points to path.
func Save(path, title string, points []detect.Point) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01-02\n15:04"}
	p.Y.Label.Text = "value"

	var vals, exp, alerts plotter.XYs
	var lo, hi plotter.XYs
	for _, pt := range points {
		x := float64(pt.At.Unix())
		s := pt.Score
		if !s.Valid {
			continue
		}
		vals = append(vals, plotter.XY{X: x, Y: s.Value})
		if s.History > 0 {
			exp = append(exp, plotter.XY{X: x, Y: s.Expected})
			lo = append(lo, plotter.XY{X: x, Y: s.Band.Low})
			hi = append(hi, plotter.XY{X: x, Y: s.Band.High})
		}
		if s.Alert {
			alerts = append(alerts, plotter.XY{X: x, Y: s.Value})
		}
	}
	if len(vals) == 0 {
		return fmt.Errorf("plot %s: no valid points", path)
	}
	if len(lo) > 1 {
		// The band as one polygon: low edge forward, high edge back.
		poly := make(plotter.XYs, 0, 2*len(lo))
		poly = append(poly, lo...)
		for i := len(hi) - 1; i >= 0; i-- {
			poly = append(poly, hi[i])
		}
		band, err := plotter.NewPolygon(poly)
		if err != nil {
			return err
		}
		band.Color = color.NRGBA{R: 170, G: 200, B: 240, A: 160}
		band.LineStyle.Width = 0
		p.Add(band)
		p.Legend.Add("usual band", band)
		el, err := plotter.NewLine(exp)
		if err != nil {
			return err
		}
		el.Color = color.RGBA{B: 200, A: 255}
		el.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(el)
		p.Legend.Add("expected", el)
	}
	vl, err := plotter.NewLine(vals)
	if err != nil {
		return err
	}
	vl.Color = color.Black
	vl.Width = vg.Points(0.7)
	p.Add(vl)
	p.Legend.Add("value", vl)
	if len(alerts) > 0 {
		sc, err := plotter.NewScatter(alerts)
		if err != nil {
			return err
		}
		sc.Color = color.RGBA{R: 220, A: 255}
		sc.Shape = draw.CircleGlyph{}
		sc.Radius = vg.Points(3)
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("alert (%d)", len(alerts)), sc)
	}
	p.Legend.Top = true
	return p.Save(14*vg.Inch, 5*vg.Inch, path)
}
