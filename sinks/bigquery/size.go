package bigquery

import (
	"fmt"
	"math"

	"cloud.google.com/go/bigquery"
)

// rowSize is an upper estimate of a row's bytes in an insertAll request:
// {"insertId":"…","json":{…}}, plus one byte for the separating comma.
// Strings count twice their length when they hold anything JSON escapes,
// which over-counts only rare control characters.
func rowSize(insertID string, v map[string]bigquery.Value) int {
	return len(insertID) + 24 + valueSize(v)
}

func valueSize(v any) int {
	switch x := v.(type) {
	case nil:
		return 4
	case string:
		return stringSize(x)
	case bool:
		return 5
	case int, int64:
		return 20
	case float64:
		return 24
	case map[string]bigquery.Value:
		n := 2
		for k, e := range x {
			n += len(k) + 4 + valueSize(e)
		}
		return n
	case []bigquery.Value:
		n := 2
		for _, e := range x {
			n += 1 + valueSize(e)
		}
		return n
	default:
		return len(fmt.Sprint(x)) + 2
	}
}

func stringSize(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return 6*len(s) + 2 // worst case: every byte \u00XX
		}
	}
	return len(s) + 2
}

// finite rejects NaN and infinities, which JSON cannot carry.
func finite(id, table string, fs ...float64) error {
	for _, f := range fs {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return rejected(table, id, fmt.Sprintf("non-finite float %v", f))
		}
	}
	return nil
}
