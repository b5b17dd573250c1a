// Package schema embeds the JSON Schemas of Pulse's wire contracts so tools
// and tests can serve or check them.
package schema

import _ "embed"

// OrderV1 is the JSON Schema of the order event contract, version 1.
//
//go:embed order.v1.json
var OrderV1 []byte

// InsightV1 is the JSON Schema of the insight event contract, version 1.
//
//go:embed insight.v1.json
var InsightV1 []byte
