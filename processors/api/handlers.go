package api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/api/ask"
)

// WindowItem is one window's figures in /metrics and the stream's window
// events.
type WindowItem struct {
	TenantID  string                `json:"tenant_id"`
	Window    events.Window         `json:"window"`
	Currency  string                `json:"currency"`
	Revision  int                   `json:"revision"`
	Partial   bool                  `json:"partial"`
	InsightID string                `json:"insight_id,omitempty"`
	Metrics   *events.WindowMetrics `json:"metrics"`
}

func windowItem(in events.Insight, partial bool) WindowItem {
	return WindowItem{TenantID: in.TenantID, Window: in.Window, Currency: in.Currency, Revision: in.Revision,
		Partial: partial, InsightID: in.InsightID, Metrics: in.Metrics}
}

// Page is a list response: NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// MetricsPage is /metrics' response.
type MetricsPage struct {
	TenantID   string       `json:"tenant_id"`
	Window     string       `json:"window"`
	From       time.Time    `json:"from"`
	To         time.Time    `json:"to"`
	Items      []WindowItem `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
	// PartialUnavailable is set when the open windows should follow but
	// could not be read; the closed windows are still listed.
	PartialUnavailable string `json:"partial_unavailable,omitempty"`
}

// partialUnavailable is the fixed text of MetricsPage.PartialUnavailable:
// the cause (a timeout, Redis) goes to the log, not to the client.
const partialUnavailable = "partial window unavailable: the open window's figures could not be read; the closed windows are complete"

// defaultSpan is how far back /metrics looks without from.
func defaultSpan(size string) time.Duration {
	switch size {
	case "1m":
		return 3 * time.Hour
	case "5m":
		return 24 * time.Hour
	case "1d":
		return 90 * 24 * time.Hour
	}
	return 48 * sizeDuration(size)
}

func encodeWindowCursor(k windowKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(k.start, 10) + "|" + k.currency))
}

func decodeWindowCursor(c string) (windowKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return windowKey{}, ErrBadCursor
	}
	start, cur, ok := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(start, 10, 64)
	if !ok || err != nil {
		return windowKey{}, ErrBadCursor
	}
	return windowKey{start: n, currency: cur}, nil
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ *principal, tenant string) {
	q := r.URL.Query()
	now := s.cfg.Now()
	size := "1h"
	if v := q.Get("window"); v != "" {
		var err error
		if size, err = s.sizeParam(v); err != nil {
			badParam(w, "window", err.Error())
			return
		}
	}
	to := now
	if v := q.Get("to"); v != "" {
		t, err := timeParam(v, now)
		if err != nil {
			badParam(w, "to", err.Error())
			return
		}
		to = t
	}
	from := to.Add(-defaultSpan(size))
	if v := q.Get("from"); v != "" {
		t, err := timeParam(v, now)
		if err != nil {
			badParam(w, "from", err.Error())
			return
		}
		from = t
	}
	if !from.Before(to) {
		badParam(w, "from", "must be before to")
		return
	}
	currency := q.Get("currency")
	if currency != "" {
		if _, ok := events.MinorDigits(currency); !ok {
			badParam(w, "currency", "not an ISO 4217 code")
			return
		}
	}
	limit, err := pageLimit(r, 500)
	if err != nil {
		badParam(w, "limit", err.Error())
		return
	}
	after := windowKey{start: from.UnixNano() - 1}
	if c := q.Get("cursor"); c != "" {
		if after, err = decodeWindowCursor(c); err != nil {
			badParam(w, "cursor", "not a cursor this API handed out")
			return
		}
	}
	ins, more := s.history.windowPage(tenant, size, from, to, currency, after, limit)
	out := MetricsPage{TenantID: tenant, Window: size, From: from, To: to, Items: make([]WindowItem, 0, len(ins))}
	for _, in := range ins {
		out.Items = append(out.Items, windowItem(in, false))
	}
	if more {
		last := ins[len(ins)-1]
		out.NextCursor = encodeWindowCursor(windowKey{last.Window.Start.UnixNano(), last.Currency})
	} else if s.cfg.Open != nil && !to.Before(now) {
		open, err := s.cfg.Open.Open(r.Context(), tenant, size, now)
		if err != nil {
			s.cfg.Log.Warn().Err(err).Str("tenant_id", tenant).Str("window", size).Msg("api: open windows unavailable")
			out.PartialUnavailable = partialUnavailable
		}
		for _, in := range open {
			if currency == "" || in.Currency == currency {
				out.Items = append(out.Items, windowItem(in, true))
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

var severities = []events.Severity{events.SeverityInfo, events.SeverityWarning, events.SeverityCritical}

func (s *Server) insights(w http.ResponseWriter, r *http.Request, _ *principal, tenant string) {
	q := r.URL.Query()
	now := s.cfg.Now()
	var kinds []string
	for _, k := range strings.Split(q.Get("kind"), ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		if !validKind(k) {
			badParam(w, "kind", "a kind such as anomaly.opened, or a family such as anomaly")
			return
		}
		kinds = append(kinds, k)
	}
	minSeverity := 0
	if v := q.Get("severity"); v != "" {
		i := slices.Index(severities, events.Severity(v))
		if i < 0 {
			badParam(w, "severity", "must be info, warning or critical")
			return
		}
		minSeverity = i
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := timeParam(v, now)
		if err != nil {
			badParam(w, "since", err.Error())
			return
		}
		since = t
	}
	limit, err := pageLimit(r, 100)
	if err != nil {
		badParam(w, "limit", err.Error())
		return
	}
	var before uint64
	if c := q.Get("cursor"); c != "" {
		if before, err = strconv.ParseUint(c, 10, 64); err != nil || before == 0 {
			badParam(w, "cursor", "not a cursor this API handed out")
			return
		}
	}
	keep := func(in *events.Insight) bool {
		if len(kinds) > 0 && !slices.ContainsFunc(kinds, func(k string) bool {
			return string(in.Kind) == k || strings.HasPrefix(string(in.Kind), k+".")
		}) {
			return false
		}
		if slices.Index(severities, in.Severity) < minSeverity {
			return false
		}
		return since.IsZero() || !in.GeneratedAt.Before(since)
	}
	page, next := s.history.insightPage(tenant, before, limit, keep)
	out := Page[events.Insight]{Items: page}
	if out.Items == nil {
		out.Items = []events.Insight{}
	}
	if next != 0 {
		out.NextCursor = strconv.FormatUint(next, 10)
	}
	writeJSON(w, http.StatusOK, out)
}

func validKind(k string) bool {
	if len(k) > 64 {
		return false
	}
	for _, part := range strings.Split(k, ".") {
		if part == "" {
			return false
		}
		for _, c := range part {
			if !(c >= 'a' && c <= 'z' || c == '_') {
				return false
			}
		}
	}
	return true
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, _ *principal, tenant string) {
	q := r.URL.Query()
	iq := IncidentQuery{State: q.Get("state"), Cursor: q.Get("cursor")}
	switch iq.State {
	case "", StateOpen, StateResolved:
	case "all":
		iq.State = ""
	default:
		badParam(w, "state", "must be open, resolved or all")
		return
	}
	var err error
	if iq.Limit, err = pageLimit(r, 100); err != nil {
		badParam(w, "limit", err.Error())
		return
	}
	page, next, err := s.incidents.Incidents(r.Context(), tenant, iq)
	switch {
	case errors.Is(err, ErrBadCursor):
		badParam(w, "cursor", "not a cursor this API handed out")
		return
	case err != nil:
		s.cfg.Log.Error().Err(err).Str("tenant_id", tenant).Msg("api: list incidents")
		writeError(w, http.StatusInternalServerError, "internal", "incidents are unavailable", "")
		return
	}
	if page == nil {
		page = []Incident{}
	}
	writeJSON(w, http.StatusOK, Page[Incident]{Items: page, NextCursor: next})
}

// TenantItem is one entry of /v1/tenants.
type TenantItem struct {
	TenantID string `json:"tenant_id"`
	HasData  bool   `json:"has_data"`
}

// listTenants lists what the token may read: a scoped token its own
// tenants, an all-tenant token every tenant with data.
func (s *Server) listTenants(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	limit, err := pageLimit(r, 100)
	if err != nil {
		badParam(w, "limit", err.Error())
		return
	}
	after := q.Get("cursor")
	var ids []string
	if p.all {
		ids = s.history.Tenants()
	} else {
		for t := range p.tenants {
			ids = append(ids, t)
		}
		slices.Sort(ids)
	}
	out := Page[TenantItem]{Items: []TenantItem{}}
	for _, id := range ids {
		if after != "" && id <= after {
			continue
		}
		if len(out.Items) == limit {
			out.NextCursor = out.Items[len(out.Items)-1].TenantID
			break
		}
		out.Items = append(out.Items, TenantItem{TenantID: id, HasData: s.history.Known(id)})
	}
	writeJSON(w, http.StatusOK, out)
}

// maxQuestion bounds a question's length in characters.
const maxQuestion = 500

func (s *Server) ask(w http.ResponseWriter, r *http.Request, _ *principal, tenant string) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	switch {
	case q == "":
		badParam(w, "q", "ask a question, such as q=revenue yesterday")
		return
	case utf8.RuneCountInString(q) > maxQuestion:
		badParam(w, "q", "at most 500 characters")
		return
	}
	writeJSON(w, http.StatusOK, ask.Ask(s.history, tenant, q, s.cfg.Now(), ask.Config{Location: s.cfg.Location}))
}
