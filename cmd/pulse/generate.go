package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/sinks/pubsub"
)

// GenerateCmd generates order traffic to a topic or an NDJSON file.
type GenerateCmd struct {
	Tenants   int           `default:"20" help:"Number of tenants (a few large, a long tail of small)."`
	Seed      uint64        `default:"1" help:"Random seed; equal flags (with --start) give equal output."`
	Start     time.Time     `help:"Start of simulated time (RFC 3339). Default: now minus --duration, so the traffic ends now."`
	Duration  time.Duration `default:"168h" help:"Simulated time span."`
	Live      time.Duration `help:"After the backfill up to now, keep generating in real time for this long."`
	Events    int           `help:"Stop after this many messages (0: at the end of --duration)."`
	Speed     float64       `help:"Simulated seconds per real second (0: as fast as possible)."`
	Rate      float64       `help:"Maximum messages per real second (0: no limit)."`
	Malformed float64       `default:"0.01" help:"Share of malformed events."`
	Dupes     float64       `name:"duplicates" default:"0.02" help:"Share of valid events delivered twice."`
	Anomalies float64       `default:"1" help:"Anomalies per busy tenant per simulated week."`
	Out       string        `type:"path" placeholder:"FILE" help:"Write NDJSON (one payload a line) to FILE ('-' for stdout) instead of publishing."`
	Labels    string        `type:"path" placeholder:"FILE" help:"Write the injected anomalies as JSON to FILE."`
	Topic     string        `default:"orders" help:"Topic to publish to (created on an emulator)."`
	Project   string        `env:"PULSE_PROJECT" help:"Google Cloud project (default pulse-local on an emulator)."`
	Real      bool          `help:"Publish to Google Cloud Pub/Sub with default credentials (needs --project)."`
	OrderKey  bool          `name:"order-by-tenant" help:"Use tenant_id as the ordering key (1 MB/s per key)."`
}

// config maps flags onto the generator's config; now is the real clock.
func (c *GenerateCmd) config(now time.Time) eventgen.Config {
	share := func(v float64) float64 {
		if v == 0 {
			return -1 // the flag's 0 means none; the config's 0 means default
		}
		return v
	}
	cfg := eventgen.Config{
		Seed: c.Seed, Tenants: c.Tenants, Start: c.Start, Now: now,
		Backfill: c.Duration, Duration: c.Duration + c.Live, MaxEvents: c.Events,
		MalformedShare: share(c.Malformed), DuplicateShare: share(c.Dupes), AnomalyRate: share(c.Anomalies),
		PayloadOnly: c.Out != "",
	}
	if c.Tenants == 0 {
		cfg.Tenants = -1 // let Validate say so
	}
	return cfg
}

// Run generates and writes or publishes until the span, --events or the
// context ends.
func (c *GenerateCmd) Run(g *Globals) error {
	ctx, log := g.Ctx, g.Log
	gen, err := eventgen.New(c.config(time.Now()))
	if err != nil {
		return fmt.Errorf("generator config: %w", err)
	}
	if c.Labels != "" {
		if err := writeLabels(c.Labels, gen.Labels()); err != nil {
			return err
		}
	}
	pacer := &eventgen.Pacer{Speed: c.Speed, Rate: c.Rate, Live: c.Live > 0}
	var tally generateTally
	began := time.Now()
	if c.Out != "" {
		err = c.toFile(ctx, gen, pacer, &tally)
	} else {
		err = c.toTopic(ctx, g, gen, pacer, &tally)
	}
	elapsed := time.Since(began)
	log.Info().Int("messages", tally.Messages).Int("valid", tally.Valid).Int("malformed", tally.Malformed).
		Int("duplicates", tally.Duplicates).Int("late", tally.Late).Int("anomalies", len(gen.Labels())).
		Time("sim_start", gen.Start()).Time("sim_end", gen.End()).Dur("elapsed", elapsed).
		Float64("per_second", float64(tally.Messages)/max(elapsed.Seconds(), 1e-9)).
		Msg("generated")
	return err
}

type generateTally struct{ Messages, Valid, Malformed, Duplicates, Late int }

