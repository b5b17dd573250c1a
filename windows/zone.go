package windows

import (
	"errors"
	"time"
)

// Zone is a tenant's calendar: the time zone of its daily windows, and,
// after a change of zone, the zone before it and when the change applies.
//
// A change never moves a day that may already hold events. It applies at
// Switch: the first midnight of the Previous zone at or after Since (the
// caller puts Since far enough after the change was saved that every
// replica has read it, see sinks/postgres). Days that start before Switch
// are days of Previous; the day from Switch to the first midnight of Loc
// after it is a transition day (shorter or longer than 24 hours, like a
// DST day); then days are days of Loc. Every replica that reads the same
// Zone cuts the same days.
type Zone struct {
	Loc *time.Location
	// Previous is the zone before the latest change; nil when there was
	// none.
	Previous *time.Location
	// Since is the earliest moment the change may apply.
	Since time.Time
}

// Switch is when days of Loc begin (the transition day's start); zero
// without a change.
func (z Zone) Switch() int64 {
	if z.Previous == nil {
		return 0
	}
	since := z.Since.UnixNano()
	start, end := dayIn(z.Previous, since)
	if start == since {
		return since
	}
	return end
}

// Day returns the calendar day holding t (Unix ns): [start, end).
func (z Zone) Day(t int64) (start, end int64) {
	if z.Previous == nil {
		return dayIn(z.Loc, t)
	}
	sw := z.Switch()
	if t < sw {
		return dayIn(z.Previous, t)
	}
	start, end = dayIn(z.Loc, t)
	return max(start, sw), end
}

func (z Zone) equal(o Zone) bool {
	return z.Loc == o.Loc && z.Previous == o.Previous && z.Since.Equal(o.Since)
}

func (z Zone) validate() error {
	if z.Loc == nil {
		return errors.New("nil location")
	}
	return nil
}

func dayIn(loc *time.Location, t int64) (start, end int64) {
	y, m, dd := time.Unix(0, t).In(loc).Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc).UnixNano(), time.Date(y, m, dd+1, 0, 0, 0, 0, loc).UnixNano()
}

// zoneFor is tenant id's calendar now: Config.TenantZone, else Zones, else
// DefaultZone.
func (e *Engine) zoneFor(id string) Zone {
	if e.cfg.TenantZone != nil {
		if z := e.cfg.TenantZone(id); z.validate() == nil {
			return z
		}
	}
	if z := e.cfg.Zones[id]; z != nil {
		return Zone{Loc: z}
	}
	return Zone{Loc: e.cfg.DefaultZone}
}

// refreshZone picks up a change of the tenant's zone (TenantZone).
func (e *Engine) refreshZone(tn *tenant) {
	if e.cfg.TenantZone == nil {
		return
	}
	if z := e.zoneFor(tn.id); !z.equal(tn.zone) {
		tn.zone = z
		tn.dayStart, tn.dayEnd = 0, 0
	}
}
