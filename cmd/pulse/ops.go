package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// readiness is a named check for /readyz: nil means ready.
type readiness struct {
	name  string
	check func(ctx context.Context) error
}

// opsServer serves /healthz, /readyz, /metrics and, when enabled, pprof.
type opsServer struct {
	srv      *http.Server
	ln       net.Listener
	registry *prometheus.Registry

	mu     sync.Mutex
	checks []readiness
	app    http.Handler // the API and dashboard, when served here
}

func newOpsServer(addr string, withPprof bool, log zerolog.Logger) (*opsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http listen on %s: %w", addr, err)
	}
	o := &opsServer{ln: ln, registry: prometheus.NewRegistry()}
	o.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", o.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.registry, promhttp.HandlerOpts{Registry: o.registry}))
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	// Everything else (the API under /v1, the dashboard at /) goes to the
	// app handler once mounted; the probes stay unauthenticated.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		app := o.app
		o.mu.Unlock()
		if app == nil {
			http.NotFound(w, r)
			return
		}
		app.ServeHTTP(w, r)
	})
	o.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := o.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Msg("ops http server stopped")
		}
	}()
	log.Info().Str("addr", ln.Addr().String()).Bool("pprof", withPprof).Msg("ops http: /healthz /readyz /metrics")
	return o, nil
}

// Addr is the address the server listens on.
func (o *opsServer) Addr() string { return o.ln.Addr().String() }

// mount serves h for every path the probes do not own.
func (o *opsServer) mount(h http.Handler) {
	o.mu.Lock()
	o.app = h
	o.mu.Unlock()
}

func (o *opsServer) addCheck(name string, check func(ctx context.Context) error) {
	o.mu.Lock()
	o.checks = append(o.checks, readiness{name, check})
	o.mu.Unlock()
}

func (o *opsServer) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	o.mu.Lock()
	checks := append([]readiness(nil), o.checks...)
	o.mu.Unlock()
	results := make(map[string]string, len(checks))
	ok := len(checks) > 0
	for _, c := range checks {
		if err := c.check(ctx); err != nil {
			results[c.name] = err.Error()
			ok = false
		} else {
			results[c.name] = "ok"
		}
	}
	names := make([]string, 0, len(results))
	for n := range results {
		names = append(names, n)
	}
	sort.Strings(names)
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ok, "checks": results}) // client gone: nothing to do
}

func (o *opsServer) shutdown(ctx context.Context) error {
	return o.srv.Shutdown(ctx)
}
