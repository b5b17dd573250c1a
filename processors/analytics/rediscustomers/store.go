package rediscustomers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/olympus-cloud/pulse/processors/analytics"
	"github.com/olympus-cloud/pulse/windows"
)

// Defaults.
const (
	DefaultPrefix = "pulse:"
	// DefaultTTL outlives the default forget horizon (two years) by a
	// week: the sweep forgets silent customers first, the TTL only drops
	// tenants nobody sweeps any more.
	DefaultTTL       = analytics.DefaultForgetCustomersAfter + 7*24*time.Hour
	DefaultDedupTTL  = 52 * time.Hour
	DefaultInterval  = time.Hour
	DefaultPage      = 2000
	DefaultOpTimeout = 5 * time.Second
)

// Config configures a Store. Client is required; the rest has defaults.
type Config struct {
	// Client is the Redis connection (shared with the window state).
	Client *redis.Client
	// Prefix starts every key. Default DefaultPrefix.
	Prefix string
	// Leases, Shards, Member and Members say which tenants this store
	// sweeps: those of the lease shards s (windows.ShardOf(tenant,
	// Shards)) with s % Members == Member that Leases holds, as the
	// distributed windows engine closes them. Leases nil: every tenant
	// (one replica, tests). Shards default 1, Members default 1.
	Leases          windows.Leases
	Shards          int
	Member, Members int
	// MaxPerTenant bounds one tenant's customers: past it the oldest last
	// orders are evicted, a sixteenth of the cap at a time, in the same
	// script. Default analytics.DefaultMaxCustomersPerTenant.
	MaxPerTenant int
	// TTL is how long a tenant's keys outlive its last order. Keep it
	// above the engine's ForgetCustomersAfter. Default DefaultTTL.
	TTL time.Duration
	// DedupTTL is how long the event ids of an event hour are remembered
	// after its last event (P ce:{tenant}:{hour}); past it a redelivery is
	// caught only among the customer's latest four events. Default
	// DefaultDedupTTL, the window state's TTL.
	DedupTTL time.Duration
	// Interval is how often a pass over a tenant's customers starts.
	// Default one hour.
	Interval time.Duration
	// Page bounds the customers one Sweep call reads, over all tenants.
	// Default DefaultPage.
	Page int
	// OpTimeout bounds every Redis call. Default DefaultOpTimeout.
	OpTimeout time.Duration
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("redis customers: client is required"))
	}
	if c.Shards < 0 || c.Members < 0 || c.Member < 0 || (c.Members > 0 && c.Member >= c.Members) {
		errs = append(errs, fmt.Errorf("redis customers: shards %d, member %d of %d", c.Shards, c.Member, c.Members))
	}
	if c.Leases != nil && c.Shards == 0 {
		errs = append(errs, errors.New("redis customers: leases need the lease shard count"))
	}
	for _, v := range []struct {
		name string
		bad  bool
	}{
		{"max per tenant", c.MaxPerTenant < 0}, {"ttl", c.TTL < 0}, {"dedup ttl", c.DedupTTL < 0}, {"interval", c.Interval < 0},
		{"page", c.Page < 0}, {"op timeout", c.OpTimeout < 0},
	} {
		if v.bad {
			errs = append(errs, fmt.Errorf("redis customers: %s must not be negative", v.name))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Shards == 0 {
		c.Shards = 1
	}
	if c.Members == 0 {
		c.Members, c.Member = 1, 0
	}
	if c.MaxPerTenant == 0 {
		c.MaxPerTenant = analytics.DefaultMaxCustomersPerTenant
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.DedupTTL == 0 {
		c.DedupTTL = DefaultDedupTTL
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Page == 0 {
		c.Page = DefaultPage
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = DefaultOpTimeout
	}
	return c
}

// Store is an analytics.CustomerStore in Redis, shared by every replica:
// Apply is one script per batch, safe from any replica at any time; Sweep
// is incremental and runs only for the tenants whose lease this replica
// holds. One Store per Engine (its sweep progress is the Engine's).
type Store struct {
	cfg     Config
	c       *redis.Client
	ttlMs   string
	dedupMs string
	args    []any
	passes  map[string]*pass // by tenant, of the passes in progress or done
	lists   map[int]*tenantList
}

var _ analytics.CustomerStore = (*Store)(nil)

// New returns a Store on cfg.Client.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Store{cfg: cfg, c: cfg.Client, ttlMs: strconv.FormatInt(cfg.TTL.Milliseconds(), 10),
		dedupMs: strconv.FormatInt(cfg.DedupTTL.Milliseconds(), 10),
		passes:  map[string]*pass{}, lists: map[int]*tenantList{}}, nil
}

func (s *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.cfg.OpTimeout)
}

const outWidth = 11 // strings per update in applyScript's reply

