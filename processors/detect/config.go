package detect

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Method names a baseline. It is reported on every Score and insight.
type Method string

// Methods. MethodAuto chooses per series from the data; the others force one.
const (
	MethodAuto     Method = "auto"     // robust level, seasonal once it predicts better, count-aware on counts
	MethodZScore   Method = "zscore"   // mean and standard deviation of the history (the seed design)
	MethodRobust   Method = "robust"   // median and MAD of the history
	MethodSeasonal Method = "seasonal" // same hour of day / hour of week profile plus a robust level
	MethodPoisson  Method = "poisson"  // Poisson tail probability around the robust expected count
)

// Reported sub-methods: what actually produced a score under MethodAuto.
const (
	methodDaily  Method = "seasonal-daily"
	methodWeekly Method = "seasonal-weekly"
	methodBinom  Method = "binomial"
)

// Defaults. The zero Config means exactly these.
const (
	DefaultThreshold    = 2.5
	DefaultCritical     = 4.0
	DefaultRecovery     = 1.5
	DefaultWarmup       = 24
	DefaultHistory      = 64
	DefaultConfirm      = 2
	DefaultCooldown     = 3
	DefaultAdaptAfter   = 12
	DefaultMinRelSpread = 0.01

	maxHistory = 1024
	maxConfirm = 16
	maxAdapt   = 256
)

// Config parameterises one series' detector and its alert lifecycle. The zero
// value is the documented default; fields left zero take their default.
type Config struct {
	// Method chooses the baseline; "" means MethodAuto.
	Method Method
	// Threshold is the |z| at which a point is anomalous and a warning
	// incident may open (default 2.5).
	Threshold float64
	// Critical is the |z| of a critical incident; a single point this far out
	// alerts without confirmation (default 4).
	Critical float64
	// Recovery is the |z| below which an open incident resolves (default 1.5):
	// hysteresis between Recovery and Threshold stops flapping.
	Recovery float64
	// Warmup is the number of points observed before any alert (default 24).
	Warmup int
	// History is the number of recent points the level and spread are
	// computed from (default 64, at most 1024).
	History int
	// Confirm is how many consecutive points beyond Threshold, in the same
	// direction, are needed before alerting on a point below Critical
	// (default 2; 1 alerts on the first point). It is the pending→firing hold
	// that keeps Gaussian noise from paging anyone.
	Confirm int
	// RunCritical is the score at which a run of recent points taken
	// together (Score.Sustained) alerts (default 0: halfway between
	// Threshold and Critical, plus a quarter, 3.5 at the defaults — a
	// one-sided tail of 2e-4 per window).
	RunCritical float64
	// Cooldown is the number of points after a resolution during which no
	// new incident opens for the same series (default 3).
	Cooldown int
	// AdaptAfter is how many consecutive anomalous points in one direction
	// make the detector accept a level shift and re-centre its baseline
	// (default 12). Negative disables adaptation.
	AdaptAfter int
	// Counts says values are event counts (orders, customers): the score is
	// then bounded by a Poisson tail test, so tiny counts do not page. In
	// MethodAuto counts are also detected from the data (non-negative integers).
	Counts bool
	// MinSpread is an absolute floor on the spread (default 0); the spread is
	// also never below MinRelSpread × |expected|.
	MinSpread float64
	// MinRelSpread is the relative spread floor (default 0.01): on a constant
	// history a 1% move is one standard deviation.
	MinRelSpread float64
	// Location is the time zone of the seasonal profile (default UTC).
	Location *time.Location
}

// withDefaults returns c with zero fields replaced by defaults.
func (c Config) withDefaults() Config {
	if c.Method == "" {
		c.Method = MethodAuto
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.Critical == 0 {
		c.Critical = math.Max(DefaultCritical, c.Threshold)
	}
	if c.Recovery == 0 {
		c.Recovery = math.Min(DefaultRecovery, c.Threshold)
	}
	if c.Warmup == 0 {
		c.Warmup = DefaultWarmup
	}
	if c.History == 0 {
		c.History = DefaultHistory
	}
	if c.Confirm == 0 {
		c.Confirm = DefaultConfirm
	}
	if c.Cooldown == 0 {
		c.Cooldown = DefaultCooldown
	}
	if c.AdaptAfter == 0 {
		c.AdaptAfter = DefaultAdaptAfter
	}
	if c.MinRelSpread == 0 {
		c.MinRelSpread = DefaultMinRelSpread
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	return c
}

// Validate reports every problem with c (after defaults) at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Method {
	case MethodAuto, MethodZScore, MethodRobust, MethodSeasonal, MethodPoisson:
	default:
		bad("method %q: want auto, zscore, robust, seasonal or poisson", c.Method)
	}
	finite := func(name string, v float64) bool {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			bad("%s %v: must be a finite non-negative number", name, v)
			return false
		}
		return true
	}
	okT, okC, okR := finite("threshold", c.Threshold), finite("critical", c.Critical), finite("recovery", c.Recovery)
	if okT && okC && c.Critical < c.Threshold {
		bad("critical %v: must be at least threshold %v", c.Critical, c.Threshold)
	}
	if okT && okR && c.Recovery > c.Threshold {
		bad("recovery %v: must be at most threshold %v", c.Recovery, c.Threshold)
	}
	finite("min spread", c.MinSpread)
	finite("run critical", c.RunCritical)
	finite("min relative spread", c.MinRelSpread)
	if c.Warmup < 2 {
		bad("warmup %d: need at least 2 points", c.Warmup)
	}
	if c.History < 4 || c.History > maxHistory {
		bad("history %d: must be in [4, %d]", c.History, maxHistory)
	}
	if c.Confirm < 1 || c.Confirm > maxConfirm {
		bad("confirm %d: must be in [1, %d]", c.Confirm, maxConfirm)
	}
	if c.Cooldown < 0 {
		bad("cooldown %d: must not be negative", c.Cooldown)
	}
	if c.AdaptAfter > maxAdapt {
		bad("adapt after %d: at most %d", c.AdaptAfter, maxAdapt)
	}
	return errors.Join(errs...)
}
