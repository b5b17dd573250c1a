package redisstore

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestWindowLogKeepsTheNewestOncePerStart(t *testing.T) {
	s := openStore(t, Config{})
	const series = "t|1h|USD"
	hour := int64(time.Hour)
	for i := range 6 {
		if err := s.AppendWindow(series, int64(i)*hour, []byte(fmt.Sprint("w", i)), 4, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// A window closed again (a crash between publish and commit) replaces
	// its record instead of adding one.
	if err := s.AppendWindow(series, 5*hour, []byte("w5"), 4, time.Hour); err != nil {
		t.Fatal(err)
	}
	recs, err := s.WindowsBetween(series, math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%s", recs); got != "[w2 w3 w4 w5]" {
		t.Fatalf("log %s, want the newest 4 once each", got)
	}
	// Bounds are exclusive on both sides.
	recs, err = s.WindowsBetween(series, 2*hour, 5*hour)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%s", recs); got != "[w3 w4]" {
		t.Fatalf("between 2h and 5h: %s, want [w3 w4]", got)
	}
	ttl, err := s.c.PTTL(t.Context(), s.windowLogKey(series)).Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Fatalf("log ttl %s (%v), want at most the hour given", ttl, err)
	}
}
