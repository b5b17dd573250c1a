package redisstore

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/olympus-cloud/pulse/windows"
)

// Tenants implements windows.Remote.
func (s *Store) Tenants(shard int) (_ []string, err error) {
	defer s.observe(OpTenants, time.Now(), &err)
	ctx, cancel := s.ctx()
	defer cancel()
	ts, err := s.c.SMembers(ctx, s.cfg.Prefix+"s:"+strconv.Itoa(shard)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis tenants of shard %d: %w", shard, err)
	}
	return ts, nil
}

// Meta implements windows.Remote: one pipeline for all the tenants.
func (s *Store) Meta(tenants []string, out []windows.TenantMeta) (err error) {
	defer s.observe(OpMeta, time.Now(), &err)
	ctx, cancel := s.ctx()
	defer cancel()
	pipe := s.c.Pipeline()
	ms := make([]*redis.SliceCmd, len(tenants))
	xs := make([]*redis.MapStringStringCmd, len(tenants))
	for i, t := range tenants {
		ms[i] = pipe.HMGet(ctx, s.cfg.Prefix+"m:"+t, "maxT", "last", "floor", "F", "C")
		xs[i] = pipe.HGetAll(ctx, s.cfg.Prefix+"x:"+t)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis tenant meta: %w", err)
	}
	for i, t := range tenants {
		m := &out[i]
		*m = windows.TenantMeta{MaxT: math.MinInt64, Frontier: math.MinInt64, Committed: math.MinInt64, Dirty: m.Dirty[:0]}
		v := ms[i].Val()
		var err error
		get := func(j int, dst *int64) bool {
			str, ok := v[j].(string)
			if !ok {
				return false
			}
			x, e := dec(str)
			if e != nil {
				err = fmt.Errorf("tenant %q meta field %d: %w", t, j, e)
				return false
			}
			*dst = x
			return true
		}
		m.Seen = get(0, &m.MaxT)
		m.Known = get(1, &m.LastSeen)
		get(2, &m.Floor)
		get(3, &m.Frontier)
		get(4, &m.Committed)
		if err != nil {
			return err
		}
		for f, n := range xs[i].Val() {
			d, err := parseDirty(f, n)
			if err != nil {
				return fmt.Errorf("tenant %q dirty mark %q: %w", t, f, err)
			}
			m.Dirty = append(m.Dirty, d)
		}
	}
	return nil
}

func parseDirty(field, count string) (windows.Dirty, error) {
	var d windows.Dirty
	parts := strings.Split(field, "|")
	if len(parts) != 3 {
		return d, errors.New("want grid|start|frontier")
	}
	g, err1 := strconv.Atoi(parts[0])
	start, err2 := dec(parts[1])
	f, err3 := dec(parts[2])
	n, err4 := strconv.ParseInt(count, 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return d, err
	}
	return windows.Dirty{Grid: g, Start: start, Frontier: f, N: n}, nil
}

func dirtyField(d *windows.Dirty) string {
	return strconv.Itoa(d.Grid) + "|" + enc(d.Start) + "|" + enc(d.Frontier)
}

// Panes implements windows.Remote.
func (s *Store) Panes(tenant string, g int, from, to int64, dst []int64) (_ []int64, err error) {
	defer s.observe(OpPanes, time.Now(), &err)
	ctx, cancel := s.ctx()
	defer cancel()
	ms, err := s.c.ZRangeByLex(ctx, s.cfg.Prefix+"p:"+tenant+":"+strconv.Itoa(g), &redis.ZRangeBy{Min: lexFrom(from), Max: lexBelow(to)}).Result()
	if err != nil {
		return dst, fmt.Errorf("redis panes: %w", err)
	}
	for _, m := range ms {
		t, err := dec(m)
		if err != nil {
			return dst, fmt.Errorf("redis pane %q: %w", m, err)
		}
		dst = append(dst, t)
	}
	return dst, nil
}

