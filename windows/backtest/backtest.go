// Package backtest runs an NDJSON file of order events through the windows
// engine offline (no Pub/Sub) and writes every emitted window revision as an
// events.Insight JSON line. It is what `pulse backtest` runs, and the golden
// scenario tests in testdata/windows run the same code.
//
// Time: the engine's processing time is the largest occurred_at read so far,
// so idle closes, lateness and corrections behave as they would have live,
// and the output depends only on the input. Advance runs whenever that clock
// enters a new second; at end of input every remaining window is flushed.
// An insight's generated_at is that clock, so reruns are byte-identical.
//
// Every line is accounted for: decoded and applied, a duplicate, late, or
// invalid with its reason code (reported through Options.Invalid and counted
// in the Report). Blank lines are skipped and counted.
package backtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/windows"
)

// Target is what a run feeds: the windows engine itself by default, or a
// richer owner of one (the processor's shard state, which adds detectors
// and analytics and emits their insights too). Time is the run's clock.
type Target interface {
	ApplyOrder(o *events.Order, now time.Time) (windows.ApplyResult, error)
	Advance(now time.Time) error
	Flush(now time.Time) error
	Stats() windows.Stats
}

// Options configure a run. The zero value uses the default windows.
type Options struct {
	Windows windows.Config
	// MaxClockJump rejects, as occurred_in_future, an event more than this
	// far ahead of every event before it. A history file has no publish
	// times to judge "future" by, and one event dated years ahead would
	// otherwise move the clock past every window and make the rest of the
	// file late. Default 24h; negative disables the check.
	MaxClockJump time.Duration
	// NewTarget, when set, builds the target in place of a bare engine on
	// Windows; it must send every insight it produces to emit, in order.
	NewTarget func(emit func(events.Insight)) (Target, error)
	// Invalid is called for every line that is not applied: a decode
	// rejection (reason = its code) or an engine rejection (reason
	// "rejected_by_windows"). Line numbers start at 1.
	Invalid func(line int, reason events.Reason, err error)
}

// ReasonRejectedByWindows marks a valid event the engine refused (a cap).
const ReasonRejectedByWindows events.Reason = "rejected_by_windows"

// Report counts what a run did.
type Report struct {
	Lines       int
	BlankLines  int
	Applied     int64
	Duplicates  int64
	LateEvents  int64 // applied to windows already emitted
	Dropped     int64 // too late for at least one window
	Invalid     map[events.Reason]int
	Insights    int64
	Corrections int64
	Windows     windows.Stats
}

// InvalidTotal is the number of lines not applied.
func (r *Report) InvalidTotal() int {
	n := 0
	for _, c := range r.Invalid {
		n += c
	}
	return n
}

// String is a one-paragraph summary, invalid reasons sorted.
func (r *Report) String() string {
	s := fmt.Sprintf("%d lines: %d applied, %d duplicates, %d late (corrections), %d too late, %d invalid, %d blank; %d insights (%d corrections)",
		r.Lines, r.Applied, r.Duplicates, r.LateEvents, r.Dropped, r.InvalidTotal(), r.BlankLines, r.Insights, r.Corrections)
	reasons := make([]string, 0, len(r.Invalid))
	for k := range r.Invalid {
		reasons = append(reasons, string(k))
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		s += fmt.Sprintf("; %s=%d", k, r.Invalid[events.Reason(k)])
	}
	return s
}