func (t *generateTally) add(m *eventgen.Message) {
	t.Messages++
	switch {
	case m.Duplicate:
		t.Duplicates++
	case m.Expect != "":
		t.Malformed++
	default:
		t.Valid++
	}
	if m.Late {
		t.Late++
	}
}

func (c *GenerateCmd) toFile(ctx context.Context, gen *eventgen.Generator, pacer *eventgen.Pacer, tally *generateTally) error {
	var w io.Writer = os.Stdout
	var f *os.File
	if c.Out != "-" {
		var err error
		if f, err = os.Create(c.Out); err != nil {
			return err
		}
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	err := pump(ctx, gen, pacer, time.Now, func(_ context.Context, m *eventgen.Message) error {
		tally.add(m)
		if _, err := bw.Write(m.Payload); err != nil {
			return err
		}
		return bw.WriteByte('\n')
	})
	err = errors.Join(err, bw.Flush())
	if f != nil {
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", c.Out, err)
	}
	return nil
}

func (c *GenerateCmd) toTopic(ctx context.Context, g *Globals, gen *eventgen.Generator, pacer *eventgen.Pacer, tally *generateTally) error {
	conn, err := connectPublisher(ctx, c.Project, c.Real)
	if err != nil {
		return err
	}
	if conn.Endpoint != "" {
		if err := conn.EnsureTopic(ctx, c.Topic); err != nil {
			return errors.Join(err, conn.Close())
		}
	}
	g.Log.Info().Str("mode", conn.Mode()).Str("endpoint", conn.Endpoint).Str("topic", conn.TopicName(c.Topic)).Msg("publishing")
	bp := newBulkPublisher(conn.Client, c.Topic, bulkOptions{OrderByTenant: c.OrderKey})
	err = pump(ctx, gen, pacer, time.Now, func(ctx context.Context, m *eventgen.Message) error {
		tally.add(m)
		return bp.Publish(ctx, m.Payload, m.Attributes)
	})
	// Drain with a bound even when ctx was cancelled: what was sent is kept.
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	stats, cerr := bp.Close(closeCtx)
	g.Log.Info().Int64("published", stats.Published).Int64("failed", stats.Failed).Int64("bytes", stats.Bytes).Msg("publish totals")
	return errors.Join(err, cerr, conn.Close())
}

// errNoPubSub explains how to give a standalone publisher somewhere to
// publish: an embedded server would vanish with the process.
var errNoPubSub = errors.New("no Pub/Sub to publish to: set PUBSUB_EMULATOR_HOST=host:port of an emulator (such as `pulse pubsub-emulator`), " +
	"or pass --project with --real for Google Cloud Pub/Sub" +
	" (pulse generate can also write a file with --out)")

// connectPublisher connects to an emulator or, with real, to Google Cloud;
// never to an embedded server.
func connectPublisher(ctx context.Context, project string, real bool) (*pubsub.Conn, error) {
	if real && project == "" {
		return nil, errors.New("--real needs --project")
	}
	if !real && os.Getenv("PUBSUB_EMULATOR_HOST") == "" {
		return nil, errNoPubSub
	}
	return pubsub.Connect(ctx, pubsub.Config{ProjectID: project, Real: real})
}

// pump sends gen's messages to send, each when pacer says. It stops at the
// generator's end, on send's first error, or when ctx ends (returning nil
// then: an interrupted generator is not a failure).
func pump(ctx context.Context, gen *eventgen.Generator, pacer *eventgen.Pacer, now func() time.Time,
	send func(context.Context, *eventgen.Message) error) error {
	var timer *time.Timer
	for {
		m, ok := gen.Next()
		if !ok {
			return nil
		}
		// Waits under a millisecond are not worth a timer; the pacer's due
		// times are absolute, so skipping them does not drift.
		if d := pacer.Delay(m.PublishAt, now()); d > time.Millisecond {
			if timer == nil {
				timer = time.NewTimer(d)
				defer timer.Stop()
			} else {
				timer.Reset(d)
			}
			select {
			case <-timer.C:
			case <-ctx.Done():
				return nil
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		if err := send(ctx, &m); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

func writeLabels(path string, labels []eventgen.Label) error {
	if labels == nil {
		labels = []eventgen.Label{}
	}
	b, err := json.MarshalIndent(labels, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write labels: %w", err)
	}
	return nil
}
