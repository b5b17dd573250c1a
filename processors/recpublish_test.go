package processors

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/recommend"
)

func completed(tenant string, id int, at time.Time, skus ...string) *events.Order {
	o := &events.Order{EventID: tenant + "-e" + strconv.Itoa(id), Type: events.OrderCompleted, TenantID: tenant,
		OrderID: "o" + strconv.Itoa(id), Currency: "USD", Amount: 100, OccurredAt: at}
	for _, s := range skus {
		o.Items = append(o.Items, events.Item{SKU: s, Quantity: 1, UnitPrice: 100})
	}
	return o
}

// TestSnapshotsPublishChangedTenantsInBoundedRounds checks the snapshot
// rounds: only changed tenants, at most SnapshotBatch per tick, a new round
// no sooner than SnapshotEvery after the last began.
func TestSnapshotsPublishChangedTenantsInBoundedRounds(t *testing.T) {
	var got []string
	ws, err := NewWindowState(WindowStateConfig{
		SnapshotEvery: time.Minute, SnapshotBatch: 2,
		RecommendSnapshots: func(s *recommend.Snapshot) { got = append(got, s.Tenant()) },
	}, func(events.Insight) {}, NewStats(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tick := func(d time.Duration) []string {
		t.Helper()
		now = now.Add(d)
		got = nil
		if err := ws.Advance(now); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for i, tenant := range []string{"e", "d", "c", "b", "a"} {
		if err := ws.Apply(completed(tenant, i, now, "A", "B"), now); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range [][]string{{"a", "b"}, {"c", "d"}, {"e"}, nil} {
		if p := tick(time.Second); !slices.Equal(p, want) {
			t.Fatalf("tick %d published %v, want %v", i, p, want)
		}
	}
	if err := ws.Apply(completed("c", 99, now, "A", "C"), now); err != nil {
		t.Fatal(err)
	}
	if p := tick(time.Second); p != nil {
		t.Fatalf("a change within the round's period published %v at once", p)
	}
	if p := tick(time.Minute); !slices.Equal(p, []string{"c"}) {
		t.Fatalf("next round published %v, want only the changed [c]", p)
	}
	if p := tick(2 * time.Minute); p != nil {
		t.Fatalf("a round without changes published %v", p)
	}
}

// pairSink records pair rows, failing some transiently at first.
type pairSink struct {
	mu       sync.Mutex
	written  []recommend.PairRow
	failOnce map[string]bool // insert ids that fail their first write
	refuse   string          // insert id refused for good
}

type refusal struct{}

func (refusal) Error() string   { return "refused" }
func (refusal) Permanent() bool { return true }

func (p *pairSink) WriteInsight(context.Context, events.Insight) error { return nil }

func (p *pairSink) WritePairs(_ context.Context, rows []recommend.PairRow) []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for i, r := range rows {
		id := r.InsertID()
		var err error
		switch {
		case id == p.refuse:
			err = refusal{}
		case p.failOnce[id]:
			delete(p.failOnce, id)
			err = errors.New("backend error")
		default:
			p.written = append(p.written, r)
		}
		if err != nil {
			if errs == nil {
				errs = make([]error, len(rows))
			}
			errs[i] = err
		}
	}
	return errs
}

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, events.Insight) error { return nil }

// TestPairsExportedWithTheRecommendationInsight wires a shard to Outputs
// the way pulse run does: at the insight tick the tenant's pairs reach
// the row sink's WritePairs; a transient failure is retried for just its
// row, a refusal is counted lost, nothing is written twice.
func TestPairsExportedWithTheRecommendationInsight(t *testing.T) {
	sink := &pairSink{failOnce: map[string]bool{}}
	out := NewOutputs(OutputsConfig{MaxBackoff: 10 * time.Millisecond}, nopPublisher{}, sink, zerolog.Nop())
	var insights []events.Insight
	ws, err := NewWindowState(WindowStateConfig{
		Recommend:      recommend.Config{HalfLife: -1, MinBaskets: 1, MinItemCount: 1, MinPairCount: 1, InsightPeriod: time.Hour},
		RecommendPairs: out.EmitPairs,
	}, func(in events.Insight) {
		if in.Kind == recommend.KindRecommendation {
			insights = append(insights, in)
		}
	}, NewStats(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	// N=4: A B, A B, C D, C D: pairs (A,B) and (C,D), lift 4·2/(2·2) = 2.
	for i, b := range [][]string{{"A", "B"}, {"A", "B"}, {"C", "D"}, {"C", "D"}} {
		if err := ws.Apply(completed("acme", i, now, b...), now); err != nil {
			t.Fatal(err)
		}
	}
	at := now.Add(time.Hour) // the next insight period
	want := ws.Recommendations().Pairs("acme", at)
	if len(want) != 2 || want[0].Lift != 2 {
		t.Fatalf("pairs %+v, want (A,B) and (C,D) at lift 2", want)
	}
	sink.failOnce[want[0].InsertID()] = true
	sink.refuse = want[1].InsertID()
	if err := ws.Advance(at); err != nil {
		t.Fatal(err)
	}
	if len(insights) != 1 {
		t.Fatalf("%d recommendation insights at the tick, want 1", len(insights))
	}
	if err := out.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sink.written) != 1 || sink.written[0] != want[0] {
		t.Fatalf("written %+v, want exactly %+v once", sink.written, want[0])
	}
	if out.PairRows.Load() != 1 || out.PairRowsLost.Load() != 1 || out.Retries.Load() != 1 {
		t.Errorf("written %d, lost %d, retries %d; want 1, 1, 1", out.PairRows.Load(), out.PairRowsLost.Load(), out.Retries.Load())
	}
}
