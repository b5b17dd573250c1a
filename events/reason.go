package events

import (
	"errors"
	"fmt"
)

// Reason is a stable, machine-readable code for rejected input. Dead-letter
// entries and metrics carry it; alerting and dashboards branch on it.
type Reason string

// Reason codes. They are part of the contract: never rename one.
const (
	ReasonMalformedJSON        Reason = "malformed_json"
	ReasonPayloadTooLarge      Reason = "payload_too_large"
	ReasonUnknownSchemaVersion Reason = "unknown_schema_version"
	ReasonInvalidID            Reason = "invalid_id"
	ReasonInvalidTenantID      Reason = "invalid_tenant_id"
	ReasonInvalidEventType     Reason = "invalid_event_type"
	ReasonInvalidField         Reason = "invalid_field"
	ReasonInvalidAmount        Reason = "invalid_amount"
	ReasonNegativeAmount       Reason = "negative_amount"
	ReasonAmountOverCap        Reason = "amount_over_cap"
	ReasonUnknownCurrency      Reason = "unknown_currency"
	ReasonInvalidTimestamp     Reason = "invalid_timestamp"
	ReasonFutureTimestamp      Reason = "occurred_in_future"
	ReasonTimestampTooOld      Reason = "occurred_before_horizon"
	ReasonTooManyItems         Reason = "too_many_items"
	ReasonInvalidItem          Reason = "invalid_item"
	ReasonAttributeMismatch    Reason = "attribute_mismatch"
	// ReasonSinkRejected marks a valid order that a sink refused for good
	// (for example a BigQuery row error that retrying cannot fix).
	ReasonSinkRejected Reason = "sink_rejected"
)

// Reasons lists every input reason code, in a stable order, so metrics can
// pre-register one series per code.
var Reasons = []Reason{
	ReasonMalformedJSON, ReasonPayloadTooLarge, ReasonUnknownSchemaVersion,
	ReasonInvalidID, ReasonInvalidTenantID, ReasonInvalidEventType,
	ReasonInvalidField, ReasonInvalidAmount, ReasonNegativeAmount,
	ReasonAmountOverCap, ReasonUnknownCurrency, ReasonInvalidTimestamp,
	ReasonFutureTimestamp, ReasonTimestampTooOld, ReasonTooManyItems,
	ReasonInvalidItem, ReasonAttributeMismatch, ReasonSinkRejected,
}

// ValidationError says why an order event was rejected.
type ValidationError struct {
	Reason Reason
	Field  string // JSON field at fault, when there is one
	Detail string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.Reason, e.Detail)
	}
	return fmt.Sprintf("%s: %s: %s", e.Reason, e.Field, e.Detail)
}

// ReasonOf returns the reason code of a validation error anywhere in err's
// chain, and false for any other error.
func ReasonOf(err error) (Reason, bool) {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Reason, true
	}
	return "", false
}

func invalid(r Reason, field, format string, args ...any) *ValidationError {
	return &ValidationError{Reason: r, Field: field, Detail: fmt.Sprintf(format, args...)}
}
