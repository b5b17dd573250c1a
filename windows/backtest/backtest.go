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

// Options configure a run. The zero value uses the default windows.
type Options struct {
	Windows windows.Config
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
	e, err := windows.NewEngine(o.Windows)
	if err != nil {
		return rep, err
	}
	dec := events.NewDecoder(events.Limits{MaxAge: -1})
	bw := bufio.NewWriterSize(out, 64<<10)
	enc := json.NewEncoder(bw)
	var clock time.Time
	var writeErr error
	emit := func(c windows.Closed) {
		if writeErr != nil {
			return
		}
		rep.Insights++
		if c.Revision > 1 {
			rep.Corrections++
		}
		writeErr = enc.Encode(c.Insight(clock))
	}
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
				if ord.OccurredAt.After(clock) {
					clock = ord.OccurredAt
				}
				res, aerr := e.Apply(&ord, clock)
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
					if err := e.Advance(clock, emit); err != nil {
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
	if err := e.Flush(emit); err != nil {
		return rep, err
	}
	if writeErr != nil {
		return rep, fmt.Errorf("write insights: %w", writeErr)
	}
	rep.Windows = e.Stats()
	return rep, bw.Flush()
}

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
