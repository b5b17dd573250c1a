package windows

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Defaults. See doc.go for why each was chosen.
const (
	DefaultOutOfOrderness      = time.Minute
	DefaultCorrectionHorizon   = 24 * time.Hour
	DefaultIdleTimeout         = 2 * time.Minute
	DefaultMaxTenants          = 100_000
	DefaultMaxWindowsPerTenant = 4096
	day                        = 24 * time.Hour
	maxWindowsPerPane          = 1440
)

// DefaultWindows are 1 minute, 5 minutes and 1 hour tumbling, aligned to the
// Unix epoch, and the calendar day in the tenant's time zone.
var DefaultWindows = []WindowSpec{
	{Size: time.Minute}, {Size: 5 * time.Minute}, {Size: time.Hour}, {Size: day, Calendar: true},
}

// WindowSpec is one kind of window. Slide 0 (or equal to Size) is a
// tumbling window; a smaller Slide is a hopping window, such as "the last
// hour, every 5 minutes" {Size: time.Hour, Slide: 5 * time.Minute}. Window
// starts are multiples of Slide since the Unix epoch. Calendar marks the
// calendar day (Size 24h) in the tenant's time zone, 23 or 25 hours long on
// DST changes.
type WindowSpec struct {
	Size     time.Duration
	Slide    time.Duration
	Calendar bool
}

func (w WindowSpec) slide() time.Duration {
	if w.Slide <= 0 {
		return w.Size
	}
	return w.Slide
}

// Label is the window's Size label in events.Window: "1m", "5m", "1h", "1d"
// (calendar day), "24h" (a UTC-aligned 24 h window), "1h/5m" (hopping).
func (w WindowSpec) Label() string {
	if w.Calendar {
		return "1d"
	}
	if s := w.slide(); s != w.Size {
		return durationLabel(w.Size) + "/" + durationLabel(s)
	}
	return durationLabel(w.Size)
}

func durationLabel(d time.Duration) string {
	for _, u := range []struct {
		d time.Duration
		s string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.s
		}
	}
	return d.String()
}

