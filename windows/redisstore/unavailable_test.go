package redisstore

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/redisstore/redistest"
)

// proxy is a TCP proxy to Redis that the test can stop, start, or make
// swallow replies (the server runs a command, the client never hears).
type proxy struct {
	t     *testing.T
	addr  string
	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
	mute  bool // drop replies
	wg    sync.WaitGroup
}

func newProxy(t *testing.T) *proxy {
	p := &proxy{t: t}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() { p.stop(); p.wg.Wait() })
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", redistest.Addr())
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); up.Close() }() // ends when either side closes
			go func() {
				defer p.wg.Done()
				defer c.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := up.Read(buf)
					if n > 0 && !p.muted() {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
}

// stop closes the listener and every connection: Redis is "down".
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) muted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mute
}

// setMute makes the proxy drop (or pass again) every reply: commands still
// reach Redis and run.
func (p *proxy) setMute(m bool) {
	p.mu.Lock()
	p.mute = m
	p.mu.Unlock()
}

// start listens again on the same address.
func (p *proxy) start() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

func (p *proxy) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: p.addr, MaxRetries: -1, DialTimeout: 500 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, PoolSize: 2})
}

// While Redis is unreachable (or its replies are lost) a batch fails and
// the caller keeps the messages unacked; once Redis is back the retried
// batch counts every event exactly once, whether or not the failed
// attempt ran on the server.
func TestRedisUnavailable(t *testing.T) {
	redistest.Require(t)
	px := newProxy(t)
	c := px.client()
	defer c.Close()
	prefix := redistest.Prefix(t)
	s := openStore(t, Config{Client: c, Prefix: prefix, OpTimeout: time.Second})
	direct := openStore(t, Config{Prefix: prefix}) // reads the truth around the proxy

	batch := func(first uint64, n int) []windows.Update {
		var b []windows.Update
		for i := range n {
			b = append(b, windows.Update{Tenant: "t", EventKey: first + uint64(i), At: 0, Currency: "USD",
				Delta: windows.Delta{Orders: 1, Customer: first + uint64(i)*7919}, Grids: 1})
		}
		return b
	}
	orders := func() int64 {
		var tot windows.Totals
		if err := direct.Read("t", 0, []int64{0}, &tot); err != nil {
			t.Fatal(err)
		}
		if len(tot.Aggs) == 0 {
			return 0
		}
		return tot.Aggs[0].Orders
	}
	retry := func(b []windows.Update) []bool {
		dup := make([]bool, len(b))
		for attempt := 0; ; attempt++ {
			err := s.Apply(b, dup)
			if err != nil && attempt == 20 {
				t.Fatalf("redis not back after %d attempts: %v", attempt, err)
			}
			if err == nil {
				return dup
			}
			// a pooled connection may have died with the proxy: a fresh one follows
			if !errors.Is(err, io.EOF) && !isNetErr(err) {
				t.Fatalf("retry: %v", err)
			}
		}
	}

	// Down: Apply fails, nothing applied.
	px.stop()
	b1 := batch(1, 50)
	if err := s.Apply(b1, make([]bool, len(b1))); err == nil {
		t.Fatal("apply succeeded with redis down")
	}
	if n := orders(); n != 0 {
		t.Fatalf("%d orders applied while down", n)
	}
	px.start()
	if dup := retry(b1); dup[0] || dup[49] {
		t.Fatal("retried batch reported duplicates")
	}
	if n := orders(); n != 50 {
		t.Fatalf("orders %d after the retry, want 50", n)
	}

	// Replies lost: the script ran but the client saw an error.
	if err := c.Ping(context.Background()).Err(); err != nil { // a live, handshaken connection
		t.Fatal(err)
	}
	px.setMute(true)
	b2 := batch(1000, 30)
	if err := s.Apply(b2, make([]bool, len(b2))); err == nil {
		t.Fatal("apply succeeded without a reply")
	}
	if n := orders(); n != 80 {
		t.Fatalf("orders %d: the muted attempt did not run on the server, the test proves nothing", n)
	}
	px.stop()
	px.setMute(false)
	px.start()
	dup := retry(b2)
	for i, d := range dup {
		if !d {
			t.Fatalf("update %d applied twice after a lost reply", i)
		}
	}
	if n := orders(); n != 80 {
		t.Fatalf("orders %d, want 80: a batch was lost or counted twice", n)
	}
	// And the engine in distributed mode reports a Redis failure as an
	// error of ApplyBatch (the ingest handler nacks).
	px.stop()
	cfg := distConfig()
	cfg.Distributed = &windows.Distributed{Remote: s, Leases: staticLeases{}, Shards: testShards}
	e, err := windows.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := genStream(9, 1)[0].events
	if err := e.ApplyBatch(o, time.Now(), make([]windows.ApplyResult, len(o))); err == nil {
		t.Fatal("engine applied with redis down")
	}
	if err := e.Advance(time.Now(), func(windows.Closed) {}); err != nil {
		t.Fatalf("advance without leases: %v", err)
	}
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, net.ErrClosed) || errors.Is(err, redis.ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded)
}