// revMember orders a tenant's revision records by window end, so one
// ZREMRANGEBYLEX drops those past the correction horizon.
func revMember(r *windows.Revision) string {
	return enc(r.End) + enc(r.Start) + "|" + strconv.Itoa(r.Spec)
}

// Revisions implements windows.Remote.
func (s *Store) Revisions(tenant string, recs []windows.Revision) (err error) {
	defer s.observe(OpRevisions, time.Now(), &err)
	ctx, cancel := s.ctx()
	defer cancel()
	pipe := s.c.Pipeline()
	cmds := make([]*redis.FloatCmd, len(recs))
	for i := range recs {
		cmds[i] = pipe.ZScore(ctx, s.cfg.Prefix+"r:"+tenant, revMember(&recs[i]))
	}
	_, _ = pipe.Exec(ctx) // each command's error is checked below
	for i, c := range cmds {
		v, err := c.Result()
		switch {
		case err == nil:
			recs[i].Rev = int(v)
		case errors.Is(err, redis.Nil):
			recs[i].Rev = 0
		default:
			return fmt.Errorf("redis revisions: %w", err)
		}
	}
	return nil
}

// Begin implements windows.Remote.
func (s *Store) Begin(token string, shard int, tenant string, frontier, tooLate int64) (err error) {
	defer s.observe(OpBegin, time.Now(), &err)
	ctx, cancel := s.ctx()
	defer cancel()
	err = beginScript.Run(ctx, s.c, nil, s.cfg.Prefix, token, strconv.Itoa(shard), tenant, enc(frontier), enc(tooLate)).Err()
	if err != nil {
		return fmt.Errorf("redis begin close: %w", fenced(err))
	}
	return nil
}

// Commit implements windows.Remote.
func (s *Store) Commit(token string, shard int, tenant string, c *windows.Commit) (err error) {
	defer s.observe(OpCommit, time.Now(), &err)
	args := []any{s.cfg.Prefix, token, strconv.Itoa(shard), tenant, s.ttlMs, "", "", ""}
	if c.Frontier != math.MinInt64 {
		args[5] = enc(c.Frontier)
	}
	if c.TooLate != math.MinInt64 {
		args[6] = lexBelow(c.TooLate + 1) // windows ending at or before TooLate
	}
	if c.IDsBefore != math.MinInt64 {
		args[7] = idsCut(c.IDsBefore)
	}
	args = append(args, strconv.Itoa(len(c.Revisions)))
	for i := range c.Revisions {
		args = append(args, revMember(&c.Revisions[i]), strconv.Itoa(c.Revisions[i].Rev))
	}
	args = append(args, strconv.Itoa(len(c.Dirty)))
	for i := range c.Dirty {
		args = append(args, dirtyField(&c.Dirty[i]), strconv.FormatInt(c.Dirty[i].N, 10))
	}
	n := 0
	for g := range c.EvictPanes {
		n += len(c.EvictPanes[g])
	}
	args = append(args, strconv.Itoa(n))
	args = appendPanes(args, &c.EvictPanes)
	ctx, cancel := s.ctx()
	defer cancel()
	if err := commitScript.Run(ctx, s.c, nil, args...).Err(); err != nil {
		return fmt.Errorf("redis commit close: %w", fenced(err))
	}
	return nil
}

// Forget implements windows.Remote.
func (s *Store) Forget(token string, shard int, tenant string, lastSeen int64) (err error) {
	defer s.observe(OpForget, time.Now(), &err)
	last := ""
	if lastSeen != math.MinInt64 {
		last = enc(lastSeen)
	}
	ctx, cancel := s.ctx()
	defer cancel()
	err = forgetScript.Run(ctx, s.c, nil, s.cfg.Prefix, token, strconv.Itoa(shard), tenant, last,
		strconv.Itoa(windows.MaxGrids)).Err()
	if err != nil {
		return fmt.Errorf("redis forget tenant: %w", fenced(err))
	}
	return nil
}
