package processors

import "time"

// Defaults of the recommendation publishing.
const (
	DefaultSnapshotEvery = 10 * time.Second
	DefaultSnapshotBatch = 32
)

// recPublisher hands a shard's recommendation snapshots and pairs to
// readers elsewhere. It runs on the shard goroutine, from Advance.
type recPublisher struct {
	due     time.Time
	pending []string // changed tenants still to publish this round
}

// publishSnapshots publishes a fresh snapshot of each tenant whose model
// changed, in rounds at most SnapshotEvery apart. A snapshot costs
// O(PairCapacity) (about 2 ms for a full tenant at the defaults), so one
// tick publishes at most SnapshotBatch of them and the round goes on at
// the next tick: a burst of changed tenants cannot stall the shard.
func (s *WindowState) publishSnapshots(now time.Time) {
	publish := s.cfg.RecommendSnapshots
	if publish == nil {
		return
	}
	p := &s.recPub
	if len(p.pending) == 0 {
		if now.Before(p.due) {
			return
		}
		p.due = now.Add(cmpOr(s.cfg.SnapshotEvery, DefaultSnapshotEvery))
		p.pending = s.rec.TakeChanged()
	}
	n := min(len(p.pending), cmpOr(s.cfg.SnapshotBatch, DefaultSnapshotBatch))
	for _, t := range p.pending[:n] {
		publish(s.rec.Snapshot(t, now))
	}
	p.pending = p.pending[n:]
}

// exportPairs hands tenant's scorable pairs to RecommendPairs, at the
// tick of the tenant's periodic recommendation insight.
func (s *WindowState) exportPairs(tenant string, now time.Time) {
	if s.cfg.RecommendPairs == nil {
		return
	}
	if rows := s.rec.Pairs(tenant, now); len(rows) > 0 {
		s.cfg.RecommendPairs(tenant, rows)
	}
}

// cmpOr is v, or def when v is not positive.
func cmpOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
