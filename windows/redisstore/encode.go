package redisstore

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// enc encodes a time (or any int64) as 20 decimal digits of
// uint64(t) XOR 1<<63: fixed width, so byte order is numeric order, in Lua
// comparisons and in ZRANGEBYLEX alike.
func enc(t int64) string {
	var b [20]byte
	u := uint64(t) ^ 1<<63
	for i := 19; i >= 0; i-- {
		b[i] = byte('0' + u%10)
		u /= 10
	}
	return string(b[:])
}

var errBadTime = errors.New("bad encoded time")

func dec(s string) (int64, error) {
	if len(s) != 20 {
		return 0, errBadTime
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errBadTime
	}
	return int64(u ^ 1<<63), nil
}

// lexBelow is the ZRANGEBYLEX upper bound "before t" ("+" for MaxInt64).
func lexBelow(t int64) string {
	if t == math.MaxInt64 {
		return "+"
	}
	return "(" + enc(t)
}

// lexFrom is the ZRANGEBYLEX lower bound "from t" ("-" for MinInt64).
func lexFrom(t int64) string {
	if t == math.MinInt64 {
		return "-"
	}
	return "[" + enc(t)
}

// eventKey is the 8-byte dedup member of an event key.
func eventKey(k uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], k)
	return string(b[:])
}

// customerMember is the set member of a customer hash: the hash, then the
// register and rank it offers a sketch, so the script can turn a set into
// a sketch without 64-bit arithmetic.
func customerMember(h uint64, idx int, rank uint8) string {
	var b [11]byte
	binary.BigEndian.PutUint64(b[:8], h)
	binary.BigEndian.PutUint16(b[8:10], uint16(idx))
	b[10] = rank
	return string(b[:])
}

const hour = int64(3600e9)

// hourOf is the dedup bucket of an event time: the start of its hour.
func hourOf(t int64) int64 {
	q := t / hour
	if t%hour != 0 && t < 0 {
		q--
	}
	return q * hour
}

// idsCut is the ZRANGEBYLEX bound of the dedup hours wholly before t.
func idsCut(t int64) string {
	if t == math.MaxInt64 {
		return "+"
	}
	if t <= math.MinInt64+hour {
		return "(" + enc(math.MinInt64)
	}
	return "[" + enc(t-hour) // hour starts <= t-1h end at or before t
}
