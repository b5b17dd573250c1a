package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	json "github.com/goccy/go-json"
	"github.com/schollz/progressbar/v3"
)

// ReplayCmd publishes an NDJSON file of order events to a topic.
type ReplayCmd struct {
	File     string  `arg:"" type:"path" help:"NDJSON file, one order event payload a line ('-' for stdin)."`
	Topic    string  `default:"orders" help:"Topic to publish to (created on an emulator)."`
	Project  string  `env:"PULSE_PROJECT" help:"Google Cloud project (default pulse-local on an emulator)."`
	Real     bool    `help:"Publish to Google Cloud Pub/Sub with default credentials (needs --project)."`
	Rate     float64 `help:"Maximum messages per real second (0: no limit)."`
	OrderKey bool    `name:"order-by-tenant" help:"Use tenant_id as the ordering key (1 MB/s per key)."`
	Quiet    bool    `help:"No progress bar."`
}

// maxLine is the longest line replay accepts: Pub/Sub's 10 MB message limit.
const maxLine = 10 << 20

// Run publishes every non-empty line as one message.
func (c *ReplayCmd) Run(g *Globals) error {
	in, size, err := openInput(c.File)
	if err != nil {
		return err
	}
	defer in.Close() // read-only: a close error cannot lose data
	conn, err := connectPublisher(g.Ctx, c.Project, c.Real)
	if err != nil {
		return err
	}
	if conn.Endpoint != "" {
		if err := conn.EnsureTopic(g.Ctx, c.Topic); err != nil {
			return errors.Join(err, conn.Close())
		}
	}
	var bar *progressbar.ProgressBar
	if !c.Quiet {
		bar = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("replay "+c.Topic),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("B"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	bp := newBulkPublisher(conn.Client, c.Topic, bulkOptions{OrderByTenant: c.OrderKey})
	began := time.Now()
	tally, err := replay(g.Ctx, in, bp, c.Rate, bar)
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(g.Ctx), time.Minute)
	defer cancel()
	stats, cerr := bp.Close(closeCtx)
	if bar != nil {
		// The bar only draws; a failed redraw on stderr changes nothing.
		_ = bar.Finish()
	}
	elapsed := time.Since(began)
	fmt.Fprintf(os.Stderr, "replayed %d lines (%d without attributes: not JSON objects) to %s: %d published, %d failed, %d bytes in %s (%.0f msg/s)\n",
		tally.lines, tally.bare, conn.TopicName(c.Topic), stats.Published, stats.Failed, stats.Bytes,
		elapsed.Round(time.Millisecond), float64(stats.Published)/max(elapsed.Seconds(), 1e-9))
	return errors.Join(err, cerr, conn.Close())
}

func openInput(path string) (io.ReadCloser, int64, error) {
	if path == "-" {
		return io.NopCloser(os.Stdin), -1, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, 0, errors.Join(err, f.Close())
	}
	return f, st.Size(), nil
}

type replayTally struct{ lines, bare int }

// messagePublisher is what replay needs of a publisher.
type messagePublisher interface {
	Publish(ctx context.Context, data []byte, attrs map[string]string) error
}

// replay publishes each non-empty line of r, with attributes derived from
// the line, at most rate a second. It stops at the end of r, on the first
// error, or when ctx ends (an interrupted replay is not a failure).
func replay(ctx context.Context, r io.Reader, pub messagePublisher, rate float64, bar *progressbar.ProgressBar) (replayTally, error) {
	var t replayTally
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	var timer *time.Timer
	began := time.Now()
	for sc.Scan() {
		line := sc.Bytes()
		if bar != nil {
			// Drawing errors do not affect publishing.
			_ = bar.Add(len(line) + 1)
		}
		if len(line) == 0 {
			continue
		}
		if rate > 0 {
			due := began.Add(time.Duration(float64(t.lines) / rate * float64(time.Second)))
			if d := time.Until(due); d > time.Millisecond {
				if timer == nil {
					timer = time.NewTimer(d)
					defer timer.Stop()
				} else {
					timer.Reset(d)
				}
				select {
				case <-timer.C:
				case <-ctx.Done():
					return t, nil
				}
			}
		}
		data := append([]byte(nil), line...) // the scanner reuses its buffer
		attrs := deriveAttributes(data)
		if attrs == nil {
			t.bare++
		}
		t.lines++
		if err := pub.Publish(ctx, data, attrs); err != nil {
			if ctx.Err() != nil {
				return t, nil
			}
			return t, fmt.Errorf("line %d: %w", t.lines, err)
		}
	}
	if err := sc.Err(); err != nil {
		return t, fmt.Errorf("read line %d: %w", t.lines+1, err)
	}
	return t, nil
}

// deriveAttributes are the attributes a producer would set for payload:
// tenant_id, event_type and schema_version, each if the payload has it. A
// payload that is not a JSON object of the right field types gets none, so
// the processor dead-letters it for what it is rather than for a mismatch.
func deriveAttributes(payload []byte) map[string]string {
	var w struct {
		SchemaVersion json.RawMessage `json:"schema_version"`
		TenantID      *string         `json:"tenant_id"`
		EventType     *string         `json:"event_type"`
	}
	if err := json.Unmarshal(payload, &w); err != nil {
		return nil
	}
	attrs := make(map[string]string, 3)
	if w.TenantID != nil {
		attrs["tenant_id"] = *w.TenantID
	}
	if w.EventType != nil {
		attrs["event_type"] = *w.EventType
	}
	if v := w.SchemaVersion; len(v) > 0 && string(v) != "null" {
		if s, err := strconv.Unquote(string(v)); err == nil {
			attrs["schema_version"] = s
		} else {
			attrs["schema_version"] = string(v)
		}
	}
	return attrs
}
