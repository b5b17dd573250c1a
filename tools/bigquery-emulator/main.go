//go:build tools

// Package tools pins the BigQuery emulator used by the sink's integration
// tests. It is a separate module so the emulator's very large dependency
// graph never enters the pulse binary or its go.mod.
package tools

import _ "github.com/goccy/bigquery-emulator/cmd/bigquery-emulator"
