package bigquery

import (
	"errors"
	"fmt"
	"time"
)

// Defaults. MaxBytes stays at half the 10 MB insertAll request limit so the
// JSON envelope and a size estimate that is slightly off never cross it.
const (
	DefaultDataset        = "pulse"
	DefaultMaxRows        = 500
	DefaultMaxBytes       = 5 << 20
	DefaultMaxAge         = time.Second
	DefaultWorkers        = 2
	DefaultRetryInitial   = 100 * time.Millisecond
	DefaultRetryMax       = 5 * time.Second
	DefaultMaxAttempts    = 8
	DefaultAttemptTimeout = 20 * time.Second

	// requestLimit is BigQuery's insertAll HTTP request limit.
	requestLimit = 10 << 20
)

// BatchPolicy says when a table's pending rows are flushed: at MaxRows rows,
// before MaxBytes of encoded rows, or MaxAge after the first row arrived.
// Workers batches of one table may be in flight at once.
type BatchPolicy struct {
	MaxRows  int
	MaxBytes int
	MaxAge   time.Duration
	Workers  int
}

// RetryPolicy bounds retries of transient errors: exponential backoff from
// Initial doubling up to Max, with jitter (each wait is drawn from [d/2, d]),
// at most MaxAttempts attempts per batch, each bounded by AttemptTimeout.
type RetryPolicy struct {
	Initial        time.Duration
	Max            time.Duration
	MaxAttempts    int
	AttemptTimeout time.Duration
}

// Config is the BigQuery writer's configuration. The zero value plus a
// Project is a working production configuration.
type Config struct {
	// Project is the Google Cloud project (PULSE_BIGQUERY_PROJECT). Required.
	Project string
	// Dataset holds the tables and views. Default "pulse".
	Dataset string
	// Location of the dataset when bq init creates it (e.g. "US", "EU").
	// Empty lets BigQuery choose (US).
	Location string
	// Endpoint is an emulator's base URL ("http://127.0.0.1:9050"); empty
	// means Google Cloud with default credentials.
	Endpoint string
	Batch    BatchPolicy
	Retry    RetryPolicy
	// Observer, when set, sees every flush, row outcome and retry
	// (metrics). Default nil: nothing observed.
	Observer Observer
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Dataset == "" {
		c.Dataset = DefaultDataset
	}
	c.Batch = c.Batch.WithDefaults()
	c.Retry = c.Retry.WithDefaults()
	return c
}

// WithDefaults returns p with every zero field set to its default.
func (p BatchPolicy) WithDefaults() BatchPolicy {
	if p.MaxRows == 0 {
		p.MaxRows = DefaultMaxRows
	}
	if p.MaxBytes == 0 {
		p.MaxBytes = DefaultMaxBytes
	}
	if p.MaxAge == 0 {
		p.MaxAge = DefaultMaxAge
	}
	if p.Workers == 0 {
		p.Workers = DefaultWorkers
	}
	return p
}

// WithDefaults returns p with every zero field set to its default.
func (p RetryPolicy) WithDefaults() RetryPolicy {
	if p.Initial == 0 {
		p.Initial = DefaultRetryInitial
	}
	if p.Max == 0 {
		p.Max = DefaultRetryMax
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.AttemptTimeout == 0 {
		p.AttemptTimeout = DefaultAttemptTimeout
	}
	return p
}

// Validate reports every problem with c (after defaults) at once.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if c.Project == "" {
		errs = append(errs, errors.New("bigquery: project is required"))
	}
	if !validID(c.Dataset) {
		errs = append(errs, fmt.Errorf("bigquery: dataset %q: use letters, digits and underscores", c.Dataset))
	}
	errs = append(errs, c.Batch.Validate(), c.Retry.Validate())
	return errors.Join(errs...)
}

// Validate reports every problem with p (after defaults) at once.
func (p BatchPolicy) Validate() error {
	p = p.WithDefaults()
	var errs []error
	if p.MaxRows < 1 || p.MaxRows > 50000 {
		errs = append(errs, fmt.Errorf("bigquery: batch max rows %d: want 1..50000", p.MaxRows))
	}
	if p.MaxBytes < 1 || p.MaxBytes > requestLimit*9/10 {
		errs = append(errs, fmt.Errorf("bigquery: batch max bytes %d: want 1..%d (insertAll limit 10 MB less headroom)", p.MaxBytes, requestLimit*9/10))
	}
	if p.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("bigquery: batch max age %s must not be negative", p.MaxAge))
	}
	if p.Workers < 1 || p.Workers > 64 {
		errs = append(errs, fmt.Errorf("bigquery: batch workers %d: want 1..64", p.Workers))
	}
	return errors.Join(errs...)
}

// Validate reports every problem with p (after defaults) at once.
func (p RetryPolicy) Validate() error {
	p = p.WithDefaults()
	var errs []error
	if p.Initial < 0 || p.Max < 0 || p.AttemptTimeout < 0 {
		errs = append(errs, errors.New("bigquery: retry durations must not be negative"))
	}
	if p.Max < p.Initial {
		errs = append(errs, fmt.Errorf("bigquery: retry max %s is below initial %s", p.Max, p.Initial))
	}
	if p.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("bigquery: retry max attempts %d: want at least 1", p.MaxAttempts))
	}
	return errors.Join(errs...)
}

func validID(s string) bool {
	if s == "" || len(s) > 1024 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
