package rediscustomers

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/redis/go-redis/v9"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/analytics"
)

// listEvery is how often a lease shard's tenant set is read again.
const listEvery = time.Minute

// pass is the progress of one tenant's sweep on this replica.
type pass struct {
	shard   int
	running bool
	cursor  uint64
	started time.Time
	seen    map[uint64]struct{} // fields visited in this pass (HSCAN may repeat one)
}

type tenantList struct {
	at      time.Time
	tenants []string
}

// Sweep implements analytics.CustomerStore, incrementally: for each lease
// shard this store sweeps and holds, each tenant's pass starts at most
// every Interval (first forgetting silent customers) and goes on with
// HSCAN pages until its cursor comes back to 0; one call reads at most
// Page customers over all tenants. A move is recorded with a
// compare-and-set of the customer's whole value, so it is reported once
// even when two replicas sweep during a handover, and not at all when an
// order changed the customer since the page was read (the order's own
// classification stands). When a lease is lost, the passes of its tenants
// are dropped; the next holder starts its own.
func (s *Store) Sweep(now time.Time, rules func(tenant, currency string) analytics.SegmentRules, forgetBefore time.Time, visit func(*analytics.SweepVisit)) error {
	budget := s.cfg.Page
	var errs []error
	for shard := range s.cfg.Shards {
		if shard%s.cfg.Members != s.cfg.Member {
			continue
		}
		if s.cfg.Leases != nil {
			if _, ok := s.cfg.Leases.Owned(shard); !ok {
				s.drop(shard)
				continue
			}
		}
		tenants, err := s.tenants(shard, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, t := range tenants {
			if budget <= 0 {
				return errors.Join(errs...)
			}
			p := s.passes[t]
			if p == nil {
				p = &pass{shard: shard}
				s.passes[t] = p
			}
			if !p.running {
				if !p.started.IsZero() && now.Sub(p.started) < s.cfg.Interval {
					continue
				}
				if err := s.start(t, p, now, forgetBefore, budget, visit); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			n, err := s.step(t, p, now, rules, forgetBefore, budget, visit)
			budget -= n
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// drop forgets the passes of a shard's tenants (its lease is lost).
func (s *Store) drop(shard int) {
	for t, p := range s.passes {
		if p.shard == shard {
			delete(s.passes, t)
		}
	}
	delete(s.lists, shard)
}

func (s *Store) tenants(shard int, now time.Time) ([]string, error) {
	l := s.lists[shard]
	if l != nil && now.Sub(l.at) < listEvery && now.Sub(l.at) >= 0 {
		return l.tenants, nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	ts, err := s.c.SMembers(ctx, s.cfg.Prefix+"ct:"+strconv.Itoa(shard)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis customers: tenants of shard %d: %w", shard, err)
	}
	slices.Sort(ts)
	s.lists[shard] = &tenantList{at: now, tenants: ts}
	for t, p := range s.passes {
		if _, found := slices.BinarySearch(ts, t); p.shard == shard && !found {
			delete(s.passes, t) // dropped: every customer forgotten or expired
		}
	}
	return ts, nil
}

// start forgets up to limit silent customers and begins a pass.
func (s *Store) start(t string, p *pass, now, forgetBefore time.Time, limit int, visit func(*analytics.SweepVisit)) error {
	ctx, cancel := s.ctx()
	defer cancel()
	cut := forgetBefore.UnixNano()
	n, err := forgetScript.Run(ctx, s.c, nil, s.cfg.Prefix, t, strconv.Itoa(p.shard), enc(cut),
		strconv.FormatInt(floorMs(cut), 10), strconv.Itoa(limit)).Int()
	if err != nil {
		return fmt.Errorf("redis customers: forget in tenant %s: %w", t, err)
	}
	p.running, p.cursor, p.started, p.seen = true, 0, now, map[uint64]struct{}{}
	visit(&analytics.SweepVisit{Kind: analytics.VisitStart, Tenant: t})
	if n > 0 {
		visit(&analytics.SweepVisit{Kind: analytics.VisitForgotten, Tenant: t, Count: n})
	}
	return nil
}

type swept struct {
	visit analytics.SweepVisit
	cas   int // index in the CAS batch, or -1
}

// step reads one HSCAN page of the tenant's customers, records their
// moves and reports them; it returns how many customers it read.
func (s *Store) step(t string, p *pass, now time.Time, rules func(tenant, currency string) analytics.SegmentRules, forgetBefore time.Time, budget int, visit func(*analytics.SweepVisit)) (int, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	cu := s.cfg.Prefix + "cu:" + t
	kv, cursor, err := s.c.HScan(ctx, cu, p.cursor, "", int64(min(budget, 1000))).Result()
	if err != nil {
		return 0, fmt.Errorf("redis customers: scan tenant %s: %w", t, err)
	}
	var page []swept
	cas := []any{s.cfg.Prefix, t}
	var errs []error
	for i := 0; i+1 < len(kv); i += 2 {
		f, v := kv[i], kv[i+1]
		h := xxhash.Sum64String(f)
		if _, ok := p.seen[h]; ok {
			continue
		}
		p.seen[h] = struct{}{}
		cur, id, ok := splitField(f)
		digits, known := events.MinorDigits(cur)
		st, seg, err := decodeValue(v)
		if !ok || !known || err != nil {
			errs = append(errs, fmt.Errorf("redis customers: tenant %s field %q: %v", t, f, err))
			continue
		}
		if st.LastOrder.Before(forgetBefore) {
			continue // forgotten at the next pass's start
		}
		to := rules(t, cur).Classify(st, digits, now)
		sw := swept{visit: analytics.SweepVisit{Kind: analytics.VisitCustomer, Tenant: t, Currency: cur, Customer: id,
			State: st, From: seg, To: to}, cas: -1}
		if to != seg {
			sw.cas = (len(cas) - 2) / 3
			cas = append(cas, f, v, withSegment(v, to))
		}
		page = append(page, sw)
	}
	if len(cas) > 2 {
		ok, err := casScript.Run(ctx, s.c, nil, cas...).Int64Slice()
		if err != nil {
			return len(kv) / 2, fmt.Errorf("redis customers: record moves in tenant %s: %w", t, err)
		}
		for i := range page {
			if c := page[i].cas; c >= 0 && ok[c] != 1 {
				// Changed since read: an order (or another sweeper) decided.
				page[i].visit.From = page[i].visit.To
			}
		}
	}
	for i := range page {
		visit(&page[i].visit)
	}
	p.cursor = cursor
	if cursor == 0 {
		p.running, p.seen = false, nil
		first, err := s.c.HGet(ctx, s.cfg.Prefix+"cm:"+t, "first").Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			errs = append(errs, fmt.Errorf("redis customers: first order of tenant %s: %w", t, err))
		}
		var ferrs []error
		visit(&analytics.SweepVisit{Kind: analytics.VisitEnd, Tenant: t, FirstOrder: timeOf(first, &ferrs)})
		errs = append(errs, ferrs...)
	}
	return max(len(kv)/2, 1), errors.Join(errs...)
}

// decodeValue reads "orders|spent|last|seg|ring".
func decodeValue(v string) (analytics.CustomerState, analytics.Segment, error) {
	parts := strings.SplitN(v, "|", 5)
	if len(parts) != 5 {
		return analytics.CustomerState{}, "", fmt.Errorf("customer value %q", v)
	}
	var errs []error
	st := analytics.CustomerState{Orders: intOf(parts[0], &errs), Spent: intOf(parts[1], &errs), LastOrder: timeOf(parts[2], &errs)}
	seg := segOf(parts[3], &errs)
	return st, seg, errors.Join(errs...)
}

func withSegment(v string, s analytics.Segment) string {
	parts := strings.SplitN(v, "|", 5)
	parts[3] = codeOf(s)
	return strings.Join(parts, "|")
}
