package redisstore

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The basket log and the saved models (see processors.SharedModels): the
// apply script appends each non-duplicate event's attachment to its
// tenant's stream P b:{t}; the holder of the tenant's lease reads it in
// stream order, and now and then saves its model of the tenant, with the
// stream id it covers, to the hash P rm:{t} (fields id, at, m) and trims
// the stream before that id. Stream order is the order of the apply
// scripts, the same for every reader, so a new holder that loads the saved
// model and reads on from its id rebuilds exactly the model the previous
// holder had.

func (s *Store) basketKey(tenant string) string { return s.cfg.Prefix + "b:" + tenant }
func (s *Store) modelKey(tenant string) string  { return s.cfg.Prefix + "rm:" + tenant }

// ReadBaskets reads, in one pipeline, up to count payloads of each
// tenants[i] logged after the stream id after[i] ("": from the start),
// oldest first, and calls fn(i, id, payload) for each. gaps[i] is set when
// the entry after[i] is no longer in the stream: the length bound
// (Config.BasketMax) or an expiry dropped entries, possibly some that were
// never read.
func (s *Store) ReadBaskets(tenants, after []string, count int, gaps []bool, fn func(i int, id, payload string)) (err error) {
	if len(tenants) == 0 {
		return nil
	}
	defer s.observe(OpBasketRead, time.Now(), &err)
	ctx, cancel := s.ctx()
	defer cancel()
	pipe := s.c.Pipeline()
	cmds := make([]*redis.XMessageSliceCmd, len(tenants))
	for i, t := range tenants {
		if after[i] == "" {
			cmds[i] = pipe.XRangeN(ctx, s.basketKey(t), "-", "+", int64(count))
		} else {
			// From the cursor's own entry, which must still be there.
			cmds[i] = pipe.XRangeN(ctx, s.basketKey(t), after[i], "+", int64(count)+1)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("redis read baskets: %w", err)
	}
	for i, c := range cmds {
		ms := c.Val()
		gaps[i] = false
		if after[i] != "" {
			if len(ms) > 0 && ms[0].ID == after[i] {
				ms = ms[1:]
			} else {
				gaps[i] = true
			}
		}
		for _, m := range ms {
			p, _ := m.Values["b"].(string) // a stray entry without a payload reads as an empty one
			fn(i, m.ID, p)
		}
	}
	return nil
}

// saveModelScript stores a tenant's model, fenced. ARGV: prefix, token,
// shard, tenant, stream id covered, saved at, model, ttl ms.
var saveModelScript = redis.NewScript(luaPane + `
local err = fence(ARGV[3], ARGV[2])
if err then return err end
local t, id, ttl = ARGV[4], ARGV[5], ARGV[8]
local k, bk = P .. 'rm:' .. t, P .. 'b:' .. t
redis.call('HSET', k, 'id', id, 'at', ARGV[6], 'm', ARGV[7])
redis.call('PEXPIRE', k, ttl)
redis.call('XTRIM', bk, 'MINID', id)
if redis.call('EXISTS', bk) == 1 then redis.call('PEXPIRE', bk, ttl) end
return 1
`)

// SaveModel stores tenant's model, which has read its basket log up to
// and including the stream id id, saved at at (Unix ns), and trims the log
// before id; both live Config.ModelTTL from now. It is fenced like a close
// step: windows.ErrFenced when token no longer holds the lease shard.
func (s *Store) SaveModel(token string, shard int, tenant, id string, at int64, model []byte) (err error) {
	defer s.observe(OpModelSave, time.Now(), &err)
	if id == "" {
		return fmt.Errorf("redis save model of %s: no stream id", tenant)
	}
	ctx, cancel := s.ctx()
	defer cancel()
	err = saveModelScript.Run(ctx, s.c, nil, s.cfg.Prefix, token, strconv.Itoa(shard), tenant, id,
		strconv.FormatInt(at, 10), model, s.modelTTLMs).Err()
	if err != nil {
		return fmt.Errorf("redis save model of %s: %w", tenant, fenced(err))
	}
	return nil
}

// loadModelScript returns {id, at} of a tenant's saved model, and the
// model unless the caller has that version. ARGV: id, at it has.
var loadModelScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'id', 'at')
if not v[2] then return false end
if v[1] == ARGV[1] and v[2] == ARGV[2] then return {v[1], v[2]} end
return {v[1], v[2], redis.call('HGET', KEYS[1], 'm')}
`)

// LoadModel returns tenant's saved model: the stream id it covers (""
// when none is saved), when it was saved, and the model, which is nil
// when none is saved or the saved one is still the version (haveID,
// haveAt) the caller has.
func (s *Store) LoadModel(tenant, haveID string, haveAt int64) (id string, at int64, model []byte, err error) {
	defer s.observe(OpModelLoad, time.Now(), &err)
	ctx, cancel := s.ctx()
	defer cancel()
	v, err := loadModelScript.Run(ctx, s.c, []string{s.modelKey(tenant)}, haveID, strconv.FormatInt(haveAt, 10)).StringSlice()
	switch {
	case errors.Is(err, redis.Nil):
		return "", 0, nil, nil
	case err != nil:
		return "", 0, nil, fmt.Errorf("redis load model of %s: %w", tenant, err)
	case len(v) < 2:
		return "", 0, nil, fmt.Errorf("redis load model of %s: %d fields", tenant, len(v))
	}
	if at, err = strconv.ParseInt(v[1], 10, 64); err != nil {
		return "", 0, nil, fmt.Errorf("redis load model of %s: saved at %q", tenant, v[1])
	}
	if len(v) > 2 {
		model = []byte(v[2])
	}
	return v[0], at, model, nil
}
