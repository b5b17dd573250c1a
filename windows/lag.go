package windows

import "time"

// observeLag reports a tenant's watermark lag, processing time minus its
// watermark, to Config.WatermarkLag. Tenants idle past IdleTimeout are left
// out: their watermark stands still by definition, the idle timeout closes
// their windows instead, and counting them would let quiet tenants drown
// the lag of busy ones. A watermark ahead of processing time (clock skew)
// counts as no lag.
func (e *Engine) observeLag(now int64, seen bool, maxT, lastSeen int64) {
	if e.cfg.WatermarkLag == nil || !seen || now-lastSeen > e.idle {
		return
	}
	e.cfg.WatermarkLag(time.Duration(max(now-(maxT-e.ooo), 0)))
}
