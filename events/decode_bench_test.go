package events

import (
	"bufio"
	"bytes"
	stdjson "encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	jsonexp "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	goccy "github.com/goccy/go-json"
)

// benchSample is the generator's golden sample (testdata/eventgen): 400
// realistic order messages, about 1% malformed, with their publish times
// (the decoder's clock).
func benchSample(b *testing.B) (payloads [][]byte, nows []time.Time) {
	b.Helper()
	data, err := os.ReadFile("../testdata/eventgen/sample.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	for line := range bytes.Lines(data) {
		payloads = append(payloads, bytes.TrimSuffix(line, []byte("\n")))
	}
	f, err := os.Open("../testdata/eventgen/sample.expect.tsv")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		t, err := time.Parse(time.RFC3339Nano, cols[1])
		if err != nil {
			b.Fatal(err)
		}
		nows = append(nows, t)
	}
	if len(nows) != len(payloads) {
		b.Fatalf("%d payloads, %d times", len(payloads), len(nows))
	}
	return payloads, nows
}

// BenchmarkDecode is the whole decoder: JSON, validation, the Order value.
func BenchmarkDecode(b *testing.B) {
	payloads, nows := benchSample(b)
	d := NewDecoder(Limits{})
	var bytesIn int
	for _, p := range payloads {
		bytesIn += len(p)
	}
	b.SetBytes(int64(bytesIn / len(payloads)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := i % len(payloads)
		o, err := d.Decode(payloads[k], nil, nows[k])
		if err == nil && o.EventID == "" {
			b.Fatal("empty order")
		}
	}
}

// BenchmarkJSONDecoders compares JSON libraries on the decoder's own wire
// struct (same custom amount and version parsing): the part of Decode the
// library choice changes.
func BenchmarkJSONDecoders(b *testing.B) {
	payloads, _ := benchSample(b)
	libs := []struct {
		name      string
		unmarshal func([]byte, any) error
	}{
		{"goccy-go-json", goccy.Unmarshal},
		{"encoding-json", stdjson.Unmarshal},
		// go-json-experiment is the code behind GOEXPERIMENT=jsonv2's
		// encoding/json/v2; v1 semantics call the same UnmarshalJSON methods.
		{"go-json-experiment-v1", func(b []byte, v any) error { return jsonexp.Unmarshal(b, v, jsonv1.DefaultOptionsV1()) }},
	}
	for _, lib := range libs {
		b.Run(lib.name, func(b *testing.B) {
			var w wireOrder
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				items := w.Items[:cap(w.Items)]
				clear(items)
				w = wireOrder{Items: items[:0]}
				if err := lib.unmarshal(payloads[i%len(payloads)], &w); err != nil && i < len(payloads) && !strings.Contains(err.Error(), "") {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecodeItemsReuse: the items array kept between decodes (cleared only
// as far as the last decode wrote) never leaks a field into a later order,
// after a success, a rejection, or a payload too large to keep.
func TestDecodeItemsReuse(t *testing.T) {
	item := `{"sku":"S","quantity":1,"unit_price":"1.00"}`
	order := func(items ...string) []byte {
		return []byte(`{"schema_version":1,"event_id":"e","event_type":"order.created","tenant_id":"t","order_id":"o",` +
			`"total_amount":"1.00","currency":"USD","occurred_at":"2026-11-27T10:00:00Z","items":[` + strings.Join(items, ",") + `]}`)
	}
	many := make([]string, 1001)
	for i := range many {
		many[i] = item
	}
	noPrice := `{"sku":"S","quantity":1}`
	d := NewDecoder(Limits{})
	at := time.Date(2026, 11, 27, 10, 1, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		payload []byte
		reason  Reason
	}{
		{"three lines", order(item, item, item), ""},
		{"line without price after full lines", order(item, noPrice), ReasonInvalidItem},
		{"too many lines", order(many...), ReasonTooManyItems},
		{"line without price after too many", order(noPrice), ReasonInvalidItem},
		{"truncated mid-lines", order(item, item)[:200], ReasonMalformedJSON},
		{"line without price after truncated", order(item, noPrice, noPrice), ReasonInvalidItem},
		{"one line", order(item), ""},
	} {
		_, err := d.Decode(tc.payload, nil, at)
		got, _ := ReasonOf(err)
		if err == nil {
			got = ""
		}
		if got != tc.reason {
			t.Errorf("%s: reason %q, want %q (%v)", tc.name, got, tc.reason, err)
		}
	}
}
