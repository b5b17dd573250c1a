package bigquery

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// faultProxy stands between the writer and the emulator. It records the
// insert ids of every insertAll the emulator answered 200 (so they are
// stored), and can lose responses: forward the insert, then tell the client
// 503, as a network cut after the write would.
type faultProxy struct {
	srv      *httptest.Server
	mu       sync.Mutex
	stored   map[string]bool
	loseNext atomic.Int32 // responses still to lose
	failures atomic.Int64 // inserts the client saw fail
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{stored: map[string]bool{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = nil
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		p.failures.Add(1)
		w.WriteHeader(http.StatusBadGateway) // the emulator is down
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/insertAll") {
			rp.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req struct {
			Rows []struct {
				InsertID string `json:"insertId"`
			} `json:"rows"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			p.mu.Lock()
			for _, row := range req.Rows {
				p.stored[row.InsertID] = true
			}
			p.mu.Unlock()
			if p.loseNext.Add(-1) >= 0 {
				p.failures.Add(1)
				http.Error(w, `{"error":{"code":503,"message":"response lost"}}`, http.StatusServiceUnavailable)
				return
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) isStored(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stored[id]
}

// TestEmulatorOutage kills the emulator mid-stream, restarts it on the same
// ports and database, then loses a few insert responses: no acknowledged
// row may be missing, nothing may be acknowledged before the emulator
// stored it, the backlog must drain, and the dedup view must count each
// event once despite the retried inserts.
func TestEmulatorOutage(t *testing.T) {
	e := startEmulator(t, "pulse")
	ctx := context.Background()
	c := e.client(t)
	if err := Init(ctx, c, e.config(), testLogger(t)); err != nil {
		t.Fatal(err)
	}
	proxy := newFaultProxy(t, e.URL)
	cfg := e.config()
	cfg.Endpoint = proxy.srv.URL
	cfg.Batch = BatchPolicy{MaxRows: 25, MaxAge: 10 * time.Millisecond, Workers: 2}
	cfg.Retry = RetryPolicy{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, MaxAttempts: 1000, AttemptTimeout: 2 * time.Second}
	w, err := New(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	orders := genOrders(9, 400, time.Now().UTC())
	deliveries := withDuplicates(10, orders)

	var acked atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- deliver(t, w, deliveries, func(o *events.Order) {
			if !proxy.isStored(o.EventID) {
				t.Errorf("%s acknowledged before the emulator stored it", o.EventID)
			}
			acked.Add(1)
		})
	}()

	waitFor(t, func() bool { return acked.Load() >= int64(len(deliveries)/4) })
	e.Stop()
	failuresAtStop := proxy.failures.Load()
	// Wait until writes have hit the outage, then bring it back.
	waitFor(t, func() bool { return proxy.failures.Load() >= failuresAtStop+3 })
	proxy.loseNext.Store(3)
	e.Restart(t)

	if err := <-done; err != nil {
		t.Fatalf("a write failed instead of riding out the outage: %v", err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := acked.Load(); n != int64(len(deliveries)) {
		t.Fatalf("%d of %d deliveries acknowledged", n, len(deliveries))
	}
	st := w.Stats()
	if st.Retries == 0 || proxy.loseNext.Load() >= 0 {
		t.Errorf("the faults did not bite: stats %+v, responses still to lose %d", st, proxy.loseNext.Load())
	}
	unique := map[string]bool{}
	for _, o := range orders {
		unique[o.EventID] = true
	}
	rows := query(t, c, "SELECT event_id FROM pulse.orders_dedup")
	got := map[string]bool{}
	for _, r := range rows {
		id := r["event_id"].(string)
		if got[id] {
			t.Errorf("%s twice in orders_dedup", id)
		}
		got[id] = true
	}
	for id := range unique {
		if !got[id] {
			t.Errorf("%s lost", id)
		}
	}
	if len(got) != len(unique) {
		t.Errorf("orders_dedup has %d events, want %d", len(got), len(unique))
	}
	raw := query(t, c, "SELECT COUNT(*) AS n FROM pulse.orders")[0]["n"].(int64)
	t.Logf("%d deliveries of %d events; raw rows %d; %d inserts failed at the client; stats %+v", len(deliveries), len(unique), raw, proxy.failures.Load(), st)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 60s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
