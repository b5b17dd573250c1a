package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/api/web"
)

// OpenWindows reports a tenant's windows of a size still open at now, with
// their partial figures, as window.metrics insights oldest first
// (processors.OpenWindows reads them from the windows engine). An error
// means they could not be read: /metrics then says the partial window is
// unavailable rather than showing a guess.
type OpenWindows interface {
	Open(ctx context.Context, tenant, size string, now time.Time) ([]events.Insight, error)
}

// Config configures a Server. The zero value serves an API nobody can call
// (no tokens) and the dashboard.
type Config struct {
	// Tokens that may call /v1. See ParseTokens for the env format.
	Tokens []Token
	// RatePerSecond and Burst limit each token's requests (a stream counts
	// once, when it opens). Default 10/s, burst 40.
	RatePerSecond float64
	Burst         int
	// MaxStreamsPerToken caps a token's concurrent /stream connections.
	// Default 8.
	MaxStreamsPerToken int
	// StreamBuffer is each stream client's queue of events; a client that
	// falls this far behind is dropped (it reconnects). Default 256.
	StreamBuffer int
	// Heartbeat is the interval of the stream's keep-alive comments.
	// Default 15s.
	Heartbeat time.Duration
	// Sizes are the window sizes the API accepts. Default 1m, 5m, 1h, 1d.
	Sizes []string
	// Location is the calendar of ask's "today" and weeks. Default UTC.
	Location *time.Location
	// History bounds the in-memory history.
	History HistoryConfig
	// Incidents overrides where incidents come from (the Postgres alert
	// history, later); nil means the History.
	Incidents IncidentSource
	// Open reports open windows; nil means none are listed.
	Open OpenWindows
	// Recommendations serves /recommendations; nil leaves the endpoint
	// unserved (404 not_found).
	Recommendations Recommendations
	// NoDashboard leaves / unserved.
	NoDashboard bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Log gets denials and dropped stream clients; never a secret.
	Log zerolog.Logger
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.RatePerSecond < 0 || c.Burst < 0 || c.MaxStreamsPerToken < 0 || c.StreamBuffer < 0 || c.Heartbeat < 0 {
		errs = append(errs, errors.New("api: rates, caps and intervals must not be negative"))
	}
	errs = append(errs, validateTokens(c.Tokens), c.History.Validate())
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.RatePerSecond == 0 {
		c.RatePerSecond = 10
	}
	if c.Burst == 0 {
		c.Burst = 40
	}
	if c.MaxStreamsPerToken == 0 {
		c.MaxStreamsPerToken = 8
	}
	if c.StreamBuffer == 0 {
		c.StreamBuffer = 256
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.Sizes == nil {
		c.Sizes = []string{"1m", "5m", "1h", "1d"}
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Server is the query API, the live stream and the dashboard.
type Server struct {
	cfg       Config
	history   *History
	incidents IncidentSource
	keys      *keyring
	limiters  []*rate.Limiter
	hub       *hub
	mux       *http.ServeMux

	mu      sync.Mutex
	streams []int // open streams per token index
}

// New builds a Server with an empty History. Feed it with
// outputs.Observe(server.Observe).
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	h, err := NewHistory(cfg.History)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, history: h, incidents: cfg.Incidents, keys: newKeyring(cfg.Tokens),
		hub: newHub(cfg.StreamBuffer, cfg.Log), streams: make([]int, len(cfg.Tokens))}
	if s.incidents == nil {
		s.incidents = h
	}
	for range cfg.Tokens {
		s.limiters = append(s.limiters, rate.NewLimiter(rate.Limit(cfg.RatePerSecond), cfg.Burst))
	}
	s.routes()
	return s, nil
}

// History is what the server answers from.
func (s *Server) History() *History { return s.history }

// Observe records a delivered insight and sends it to stream clients. It
// never blocks: a stream client whose queue is full is dropped.
func (s *Server) Observe(in events.Insight) {
	s.history.Add(in)
	s.hub.publish(s.streamEvents(in))
}

// Close ends every open stream, so an http.Server's Shutdown is not held
// by them. The server keeps answering other requests.
func (s *Server) Close() { s.hub.close() }

// Handler serves /v1 and, unless NoDashboard, the dashboard at /. Mount it
// at "/" of a mux: more specific routes (/healthz, /metrics) keep winning.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	m := http.NewServeMux()
	m.Handle("GET /v1/tenants", s.authed(s.listTenants))
	m.Handle("GET /v1/tenants/{tenant}/metrics", s.scoped(s.metrics))
	m.Handle("GET /v1/tenants/{tenant}/insights", s.scoped(s.insights))
	m.Handle("GET /v1/tenants/{tenant}/incidents", s.scoped(s.listIncidents))
	m.Handle("GET /v1/tenants/{tenant}/stream", s.scoped(s.stream))
	m.Handle("GET /v1/tenants/{tenant}/ask", s.scoped(s.ask))
	if s.cfg.Recommendations != nil {
		m.Handle("GET /v1/tenants/{tenant}/recommendations", s.scopedBy(s.knownForRecommendations, s.recommendations))
	}
	m.Handle("/v1/", s.authed(func(w http.ResponseWriter, r *http.Request, _ *principal) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path, "")
	}))
	if !s.cfg.NoDashboard {
		dash := web.Handler()
		m.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				w.Header().Set("Allow", "GET, HEAD")
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			dash.ServeHTTP(w, r)
		}))
	}
	s.mux = m
}

