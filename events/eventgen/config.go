package eventgen

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// DefaultStart is where the simulated span starts when neither Config.Start
// nor Config.Now is set: a Monday, midnight UTC.
var DefaultStart = time.Date(2026, time.January, 5, 0, 0, 0, 0, time.UTC)

// Defaults for Config.
const (
	DefaultTenants          = 20
	DefaultDuration         = 7 * 24 * time.Hour
	DefaultTopOrdersPerDay  = 5000
	DefaultTailOrdersPerDay = 5
	DefaultMalformedShare   = 0.01
	DefaultDuplicateShare   = 0.02
	DefaultOutOfOrderShare  = 0.05
	DefaultLateShare        = 0.005
	DefaultAnomalyRate      = 1
	maxDuration             = 3 * 366 * 24 * time.Hour
	maxTenants              = 100_000
)

// Config says what traffic to generate. The zero value is the documented
// default; shares and the anomaly rate take a negative value to mean none.
type Config struct {
	// Seed makes the output reproducible. Equal configs give equal bytes.
	Seed uint64
	// Tenants is the number of tenants. Default 20.
	Tenants int

	// Start is when simulated time begins. Default Now - Backfill, or
	// DefaultStart when Now is zero too.
	Start time.Time
	// Now is the caller's real clock, used only to default Start and to
	// place future timestamps beyond it.
	Now time.Time
	// Backfill is how far before Now the span starts when Start is zero.
	// Default Duration (the span ends at Now). For backfill-then-live set
	// Backfill below Duration and pace with Pacer.Live.
	Backfill time.Duration
	// Duration is the simulated span. Default 7 days.
	Duration time.Duration
	// MaxEvents stops the generator after this many messages. 0: no limit.
	MaxEvents int

	// TopOrdersPerDay and TailOrdersPerDay are the average daily orders of
	// the largest and smallest tenant; others fall on a power law between.
	// Defaults 5000 and 5.
	TopOrdersPerDay  float64
	TailOrdersPerDay float64

	// MalformedShare is the share of events replaced by a malformed one.
	// Default 0.01.
	MalformedShare float64
	// DuplicateShare is the share of valid events delivered twice. Default 0.02.
	DuplicateShare float64
	// OutOfOrderShare is the share of events published 5 s to 10 min after
	// they occurred. Default 0.05.
	OutOfOrderShare float64
	// LateShare is the share of events published 30 min to 36 h after they
	// occurred. Default 0.005.
	LateShare float64
	// AnomalyRate is the expected number of anomalies per eligible tenant
	// (at least 48 orders a day) per simulated week. Default 1.
	AnomalyRate float64

	// PayloadOnly leaves out faults that live in Pub/Sub attributes
	// (attribute_mismatch), for output that keeps only payloads, such as
	// NDJSON files whose attributes are derived again on replay.
	PayloadOnly bool
}

// withDefaults fills zero fields. Negative shares become 0.
func (c Config) withDefaults() Config {
	if c.Tenants == 0 {
		c.Tenants = DefaultTenants
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Backfill == 0 {
		c.Backfill = c.Duration
	}
	if c.Start.IsZero() {
		if c.Now.IsZero() {
			c.Start = DefaultStart
		} else {
			c.Start = c.Now.Add(-c.Backfill)
		}
	}
	c.Start = c.Start.UTC()
	if c.TopOrdersPerDay == 0 {
		c.TopOrdersPerDay = DefaultTopOrdersPerDay
	}
	if c.TailOrdersPerDay == 0 {
		c.TailOrdersPerDay = math.Min(DefaultTailOrdersPerDay, c.TopOrdersPerDay)
	}
	share := func(v *float64, def float64) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			*v = 0
		}
	}
	share(&c.MalformedShare, DefaultMalformedShare)
	share(&c.DuplicateShare, DefaultDuplicateShare)
	share(&c.OutOfOrderShare, DefaultOutOfOrderShare)
	share(&c.LateShare, DefaultLateShare)
	share(&c.AnomalyRate, DefaultAnomalyRate)
	return c
}

// Validate reports every problem with c (after defaults) at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Tenants < 1 || c.Tenants > maxTenants {
		errs = append(errs, fmt.Errorf("tenants %d not in 1..%d", c.Tenants, maxTenants))
	}
	if c.Duration < time.Minute || c.Duration > maxDuration {
		errs = append(errs, fmt.Errorf("duration %s not in 1m..%s", c.Duration, maxDuration))
	}
	if c.Backfill < 0 {
		errs = append(errs, fmt.Errorf("backfill %s is negative", c.Backfill))
	}
	if c.MaxEvents < 0 {
		errs = append(errs, fmt.Errorf("max events %d is negative", c.MaxEvents))
	}
	if !(c.TopOrdersPerDay > 0 && c.TopOrdersPerDay <= 10_000_000) {
		errs = append(errs, fmt.Errorf("top orders per day %g not in (0, 1e7]", c.TopOrdersPerDay))
	}
	if !(c.TailOrdersPerDay > 0 && c.TailOrdersPerDay <= c.TopOrdersPerDay) {
		errs = append(errs, fmt.Errorf("tail orders per day %g not in (0, top orders per day]", c.TailOrdersPerDay))
	}
	for _, s := range []struct {
		name string
		v    float64
	}{
		{"malformed share", c.MalformedShare}, {"duplicate share", c.DuplicateShare},
		{"out-of-order share", c.OutOfOrderShare}, {"late share", c.LateShare},
	} {
		if !(s.v >= 0 && s.v <= 1) {
			errs = append(errs, fmt.Errorf("%s %g not in [0, 1]", s.name, s.v))
		}
	}
	if c.OutOfOrderShare+c.LateShare > 1 {
		errs = append(errs, fmt.Errorf("out-of-order share plus late share %g is over 1", c.OutOfOrderShare+c.LateShare))
	}
	if !(c.AnomalyRate >= 0 && c.AnomalyRate <= 100) {
		errs = append(errs, fmt.Errorf("anomaly rate %g not in [0, 100]", c.AnomalyRate))
	}
	return errors.Join(errs...)
}