// Apply implements analytics.CustomerStore: the whole batch is one script,
// atomic, so each move is reported by the one replica whose update made
// it.
func (s *Store) Apply(batch []analytics.CustomerUpdate, out []analytics.CustomerOutcome) error {
	if len(batch) == 0 {
		return nil
	}
	args := append(s.args[:0], s.cfg.Prefix, s.ttlMs, strconv.Itoa(s.cfg.MaxPerTenant), s.dedupMs)
	var hb [8]byte
	for i := range batch {
		u := &batch[i]
		kind := "c"
		if u.Refund {
			kind = "r"
		}
		if u.Amount < 0 {
			return fmt.Errorf("tenant %s event %s: negative amount %d", u.Tenant, u.EventID, u.Amount)
		}
		h := analytics.EventHash(u.EventID)
		for k := range hb {
			hb[k] = byte(h >> (56 - 8*k))
		}
		at := u.At.UnixNano()
		r, scale := u.Rules, pow10(u.Digits)
		now := u.Now.UnixNano()
		args = append(args, u.Tenant, strconv.Itoa(windows.ShardOf(u.Tenant, s.cfg.Shards)), field(u.Currency, u.Customer),
			string(hb[:]), kind, strconv.FormatInt(u.Amount, 10), enc(at), strconv.FormatInt(floorMs(at), 10),
			strconv.FormatInt(r.VIPSpend*scale, 10), enc(now-int64(r.VIPWithin)),
			strconv.FormatInt(r.HighValueSpend*scale, 10), enc(now-int64(r.HighValueWithin)),
			enc(now-int64(r.AtRiskAfter)), strconv.FormatInt(floorDiv(at, int64(time.Hour)), 10))
	}
	s.args = args
	ctx, cancel := s.ctx()
	defer cancel()
	res, err := applyScript.Run(ctx, s.c, nil, args...).StringSlice()
	if err != nil {
		return fmt.Errorf("redis customers apply batch of %d: %w", len(batch), err)
	}
	if len(res) != outWidth*len(batch) {
		return fmt.Errorf("redis customers apply: %d replies for %d updates", len(res), len(batch))
	}
	for i := range batch {
		o, err := outcome(res[i*outWidth : (i+1)*outWidth])
		if err != nil {
			return fmt.Errorf("redis customers apply: update %d: %w", i, err)
		}
		out[i] = o
	}
	return nil
}

func outcome(r []string) (analytics.CustomerOutcome, error) {
	var o analytics.CustomerOutcome
	var errs []error
	o.FirstOrder = timeOf(r[9], &errs)
	switch r[0] {
	case "n":
		return o, errors.Join(errs...)
	case "d":
		o.Duplicate = true
		return o, errors.Join(errs...)
	}
	o.Applied = true
	o.From, o.To = segOf(r[1], &errs), segOf(r[2], &errs)
	o.Before = analytics.CustomerState{Orders: intOf(r[3], &errs), Spent: intOf(r[4], &errs), LastOrder: timeOf(r[5], &errs)}
	o.After = analytics.CustomerState{Orders: intOf(r[6], &errs), Spent: intOf(r[7], &errs), LastOrder: timeOf(r[8], &errs)}
	o.Evicted = int(intOf(r[10], &errs))
	return o, errors.Join(errs...)
}

// ClaimSummary implements analytics.CustomerStore: a compare-and-set of
// the tenant's summary day, so a lease handover cannot publish a day twice.
func (s *Store) ClaimSummary(tenant string, day int64) (bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	n, err := claimScript.Run(ctx, s.c, nil, s.cfg.Prefix, tenant, strconv.FormatInt(day, 10), s.ttlMs).Int()
	if err != nil {
		return false, fmt.Errorf("redis customers claim summary: %w", err)
	}
	return n == 1, nil
}

// field is a customer's hash field: amounts in two currencies never add.
func field(currency, customer string) string { return currency + "|" + customer }

func splitField(f string) (currency, customer string, ok bool) {
	return strings.Cut(f, "|")
}

func pow10(n int) int64 {
	v := int64(1)
	for range n {
		v *= 10
	}
	return v
}

var segCodes = map[string]analytics.Segment{
	"V": analytics.SegmentVIPActive, "H": analytics.SegmentHighValue, "A": analytics.SegmentAtRisk,
	"N": analytics.SegmentNew, "R": analytics.SegmentRegular, "": "",
}

func codeOf(s analytics.Segment) string {
	for c, v := range segCodes {
		if v == s {
			return c
		}
	}
	return ""
}

func segOf(c string, errs *[]error) analytics.Segment {
	s, ok := segCodes[c]
	if !ok {
		*errs = append(*errs, fmt.Errorf("segment code %q", c))
	}
	return s
}

func intOf(v string, errs *[]error) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		*errs = append(*errs, err)
	}
	return n
}

func timeOf(v string, errs *[]error) time.Time {
	if v == "" {
		return time.Time{}
	}
	ns, err := dec(v)
	if err != nil {
		*errs = append(*errs, err)
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// enc is a time in ns as 20 decimal digits of uint64(ns) XOR 1<<63: string
// order is time order.
func enc(ns int64) string {
	return fmt.Sprintf("%020d", uint64(ns)^1<<63)
}

func dec(s string) (int64, error) {
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil || len(s) != 20 {
		return 0, fmt.Errorf("encoded time %q", s)
	}
	return int64(u ^ 1<<63), nil
}

// floorMs is ns in whole milliseconds, rounded toward minus infinity.
func floorMs(ns int64) int64 { return floorDiv(ns, int64(time.Millisecond)) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
