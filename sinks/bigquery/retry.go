package bigquery

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is the wait before retry number attempt (1-based): Initial·2^(n-1)
// capped at Max, drawn uniformly from [d/2, d] so replicas that failed
// together do not retry together.
func (p RetryPolicy) backoff(attempt int, rnd func() float64) time.Duration {
	d := p.Initial
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return d/2 + time.Duration(rnd()*float64(d/2))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var jitter = rand.Float64
