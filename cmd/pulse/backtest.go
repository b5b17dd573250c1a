package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors"
	"github.com/olympus-cloud/pulse/processors/detect"
	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/backtest"
)

// BacktestCmd runs an NDJSON file of order events through the windows
// offline and writes the closed windows as insight NDJSON.
type BacktestCmd struct {
	Events string `name:"events" required:"" help:"NDJSON file of v1 order events, one per line ('-' for stdin)."`
	Out    string `name:"out" default:"-" help:"Insight NDJSON output file ('-' for stdout)."`

	OutOfOrderness    time.Duration `name:"out-of-orderness" default:"1m" help:"Watermark lag behind the largest event time."`
	AllowedLateness   time.Duration `name:"allowed-lateness" default:"0s" help:"How long a window stays open after the watermark passed its end."`
	CorrectionHorizon time.Duration `name:"correction-horizon" default:"24h" help:"How long a closed window takes late events as corrections."`
	IdleTimeout       time.Duration `name:"idle-timeout" default:"2m" help:"Close a tenant's windows after this much silence (event-time clock of the file)."`
	Zone              string        `name:"zone" default:"UTC" help:"Time zone of calendar-day windows and seasonal baselines."`
	DetectSizes       []string      `name:"detect-sizes" default:"1h,1d" help:"Window sizes scored by the anomaly detectors."`
	DetectThreshold   float64       `name:"detect-threshold" default:"2.5" help:"Warning threshold (standard deviations)."`
	DetectCritical    float64       `name:"detect-critical" default:"4" help:"Critical threshold (standard deviations)."`
	WindowsOnly       bool          `name:"windows-only" help:"Write only window insights (no detectors, analytics or recommendations)."`
	MaxInvalidLogged  int           `name:"max-invalid-logged" default:"1000" help:"Log at most this many invalid lines one by one (all are counted)."`
}

// Run replays the file and prints a summary on stderr.
func (c *BacktestCmd) Run(g *Globals) error {
	zone, err := time.LoadLocation(c.Zone)
	if err != nil {
		return fmt.Errorf("zone %q: %w", c.Zone, err)
	}
	var in io.Reader = os.Stdin
	if c.Events != "-" {
		f, err := os.Open(c.Events)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	var out io.Writer = os.Stdout
	var outFile *os.File
	if c.Out != "-" {
		if outFile, err = os.Create(c.Out); err != nil {
			return err
		}
		defer outFile.Close()
		out = outFile
	}
	logged := 0
	opts := backtest.Options{
		Windows: windows.Config{
			OutOfOrderness: c.OutOfOrderness, AllowedLateness: c.AllowedLateness,
			CorrectionHorizon: c.CorrectionHorizon, IdleTimeout: c.IdleTimeout, DefaultZone: zone,
		},
		Invalid: func(line int, reason events.Reason, err error) {
			if logged++; logged <= c.MaxInvalidLogged {
				g.Log.Warn().Int("line", line).Str("reason", string(reason)).Err(err).Msg("invalid line")
			}
		},
	}
	if !c.WindowsOnly {
		// The same shard state as `pulse run`: windows, detectors,
		// analytics and recommendations, flushed at the end of the file.
		ws := processors.WindowStateConfig{
			Windows: opts.Windows,
			Detect: detect.MonitorConfig{Detector: detect.Config{
				Threshold: c.DetectThreshold, Critical: c.DetectCritical, Location: zone,
			}},
			DetectSizes:  c.DetectSizes,
			FlushOnClose: true,
		}
		if err := ws.Validate(); err != nil {
			return fmt.Errorf("invalid configuration:\n%w", err)
		}
		opts.NewTarget = func(emit func(events.Insight)) (backtest.Target, error) {
			return processors.NewWindowState(ws, emit, processors.NewStats(), g.Log)
		}
	}
	rep, err := backtest.Run(g.Ctx, in, out, opts)
	if err != nil {
		return fmt.Errorf("backtest %s: %w", c.Events, err)
	}
	if outFile != nil {
		if err := outFile.Close(); err != nil {
			return err
		}
	}
	ev := g.Log.Info().Int("lines", rep.Lines).Int64("applied", rep.Applied).Int64("duplicates", rep.Duplicates).
		Int64("late", rep.LateEvents).Int64("too_late", rep.Dropped).Int("invalid", rep.InvalidTotal()).
		Int64("insights", rep.Insights).Int64("corrections", rep.Corrections)
	for reason, n := range rep.Invalid {
		ev = ev.Int("invalid_"+string(reason), n)
	}
	ev.Msg("backtest done")
	fmt.Fprintln(os.Stderr, rep.String())
	return nil
}
