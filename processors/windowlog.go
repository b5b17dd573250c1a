package processors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// WindowLog keeps every scored series' recent closed windows where every
// replica can read them (redisstore.Store in distributed mode). A replica
// that takes over a tenant's lease replays, before scoring the tenant's
// next window, the windows another replica scored since this one last saw
// the series, so its detectors and analytics continue exactly where the
// previous holder's stopped and publish what it would have published.
type WindowLog interface {
	// AppendWindow logs record as series' window starting at start (Unix
	// ns), replacing a record logged for that start, keeps the newest keep
	// records, and lets the series expire ttl after its last append.
	AppendWindow(series string, start int64, record []byte, keep int, ttl time.Duration) error
	// WindowsBetween returns series' records of windows starting after
	// after and before before (both exclusive), oldest first.
	WindowsBetween(series string, after, before int64) ([][]byte, error)
}

// Defaults of the window log's depth and lifetime: eight weeks of hourly
// windows is the longest history the analytics keep (forecasts), and more
// than the detectors' seasonal profiles need to converge.
const (
	DefaultLogDepth = 8 * 168
	DefaultLogTTL   = 9 * 7 * 24 * time.Hour
)

func logSeries(tenant, size, currency string) string {
	return tenant + "|" + size + "|" + currency
}

// loggedWindow is one record of the log: a first result as the detectors
// and analytics saw it.
type loggedWindow struct {
	at      time.Time // when it was scored (the insights' GeneratedAt)
	window  events.Window
	metrics events.WindowMetrics
}

const logVersion = 1

// appendLogged encodes w compactly: a version byte, then varints. About
// 40 bytes for an hourly window, so the default depth costs about 55 KB
// per (tenant, size, currency) series.
func appendLogged(b []byte, w *loggedWindow) []byte {
	m := &w.metrics
	b = append(b, logVersion)
	for _, v := range [...]int64{
		w.at.UnixNano(), w.window.Start.UnixNano(), w.window.End.UnixNano(),
		m.Orders, m.CompletedOrders, m.CancelledOrders, m.RefundedOrders,
		m.CompletedRevenue, m.RefundedAmount, m.Revenue, m.UniqueCustomers, m.ItemsSold, m.LateEvents,
	} {
		b = binary.AppendVarint(b, v)
	}
	exact := byte(0)
	if m.UniqueCustomersExact {
		exact = 1
	}
	b = append(b, exact)
	b = binary.AppendUvarint(b, uint64(len(w.window.Size)))
	b = append(b, w.window.Size...)
	return append(b, m.Currency...)
}

var errBadRecord = errors.New("window log: malformed record")

func parseLogged(b []byte) (loggedWindow, error) {
	var w loggedWindow
	if len(b) == 0 || b[0] != logVersion {
		return w, fmt.Errorf("%w: unknown version", errBadRecord)
	}
	b = b[1:]
	var v [13]int64
	for i := range v {
		x, n := binary.Varint(b)
		if n <= 0 {
			return w, errBadRecord
		}
		v[i], b = x, b[n:]
	}
	if len(b) < 1 {
		return w, errBadRecord
	}
	exact := b[0] == 1
	b = b[1:]
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return w, errBadRecord
	}
	size := string(b[n : n+int(l)])
	currency := string(b[n+int(l):])
	w.at = time.Unix(0, v[0]).UTC()
	w.window = events.Window{Start: time.Unix(0, v[1]).UTC(), End: time.Unix(0, v[2]).UTC(), Size: size}
	w.metrics = events.WindowMetrics{
		Currency: currency, Orders: v[3], CompletedOrders: v[4], CancelledOrders: v[5], RefundedOrders: v[6],
		CompletedRevenue: v[7], RefundedAmount: v[8], Revenue: v[9], UniqueCustomers: v[10],
		UniqueCustomersExact: exact, ItemsSold: v[11], LateEvents: v[12],
	}
	return w, nil
}

// logKey is a series the shard has scored.
type logKey struct{ tenant, size, currency string }

// maxLogged bounds the shard's memory of the latest window it scored per
// series; past it the memory starts over, which costs re-reading logs
// whose windows the detectors and analytics then refuse as already seen.
const maxLogged = 1 << 20

// catchUp replays the logged windows of w's series that start after the
// latest one this shard scored and before w: the windows another replica
// scored while it held the tenant's lease. One read per scored window; it
// returns nothing in the steady state.
func (s *WindowState) catchUp(tenant string, w events.Window, currency string) error {
	k := logKey{tenant, w.Size, currency}
	after, known := s.logged[k]
	if !known {
		after = math.MinInt64
	}
	recs, err := s.cfg.Log.WindowsBetween(logSeries(tenant, w.Size, currency), after, w.Start.UnixNano())
	if err != nil {
		return err
	}
	for _, r := range recs {
		lw, err := parseLogged(r)
		if err != nil {
			s.log.Warn().Str("tenant_id", tenant).Err(err).Msg("window log record skipped")
			continue
		}
		s.biz.ObserveWindow(tenant, lw.window, lw.metrics, lw.at)
		if slices.Contains(s.detectSizes(tenant), lw.window.Size) {
			s.monitor.Replay(tenant, lw.window, lw.metrics, lw.at)
		}
		s.stats.windowsReplayed.Add(1)
	}
	return nil
}

// record logs a scored window for the next holder of its tenant.
func (s *WindowState) record(tenant string, w events.Window, m events.WindowMetrics, at time.Time) error {
	if len(s.logged) >= maxLogged {
		clear(s.logged)
	}
	s.logged[logKey{tenant, w.Size, m.Currency}] = w.Start.UnixNano()
	s.logBuf = appendLogged(s.logBuf[:0], &loggedWindow{at: at, window: w, metrics: m})
	return s.cfg.Log.AppendWindow(logSeries(tenant, w.Size, m.Currency), w.Start.UnixNano(), s.logBuf, s.cfg.LogDepth, s.cfg.LogTTL)
}

// logs says whether windows of size are logged for tenant: the sizes its
// detectors score and the analytics read.
func (s *WindowState) logs(tenant, size string) bool {
	return s.cfg.Log != nil && (size == "1h" || size == "1d" || slices.Contains(s.detectSizes(tenant), size))
}
