package redisstore

import (
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The window log keeps a series' recent closed windows (see
// processors.WindowLog): a sorted set per series, scored by window start,
// each member an opaque record that starts with nothing Redis needs to
// read. Appending is idempotent per start, so a window re-closed after a
// crash between its publish and its commit is logged once.
var appendWindowScript = redis.NewScript(`
local k = KEYS[1]
local start = ARGV[1]
redis.call('ZREMRANGEBYSCORE', k, start, start)
redis.call('ZADD', k, start, ARGV[2])
local keep = tonumber(ARGV[3])
redis.call('ZREMRANGEBYRANK', k, 0, -(keep + 1))
redis.call('PEXPIRE', k, ARGV[4])
return 1
`)

func (s *Store) windowLogKey(series string) string { return s.cfg.Prefix + "wl:{" + series + "}" }

// AppendWindow logs record as series' window starting at start (Unix ns),
// replacing a record logged for that start, keeps the newest keep records
// and lets the series expire ttl after its last append.
func (s *Store) AppendWindow(series string, start int64, record []byte, keep int, ttl time.Duration) (err error) {
	defer s.observe(OpLogAppend, time.Now(), &err)
	ctx, cancel := s.ctx()
	defer cancel()
	args := []any{strconv.FormatInt(start, 10), record, keep, ttl.Milliseconds()}
	if err := appendWindowScript.Run(ctx, s.c, []string{s.windowLogKey(series)}, args...).Err(); err != nil {
		return fmt.Errorf("redis append window of %s: %w", series, err)
	}
	return nil
}

// WindowsBetween returns series' logged records of windows starting after
// after and before before (Unix ns, both exclusive), oldest first.
func (s *Store) WindowsBetween(series string, after, before int64) (_ [][]byte, err error) {
	defer s.observe(OpLogRead, time.Now(), &err)
	ctx, cancel := s.ctx()
	defer cancel()
	rs, err := s.c.ZRangeByScore(ctx, s.windowLogKey(series), &redis.ZRangeBy{
		Min: "(" + strconv.FormatInt(after, 10), Max: "(" + strconv.FormatInt(before, 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("redis windows of %s: %w", series, err)
	}
	out := make([][]byte, len(rs))
	for i, r := range rs {
		out[i] = []byte(r)
	}
	return out, nil
}