// decodeNow is the decoder's clock: far in the future, so no event of a
// history file is "in the future"; MaxAge -1 accepts any age.
var decodeNow = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Run reads in to the end, writing insights to out.
func Run(ctx context.Context, in io.Reader, out io.Writer, o Options) (Report, error) {
	rep := Report{Invalid: map[events.Reason]int{}}
	bw := bufio.NewWriterSize(out, 64<<10)
	enc := json.NewEncoder(bw)
	var writeErr error
	emit := func(in events.Insight) {
		if writeErr != nil {
			return
		}
		rep.Insights++
		if in.Kind == events.KindWindowCorrection {
			rep.Corrections++
		}
		writeErr = enc.Encode(in)
	}
	newTarget := o.NewTarget
	if newTarget == nil {
		newTarget = func(emit func(events.Insight)) (Target, error) { return NewEngineTarget(o.Windows, emit) }
	}
	e, err := newTarget(emit)
	if err != nil {
		return rep, err
	}
	dec := events.NewDecoder(events.Limits{MaxAge: -1})
	jump := o.MaxClockJump
	if jump == 0 {
		jump = 24 * time.Hour
	}
	var clock time.Time
	invalid := func(line int, reason events.Reason, err error) {
		rep.Invalid[reason]++
		if o.Invalid != nil {
			o.Invalid(line, reason, err)
		}
	}
	br := bufio.NewReaderSize(in, 64<<10)
	maxLine := events.DefaultMaxPayloadBytes
	lastSecond := int64(math.MinInt64)
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		line, raw, tooLong, rerr := readLine(br, maxLine)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return rep, fmt.Errorf("read line %d: %w", rep.Lines+1, rerr)
		}
		if raw > 0 {
			rep.Lines++
			switch {
			case tooLong:
				invalid(rep.Lines, events.ReasonPayloadTooLarge, fmt.Errorf("line longer than %d bytes", maxLine))
			case blank(line):
				rep.BlankLines++
			default:
				ord, derr := dec.Decode(line, nil, decodeNow)
				if derr != nil {
					reason, ok := events.ReasonOf(derr)
					if !ok {
						reason = events.ReasonMalformedJSON
					}
					invalid(rep.Lines, reason, derr)
					break
				}
				if !clock.IsZero() && jump > 0 && ord.OccurredAt.After(clock.Add(jump)) {
					invalid(rep.Lines, events.ReasonFutureTimestamp,
						fmt.Errorf("occurred_at %s is more than %s ahead of every earlier event", ord.OccurredAt.Format(time.RFC3339), jump))
					break
				}
				if ord.OccurredAt.After(clock) {
					clock = ord.OccurredAt
				}
				res, aerr := e.ApplyOrder(&ord, clock)
				switch {
				case res.Err != nil:
					invalid(rep.Lines, ReasonRejectedByWindows, res.Err)
				case aerr != nil:
					return rep, fmt.Errorf("line %d: %w", rep.Lines, aerr)
				case res.Duplicate:
					rep.Duplicates++
				default:
					rep.Applied++
					if res.Late > 0 {
						rep.LateEvents++
					}
					if res.Dropped > 0 {
						rep.Dropped++
					}
				}
				if s := clock.Unix(); s != lastSecond {
					lastSecond = s
					if err := e.Advance(clock); err != nil {
						return rep, err
					}
				}
			}
		}
		if writeErr != nil {
			return rep, fmt.Errorf("write insights: %w", writeErr)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
	}
	if err := e.Flush(clock); err != nil {
		return rep, err
	}
	if writeErr != nil {
		return rep, fmt.Errorf("write insights: %w", writeErr)
	}
	rep.Windows = e.Stats()
	return rep, bw.Flush()
}

// EngineTarget is the default target: a bare windows engine whose closes
// become window insights stamped with the run's clock.
type EngineTarget struct {
	e    *windows.Engine
	emit func(events.Insight)
	now  time.Time
}

// NewEngineTarget builds an engine on cfg that emits to emit.
func NewEngineTarget(cfg windows.Config, emit func(events.Insight)) (*EngineTarget, error) {
	e, err := windows.NewEngine(cfg)
	if err != nil {
		return nil, err
	}
	return &EngineTarget{e: e, emit: emit}, nil
}

// ApplyOrder applies one order.
func (t *EngineTarget) ApplyOrder(o *events.Order, now time.Time) (windows.ApplyResult, error) {
	return t.e.Apply(o, now)
}

// Advance emits what now closes.
func (t *EngineTarget) Advance(now time.Time) error {
	t.now = now
	return t.e.Advance(now, t.closed)
}

// Flush emits every open window.
func (t *EngineTarget) Flush(now time.Time) error {
	t.now = now
	return t.e.Flush(t.closed)
}

// Stats are the engine's counters.
func (t *EngineTarget) Stats() windows.Stats { return t.e.Stats() }

func (t *EngineTarget) closed(c windows.Closed) { t.emit(c.Insight(t.now)) }

// readLine returns the next line without its newline and how many bytes it
// took (0 only at the end). A line longer than max is consumed and reported
// as tooLong.
func readLine(br *bufio.Reader, max int) (line []byte, raw int, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		raw += len(chunk)
		if len(line)+len(chunk) > max+2 {
			tooLong = true
			line = line[:0]
		} else {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
			line = line[:len(line)-1]
		}
		return line, raw, tooLong, err
	}
}

func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
