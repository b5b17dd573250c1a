package main

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
)

// tcpProxy forwards a local port to Redis and can cut every connection and
// refuse new ones, as an outage would.
type tcpProxy struct {
	target string
	ln     net.Listener
	addr   string
	mu     sync.Mutex
	conns  []net.Conn
	down   bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{target: target, ln: ln, addr: ln.Addr().String()}
	t.Cleanup(func() { p.setDown(true); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			down := p.down
			p.mu.Unlock()
			if down {
				c.Close()
				continue
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }() // copy errors end the pair
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
	return p
}

func (p *tcpProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

// TestRedisOutageMidStream cuts Redis off while traffic flows: messages are
// not acked while the state cannot be written (they are nacked and come
// back), processing resumes when Redis returns, and every window ends with
// its true figures.
func TestRedisOutageMidStream(t *testing.T) {
	_, prefix := requireRedis(t)
	proxy := newTCPProxy(t, "127.0.0.1:6379")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testRunConfig(t)
	cfg.Streams = 8
	cfg.IdleTimeout = time.Second
	cfg.State, cfg.RedisURL, cfg.RedisPrefix, cfg.LeaseShards, cfg.LeaseTTL = "redis", "redis://"+proxy.addr+"/0", prefix, 8, 3*time.Second
	p, err := startPipeline(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.shutdown(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Error(err)
		}
	}()
	metrics := subscribeAll(t, ctx, p, cfg.MetricsTopic, "test-metrics")

	gen, err := eventgen.New(eventgen.Config{Seed: 29, Tenants: 5, Now: time.Now().Add(-2 * time.Hour), Duration: 6 * time.Hour,
		MaxEvents: 3000, LateShare: -1, MalformedShare: -1})
	if err != nil {
		t.Fatal(err)
	}
	truth := eventgen.NewTruth(time.Hour)
	published := publishGenerated(t, ctx, p.conn.Client, cfg.OrdersTopic, gen, truth.Add)

	waitFor(t, 60*time.Second, "some messages acked before the outage", func() bool { return p.stats.Acked.Load() > 200 })
	proxy.setDown(true)
	waitFor(t, 30*time.Second, "messages nacked while Redis is down", func() bool { return p.stats.Nacked.Load() > 20 })
	// Messages whose state was written just before the cut may still be
	// finishing their row write; after that, nothing is acked while Redis
	// is down, however long the outage lasts.
	time.Sleep(time.Second)
	ackedDuringOutage := p.stats.Acked.Load()
	time.Sleep(2 * time.Second)
	if got := p.stats.Acked.Load(); got != ackedDuringOutage {
		t.Fatalf("acked %d messages while Redis was down", got-ackedDuringOutage)
	}
	proxy.setDown(false)
	waitFor(t, 120*time.Second, "every message acked after Redis returned", func() bool { return p.stats.Valid.Load() >= published })

	want := truth.Windows()
	waitForTruth(t, metrics, want, 60*time.Second)

	// /metrics saw the state store at work, and the outage as errors.
	m := scrape(t, "http://"+p.ops.Addr()+"/metrics")
	for _, op := range []string{"apply_remote", "tenants", "meta", "panes", "read_window", "begin", "commit", "lease_tick"} {
		if n := m[`pulse_state_store_operations_total{op="`+op+`",outcome="ok"}`]; n == 0 {
			t.Errorf("state store %s: no successful operation counted", op)
		}
		if n := m[`pulse_state_store_operation_duration_seconds_count{op="`+op+`"}`]; n == 0 {
			t.Errorf("state store %s: no latency observed", op)
		}
	}
	if n := m[`pulse_state_store_operations_total{op="apply_remote",outcome="error"}`]; n == 0 {
		t.Error("no failed apply counted while Redis was down")
	}
	// Closes counted by the lease holder are the results on the topic
	// (a close repeated after a failed commit is on the topic twice too).
	waitFor(t, 30*time.Second, "window closes counted equal the results on the topic", func() bool {
		m := scrape(t, "http://"+p.ops.Addr()+"/metrics")
		closes := sumOf(m, "pulse_windows_closed_total", `kind="window.metrics"`)
		return closes > 0 && closes == float64(kindTotal(kindCounts(t, metrics), events.KindWindowMetrics))
	})
}
