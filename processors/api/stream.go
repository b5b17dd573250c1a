package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
)

// Stream event names.
const (
	EventWindow   = "window"   // a closed window (WindowItem)
	EventInsight  = "insight"  // any other insight (events.Insight)
	EventIncident = "incident" // an incident's new state (Incident), after its anomaly.* insight
)

// streamEvent is one server-sent event, encoded once for every client.
type streamEvent struct {
	tenant string
	name   string
	id     string
	size   string // window size of window events, for the size filter
	data   []byte
}

func (s *Server) streamEvents(in events.Insight) []streamEvent {
	var out []streamEvent
	enc := func(name, id, size string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			s.cfg.Log.Error().Err(err).Str("tenant_id", in.TenantID).Str("insight_id", in.InsightID).Msg("api: encode stream event")
			return
		}
		out = append(out, streamEvent{tenant: in.TenantID, name: name, id: id, size: size, data: b})
	}
	switch in.Kind {
	case events.KindWindowMetrics, events.KindWindowCorrection:
		if in.Metrics != nil {
			enc(EventWindow, in.InsightID, in.Window.Size, windowItem(in, false))
		}
	default:
		enc(EventInsight, in.InsightID, "", in)
		switch in.Kind {
		case events.KindAnomalyOpened, events.KindAnomalyEscalated, events.KindAnomalyResolved:
			id := in.IncidentID
			if id == "" {
				id = in.InsightID
			}
			if inc, ok := s.history.Incident(in.TenantID, id); ok {
				enc(EventIncident, in.InsightID+"/incident", "", inc)
			}
		}
	}
	return out
}

// subscriber is one stream client's queue.
type subscriber struct {
	ch    chan streamEvent
	sizes map[string]bool // nil: every size
}

// hub fans events out to stream clients without ever blocking the sender:
// a client whose queue is full is dropped.
type hub struct {
	buf int
	log zerolog.Logger

	mu     sync.Mutex
	subs   map[string]map[*subscriber]struct{}
	closed bool
}

func newHub(buf int, log zerolog.Logger) *hub {
	return &hub{buf: buf, log: log, subs: map[string]map[*subscriber]struct{}{}}
}

func (h *hub) subscribe(tenant string, sizes map[string]bool) *subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	sub := &subscriber{ch: make(chan streamEvent, h.buf), sizes: sizes}
	if h.closed {
		close(sub.ch)
		return sub
	}
	if h.subs[tenant] == nil {
		h.subs[tenant] = map[*subscriber]struct{}{}
	}
	h.subs[tenant][sub] = struct{}{}
	return sub
}

// unsubscribe removes sub; whoever removes a subscriber closes its queue.
func (h *hub) unsubscribe(tenant string, sub *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[tenant][sub]; ok {
		delete(h.subs[tenant], sub)
		if len(h.subs[tenant]) == 0 {
			delete(h.subs, tenant)
		}
		close(sub.ch)
	}
}

func (h *hub) publish(evs []streamEvent) {
	if len(evs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[evs[0].tenant] {
		for _, ev := range evs {
			if ev.name == EventWindow && sub.sizes != nil && !sub.sizes[ev.size] {
				continue
			}
			select {
			case sub.ch <- ev:
				continue
			default:
			}
			h.log.Warn().Str("tenant_id", ev.tenant).Int("buffer", h.buf).Msg("api: stream client too slow; dropped")
			delete(h.subs[ev.tenant], sub)
			close(sub.ch)
			break
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, subs := range h.subs {
		for sub := range subs {
			close(sub.ch)
		}
	}
	h.subs = map[string]map[*subscriber]struct{}{}
}

// writeTimeout bounds each write to a stream client, so a client that
// stopped reading cannot hold its handler forever.
const writeTimeout = 10 * time.Second

func (s *Server) stream(w http.ResponseWriter, r *http.Request, p *principal, tenant string) {
	var sizes map[string]bool
	if v := r.URL.Query().Get("window"); v != "" {
		sizes = map[string]bool{}
		for _, sz := range strings.Split(v, ",") {
			if _, err := s.sizeParam(sz); err != nil {
				badParam(w, "window", err.Error())
				return
			}
			sizes[sz] = true
		}
	}
	s.mu.Lock()
	if s.streams[p.index] >= s.cfg.MaxStreamsPerToken {
		s.mu.Unlock()
		writeError(w, http.StatusTooManyRequests, "too_many_streams", "this token has too many open streams", "")
		return
	}
	s.streams[p.index]++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.streams[p.index]--
		s.mu.Unlock()
	}()

	rc := http.NewResponseController(w)
	sub := s.hub.subscribe(tenant, sizes)
	defer s.hub.unsubscribe(tenant, sub)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout)) // unsupported writers just have none
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: 3000\n: connected\n\n")) {
		return
	}
	tick := time.NewTicker(s.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case ev, ok := <-sub.ch:
			if !ok {
				return // dropped as too slow, or the server closed
			}
			var b []byte
			b = append(b, "id: "...)
			b = append(b, ev.id...)
			b = append(b, "\nevent: "...)
			b = append(b, ev.name...)
			b = append(b, "\ndata: "...)
			b = append(b, ev.data...)
			b = append(b, "\n\n"...)
			if !write(b) {
				return
			}
		}
	}
}