// pane is the pre-aggregation unit of a spec: gcd(Size, Slide), so every
// window is a whole number of panes and one event updates one pane per grid.
func (w WindowSpec) pane() time.Duration {
	if w.Calendar {
		return day
	}
	a, b := w.Size, w.slide()
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Config configures an Engine. The zero value is valid and means the
// defaults.
type Config struct {
	// Windows to maintain for every tenant. Default DefaultWindows.
	Windows []WindowSpec
	// OutOfOrderness is how far behind the largest event time seen the
	// watermark trails. Default 1m.
	OutOfOrderness time.Duration
	// AllowedLateness keeps a window open for this long after the watermark
	// passed its end, delaying its first result. Default 0: the first result
	// goes out as soon as the watermark passes the end, and later events
	// correct it.
	AllowedLateness time.Duration
	// CorrectionHorizon is how long after its close (in watermark time) a
	// window still takes late events, each batch of them publishing a new
	// revision. Its state is kept that long. Default 24h; negative means
	// never: every late event is dropped and counted.
	CorrectionHorizon time.Duration
	// IdleTimeout closes the windows of a tenant that sent nothing for this
	// long (processing time), as if its watermark were now-OutOfOrderness.
	// Default 2m.
	IdleTimeout time.Duration
	// DedupHorizon is how far behind the close frontier (in event time) event
	// ids are remembered. Default and minimum: CorrectionHorizon plus the
	// longest window, which covers every event that could still change a
	// window.
	DedupHorizon time.Duration
	// MaxTenants caps the tenants of one engine. Default 100,000.
	MaxTenants int
	// MaxWindowsPerTenant caps a tenant's live panes, open or kept for
	// corrections (a tumbling window is one pane). Default 4096, which the
	// default windows need about 1,800 of at a 24h correction horizon.
	MaxWindowsPerTenant int
	// MaxDedupIDsPerTenant caps remembered event ids per tenant (about 20
	// bytes each). Default 2^21.
	MaxDedupIDsPerTenant int
	// DefaultZone is the time zone of calendar-day windows. Default UTC.
	DefaultZone *time.Location
	// Zones overrides DefaultZone per tenant id.
	Zones map[string]*time.Location
	// TenantZone, when set, is asked for a tenant's calendar (a Zone with
	// no Loc falls back to Zones and DefaultZone). It is read when a tenant
	// starts and again on every Advance, so a change of zone (tenant
	// settings) reaches the windows without a restart, at the day boundary
	// the Zone says. In distributed mode it is read on every event: every
	// replica must return the same Zone (sinks/postgres settings do).
	TenantZone func(tenant string) Zone
	// Store holds the aggregates. Default a new MemStore.
	Store Store
	// Distributed, when set, keeps every piece of tenant state in a shared
	// Remote instead (Store must then be nil); see doc.go. Caps on tenants,
	// windows and dedup ids are the Remote's business there.
	Distributed *Distributed
	// WatermarkLag, when set, is called by Advance with processing time
	// minus the watermark of every tenant that sent an event within
	// IdleTimeout (see lag.go). It runs on the engine's goroutine and must
	// not block. For metrics: a histogram, never a label per tenant.
	WatermarkLag func(lag time.Duration)
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.Windows == nil {
		c.Windows = DefaultWindows
	}
	if c.OutOfOrderness == 0 {
		c.OutOfOrderness = DefaultOutOfOrderness
	}
	if c.CorrectionHorizon == 0 {
		c.CorrectionHorizon = DefaultCorrectionHorizon
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxTenants == 0 {
		c.MaxTenants = DefaultMaxTenants
	}
	if c.MaxWindowsPerTenant == 0 {
		c.MaxWindowsPerTenant = DefaultMaxWindowsPerTenant
	}
	if c.MaxDedupIDsPerTenant == 0 {
		c.MaxDedupIDsPerTenant = DefaultMaxIDsPerTenant
	}
	if c.DefaultZone == nil {
		c.DefaultZone = time.UTC
	}
	if min := c.minDedupHorizon(); c.DedupHorizon == 0 {
		c.DedupHorizon = min
	}
	return c
}

func (c *Config) minDedupHorizon() time.Duration {
	var longest time.Duration
	for _, w := range c.Windows {
		s := w.Size
		if w.Calendar {
			s = 25 * time.Hour
		}
		longest = max(longest, s)
	}
	return max(c.CorrectionHorizon, 0) + longest
}

// Validate reports every problem of c (after defaults) at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.Windows) == 0 {
		errs = append(errs, errors.New("windows: at least one window is needed"))
	}
	grids := map[gridKey]bool{}
	labels := map[string]bool{}
	for i, w := range c.Windows {
		switch {
		case w.Calendar && (w.Size != day || w.slide() != day):
			errs = append(errs, fmt.Errorf("windows[%d]: a calendar window is one day: size and slide 24h", i))
		case w.Size <= 0:
			errs = append(errs, fmt.Errorf("windows[%d]: size %s must be positive", i, w.Size))
		case w.Slide < 0 || w.slide() > w.Size:
			errs = append(errs, fmt.Errorf("windows[%d]: slide %s must be in (0, size %s]", i, w.Slide, w.Size))
		case w.Size/w.pane() > maxWindowsPerPane:
			errs = append(errs, fmt.Errorf("windows[%d]: size/gcd(size, slide) is %d, limit %d", i, w.Size/w.pane(), maxWindowsPerPane))
		default:
			grids[gridKey{w.pane(), w.Calendar}] = true
			if labels[w.Label()] {
				errs = append(errs, fmt.Errorf("windows[%d]: window %s is listed twice", i, w.Label()))
			}
			labels[w.Label()] = true
		}
	}
	if len(grids) > MaxGrids {
		errs = append(errs, fmt.Errorf("windows: %d distinct pane lengths, limit %d", len(grids), MaxGrids))
	}
	if c.OutOfOrderness < 0 {
		errs = append(errs, fmt.Errorf("out-of-orderness %s must not be negative", c.OutOfOrderness))
	}
	if c.AllowedLateness < 0 {
		errs = append(errs, fmt.Errorf("allowed lateness %s must not be negative", c.AllowedLateness))
	}
	if c.IdleTimeout < 0 {
		errs = append(errs, fmt.Errorf("idle timeout %s must not be negative", c.IdleTimeout))
	}
	if c.DedupHorizon < c.minDedupHorizon() {
		errs = append(errs, fmt.Errorf("dedup horizon %s is shorter than the correction horizon plus the longest window (%s)", c.DedupHorizon, c.minDedupHorizon()))
	}
	if c.MaxTenants < 0 {
		errs = append(errs, fmt.Errorf("max tenants %d must not be negative", c.MaxTenants))
	}
	if c.MaxWindowsPerTenant < 0 {
		errs = append(errs, fmt.Errorf("max windows per tenant %d must not be negative", c.MaxWindowsPerTenant))
	}
	if c.MaxDedupIDsPerTenant < 0 {
		errs = append(errs, fmt.Errorf("max dedup ids per tenant %d must not be negative", c.MaxDedupIDsPerTenant))
	}
	if c.Distributed != nil {
		if c.Store != nil {
			errs = append(errs, errors.New("store and distributed are exclusive: the Remote is the store"))
		}
		errs = append(errs, c.Distributed.validate())
	}
	for id, loc := range c.Zones {
		if loc == nil {
			errs = append(errs, fmt.Errorf("zones[%q]: nil location", id))
		}
	}
	return errors.Join(errs...)
}

type gridKey struct {
	pane     time.Duration
	calendar bool
}
