package main

import (
	"bufio"
	"fmt"
	"os"
	"time"

	"github.com/olympus-cloud/pulse/processors/detect"
	"github.com/olympus-cloud/pulse/processors/detect/detectplot"
)

// DetectCmd scores a CSV series with exactly the online per-series detector:
// "timestamp,value" on stdin, "timestamp,value,anomaly_score" on stdout.
type DetectCmd struct {
	Method     string  `name:"method" default:"auto" enum:"auto,zscore,robust,seasonal,poisson" help:"Baseline (${enum}); auto picks per series from the data."`
	Threshold  float64 `name:"threshold" default:"2.5" help:"Warning threshold in standard deviations (maps to anomaly_score 0.5)."`
	Critical   float64 `name:"critical" default:"4" help:"Critical threshold; a single point this far out alerts without confirmation."`
	Warmup     int     `name:"warmup" default:"24" help:"Points observed before any alert."`
	History    int     `name:"history" default:"64" help:"Points the level and spread are computed from (4-1024)."`
	Confirm    int     `name:"confirm" default:"2" help:"Consecutive points beyond the threshold needed below critical (1 = none)."`
	RunCrit    float64 `name:"run-critical" default:"0" help:"Score at which a run of recent points taken together alerts (0 = default, 3.5 at the default thresholds)."`
	AdaptAfter int     `name:"adapt-after" default:"12" help:"Consecutive anomalous points after which a level shift is accepted as the new normal (-1 never)."`
	Counts     bool    `name:"counts" help:"Values are event counts: bound scores by a Poisson test (auto-detected for integer series)."`
	MinSpread  float64 `name:"min-spread" default:"0" help:"Absolute floor on the standard deviation."`
	TZ         string  `name:"tz" default:"UTC" help:"Time zone of the daily and weekly seasonal profile."`
	Plot       string  `name:"plot" type:"path" help:"Also draw the series, expected band and alerts to this PNG (or .svg/.pdf)."`
}

// Run scores stdin to stdout.
func (c *DetectCmd) Run(g *Globals) error {
	loc, err := time.LoadLocation(c.TZ)
	if err != nil {
		return fmt.Errorf("tz: %w", err)
	}
	cfg := detect.Config{
		Method: detect.Method(c.Method), Threshold: c.Threshold, Critical: c.Critical,
		Warmup: c.Warmup, History: c.History, Confirm: c.Confirm, RunCritical: c.RunCrit, AdaptAfter: c.AdaptAfter,
		Counts: c.Counts, MinSpread: c.MinSpread, Location: loc,
	}
	var points []detect.Point
	var each func(detect.Point)
	if c.Plot != "" {
		each = func(p detect.Point) { points = append(points, p) }
	}
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	n, err := detect.ScoreCSV(bufio.NewReaderSize(os.Stdin, 64<<10), out, cfg, each)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	alerts := 0
	for _, p := range points {
		if p.Score.Alert {
			alerts++
		}
	}
	if c.Plot != "" {
		if err := detectplot.Save(c.Plot, "pulse detect ("+c.Method+")", points); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		g.Log.Info().Str("plot", c.Plot).Int("rows", n).Int("alerts", alerts).Msg("plot written")
	}
	g.Log.Debug().Int("rows", n).Msg("series scored")
	return nil
}
