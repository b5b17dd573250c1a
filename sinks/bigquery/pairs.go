package bigquery

import (
	"context"
	"errors"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/olympus-cloud/pulse/sinks/bigquery/internal/batch"
)

// PairRow is one row of recommendation_pairs: a tenant's SKU pair at one
// instant, as processors/recommend computes it (recommend.PairRow; this
// package may not import it, so cmd/pulse copies the fields). InsertID is
// the row's deterministic dedup key, recommend.PairRow.InsertID: tenant,
// instant and pair.
type PairRow struct {
	InsertID       string
	TenantID       string
	ComputedAt     time.Time
	SKUA, SKUB     string
	PairCount      float64
	PairCountError float64
	CountA, CountB float64
	Baskets        float64
	Support        float64
	ConfidenceAB   float64
	ConfidenceBA   float64
	Lift           float64
	HalfLifeHours  float64
}

// PairsRow encodes a pair for recommendation_pairs, partitioned by the day
// of ComputedAt. A non-finite figure is a *RowError.
func PairsRow(p *PairRow) (Row, error) {
	if err := finite(p.InsertID, TablePairs, p.PairCount, p.PairCountError, p.CountA, p.CountB, p.Baskets,
		p.Support, p.ConfidenceAB, p.ConfidenceBA, p.Lift, p.HalfLifeHours); err != nil {
		return Row{}, err
	}
	if p.InsertID == "" || p.TenantID == "" || p.SKUA == "" || p.SKUB == "" || p.ComputedAt.IsZero() {
		return Row{}, rejected(TablePairs, p.InsertID, "pair row without insert id, tenant, SKUs or time")
	}
	v := map[string]bigquery.Value{
		"tenant_id":        p.TenantID,
		"computed_at":      timestamp(p.ComputedAt),
		"sku_a":            p.SKUA,
		"sku_b":            p.SKUB,
		"pair_count":       p.PairCount,
		"pair_count_error": p.PairCountError,
		"count_a":          p.CountA,
		"count_b":          p.CountB,
		"baskets":          p.Baskets,
		"support":          p.Support,
		"confidence_a_b":   p.ConfidenceAB,
		"confidence_b_a":   p.ConfidenceBA,
		"lift":             p.Lift,
		"half_life_hours":  p.HalfLifeHours,
	}
	return Row{Table: TablePairs, InsertID: p.InsertID, Day: day(p.ComputedAt), Values: v, Size: rowSize(p.InsertID, v)}, nil
}

// SubmitPairs encodes rows and hands the encodable ones to submitAll (a
// batcher's SubmitAll: one outcome per row it gets, nil when all are
// written), and returns one error per row of rows, nil when every row was
// written. A row that cannot be encoded, or is over maxBytes, is a
// *RowError and is not submitted. The BigQuery and local writers share it.
func SubmitPairs(ctx context.Context, rows []PairRow, maxBytes int, submitAll func(context.Context, []*Row, []int) []error) []error {
	var (
		errs  []error
		enc   []*Row
		sizes []int
		index []int // of each encoded row in rows
	)
	fail := func(i int, err error) {
		if errs == nil {
			errs = make([]error, len(rows))
		}
		errs[i] = err
	}
	for i := range rows {
		r, err := PairsRow(&rows[i])
		if err == nil && r.Size > maxBytes {
			err = rejected(TablePairs, r.InsertID, "row exceeds the batch byte limit")
		}
		if err != nil {
			fail(i, err)
			continue
		}
		enc, sizes, index = append(enc, &r), append(sizes, r.Size), append(index, i)
	}
	if len(enc) == 0 {
		return errs
	}
	for j, err := range submitAll(ctx, enc, sizes) {
		if err != nil {
			fail(index[j], err)
		}
	}
	return errs
}

// WritePairs writes a tenant's pair rows to recommendation_pairs and
// returns once every batch holding one is in BigQuery, with one error per
// row (nil slice: all written): a *RowError is a permanent refusal, any
// other error may be retried. The rows reach the batcher from this one
// goroutine, so they fill whole batches.
func (w *Writer) WritePairs(ctx context.Context, rows []PairRow) []error {
	submitted := 0
	errs := SubmitPairs(ctx, rows, w.cfg.Batch.MaxBytes, func(ctx context.Context, enc []*Row, sizes []int) []error {
		submitted = len(enc)
		errs := w.tables[TablePairs].SubmitAll(ctx, enc, sizes)
		for j, err := range errs {
			if errors.Is(err, batch.ErrClosed) {
				errs[j] = ErrClosed
			}
		}
		return errs
	})
	w.counter.rowsRejected.Add(int64(len(rows) - submitted)) // flush counts the submitted ones
	return errs
}