// apiError is the body of every error.
type apiError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Parameter string `json:"parameter,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg, param string) {
	var e apiError
	e.Error.Code, e.Error.Message, e.Error.Parameter = code, msg, param
	writeJSON(w, status, e)
}

func badParam(w http.ResponseWriter, param, msg string) {
	writeError(w, http.StatusBadRequest, "bad_parameter", param+": "+msg, param)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away: nothing to tell it
}

type authedFunc func(w http.ResponseWriter, r *http.Request, p *principal)

// authed checks the bearer token and the token's rate.
func (s *Server) authed(next authedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var p *principal
		if ok && secret != "" {
			p = s.keys.lookup(strings.TrimSpace(secret))
		}
		if p == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pulse"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required", "")
			return
		}
		lim := s.limiters[p.index]
		now := s.cfg.Now()
		if !lim.AllowN(now, 1) {
			res := lim.ReserveN(now, 1)
			wait := res.DelayFrom(now)
			res.CancelAt(now)
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			writeError(w, http.StatusTooManyRequests, "rate_limited", "too many requests for this token; retry later", "")
			return
		}
		next(w, r, p)
	})
}

type tenantFunc func(w http.ResponseWriter, r *http.Request, p *principal, tenant string)

// scoped adds the tenant checks: out of the token's scope is 403 whether
// or not the tenant exists (and before any parameter is looked at); then
// a malformed id is 400 and an unknown tenant 404.
func (s *Server) scoped(next tenantFunc) http.Handler {
	return s.scopedBy(s.history.Known, next)
}

// scopedBy is scoped with its own test of a known tenant.
func (s *Server) scopedBy(known func(tenant string) bool, next tenantFunc) http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, p *principal) {
		tenant := r.PathValue("tenant")
		if !p.allows(tenant) {
			s.cfg.Log.Warn().Str("token", p.name).Str("path", r.URL.Path).Msg("api: tenant outside the token's scope")
			writeError(w, http.StatusForbidden, "forbidden", "this token may not read this tenant", "")
			return
		}
		if !events.ValidTenantID(tenant) {
			badParam(w, "tenant", "must match [A-Za-z0-9_-]{1,64}")
			return
		}
		if !known(tenant) {
			writeError(w, http.StatusNotFound, "tenant_not_found", "no data for this tenant", "")
			return
		}
		next(w, r, p, tenant)
	})
}

// page reads limit (default def, at most 1000).
func pageLimit(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, errors.New("must be an integer from 1 to 1000")
	}
	return n, nil
}

// timeParam reads an RFC 3339 time, or a duration meaning that long before
// now ("24h").
func timeParam(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration such as 24h", v)
}

func (s *Server) sizeParam(v string) (string, error) {
	if slices.Contains(s.cfg.Sizes, v) {
		return v, nil
	}
	return "", fmt.Errorf("must be one of %s", strings.Join(s.cfg.Sizes, ", "))
}

func sizeDuration(size string) time.Duration {
	switch size {
	case "1d":
		return 24 * time.Hour
	}
	d, err := time.ParseDuration(size)
	if err != nil || d <= 0 {
		return time.Hour
	}
	return d
}
