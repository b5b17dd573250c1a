package bigquery

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"
)

// inserter sends one insertAll request. The real one is clientInserter;
// tests substitute faults.
type inserter interface {
	Insert(ctx context.Context, table string, rows []*Row) error
}

type clientInserter struct {
	ds *bigquery.Dataset
}

// Insert runs tabledata.insertAll with insert ids. SkipInvalidRows makes
// BigQuery write the valid rows of a request and report only the invalid
// ones (the emulator behaves this way regardless), so one bad row never
// holds back its batch.
func (c clientInserter) Insert(ctx context.Context, table string, rows []*Row) error {
	ins := c.ds.Table(table).Inserter()
	ins.SkipInvalidRows = true
	return ins.Put(ctx, rows)
}

// outcome classifies an insertAll error.
type outcome int

const (
	outcomeTransient  outcome = iota // retry the same rows
	outcomeBadRequest                // the request as a whole was refused: split it
	outcomeRowErrors                 // per-row errors in a PutMultiError
	outcomeStopped                   // our own context ended
)

func classify(ctx context.Context, err error) outcome {
	if ctx.Err() != nil {
		return outcomeStopped
	}
	var pm bigquery.PutMultiError
	if errors.As(err, &pm) {
		return outcomeRowErrors
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		switch ge.Code {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			for _, e := range ge.Errors {
				// quota and rate errors come as 400/403 with these reasons
				if strings.Contains(e.Reason, "quota") || strings.Contains(e.Reason, "rateLimit") {
					return outcomeTransient
				}
			}
			return outcomeBadRequest
		}
		// 401/403/404 are configuration problems (credentials, missing
		// table): retried, then nacked, so nothing is dropped while an
		// operator fixes them. 408/429/5xx are transient by definition.
		return outcomeTransient
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return outcomeTransient
	}
	return outcomeTransient
}

// permanentRowReason reports whether a per-row error reason means the row
// itself is bad. "stopped" marks valid rows that were not inserted because
// another row failed (without SkipInvalidRows); anything else (backendError,
// timeout, internalError) is worth another try.
func permanentRowReason(reason string) bool {
	return reason == "invalid"
}

func rowErrorDetail(e bigquery.RowInsertionError) (string, bool) {
	var parts []string
	permanent := false
	for _, err := range e.Errors {
		var be *bigquery.Error
		if errors.As(err, &be) {
			if permanentRowReason(be.Reason) {
				permanent = true
			}
			parts = append(parts, be.Reason+" "+be.Location+": "+be.Message)
			continue
		}
		parts = append(parts, err.Error())
	}
	return strings.Join(parts, "; "), permanent
}
