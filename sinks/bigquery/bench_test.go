package bigquery

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/olympus-cloud/pulse/events"
)

type nopInserter struct{}

func (nopInserter) Insert(context.Context, string, []*Row) error { return nil }

func benchOrders() []events.Order {
	return genOrders(42, 1024, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
}

// BenchmarkOrderRow is the encoder alone: one order to one row.
func BenchmarkOrderRow(b *testing.B) {
	orders := benchOrders()
	meta := OrderMeta{IngestedAt: time.Now(), PublishTime: time.Now(), MessageID: "1234567890"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := OrderRow(&orders[i%len(orders)], meta)
		if r.Size == 0 {
			b.Fatal("empty row")
		}
	}
}

// BenchmarkWriterNoNetwork is the writer's own cost per row: encode, batch
// across 64 concurrent callers per core, flush to an inserter that does
// nothing, and hand each caller its outcome. Batches of 32 fill by count (a
// quarter of the callers); a 1 ms age only ends the run's tail.
func BenchmarkWriterNoNetwork(b *testing.B) {
	orders := benchOrders()
	w := newWriter(Config{Project: "p", Batch: BatchPolicy{MaxRows: 32, MaxAge: time.Millisecond}}, nopInserter{}, testLogger(b), time.Now)
	defer w.Close(context.Background())
	meta := OrderMeta{IngestedAt: time.Now(), MessageID: "1234567890"}
	b.ReportAllocs()
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if err := w.WriteOrder(context.Background(), &orders[i%len(orders)], meta); err != nil {
				b.Error(err)
			}
		}
	})
}

// BenchmarkInsertAllEncoding adds what the client does with each row before
// the network: copy it into the API's request type and JSON-encode a
// 500-row insertAll request. Reported per row.
func BenchmarkInsertAllEncoding(b *testing.B) {
	orders := benchOrders()
	meta := OrderMeta{IngestedAt: time.Now(), MessageID: "1234567890"}
	const batch = 500
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req := &bqapi.TableDataInsertAllRequest{SkipInvalidRows: true, Rows: make([]*bqapi.TableDataInsertAllRequestRows, 0, batch)}
		for j := range batch {
			r := OrderRow(&orders[(i*batch+j)%len(orders)], meta)
			m := make(map[string]bqapi.JsonValue, len(r.Values))
			for k, v := range r.Values {
				m[k] = v
			}
			req.Rows = append(req.Rows, &bqapi.TableDataInsertAllRequestRows{InsertId: r.InsertID, Json: m})
		}
		if _, err := json.Marshal(req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/row")
}

// BenchmarkEmulatorInsert measures rows per second through the real client
// into the emulator (batches of 500, 256 concurrent callers).
func BenchmarkEmulatorInsert(b *testing.B) {
	e := startEmulator(b, "pulse")
	ctx := context.Background()
	if err := Init(ctx, e.client(b), e.config(), testLogger(b)); err != nil {
		b.Fatal(err)
	}
	cfg := e.config()
	cfg.Batch = BatchPolicy{MaxRows: 500, MaxAge: 50 * time.Millisecond, Workers: 2}
	w, err := New(ctx, cfg, testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close(ctx)
	orders := benchOrders()
	meta := OrderMeta{IngestedAt: time.Now(), MessageID: "1"}
	b.ResetTimer()
	b.SetParallelism(128)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if err := w.WriteOrder(ctx, &orders[i%len(orders)], meta); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
