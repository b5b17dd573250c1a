package events

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	goccy "github.com/goccy/go-json"
)

// scanAgrees checks the fast path against goccy on one payload: when
// scanWire accepts it, goccy must accept it too and fill the same wire
// struct. It reports whether the fast path took it.
func scanAgrees(t *testing.T, payload []byte) bool {
	t.Helper()
	var fast, ref wireOrder
	if !scanWire(string(payload), &fast) {
		return false
	}
	if err := goccy.Unmarshal(payload, &ref); err != nil {
		t.Fatalf("fast path accepted what goccy rejects (%v):\n%s", err, payload)
	}
	if len(fast.Items) == 0 && len(ref.Items) == 0 {
		fast.Items, ref.Items = nil, nil // nil and empty decode to the same Order
	}
	if !reflect.DeepEqual(fast, ref) {
		t.Fatalf("fast path and goccy differ on\n%s\nfast  %+v\ngoccy %+v", payload, fast, ref)
	}
	return true
}

func scanSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	files, _ := filepath.Glob("../testdata/orders/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	sample, err := os.ReadFile("../testdata/eventgen/sample.ndjson")
	if err != nil {
		tb.Fatal(err)
	}
	for line := range bytes.Lines(sample) {
		seeds = append(seeds, bytes.TrimSuffix(line, []byte("\n")))
	}
	return append(seeds, []byte(validOrder))
}

// TestScanWireTakesGeneratedTraffic checks that the fast path agrees with
// goccy on the generator's sample and takes every payload goccy decodes:
// the plain form is what producers send, so the fast path must not quietly
// fall back on it.
func TestScanWireTakesGeneratedTraffic(t *testing.T) {
	for _, p := range scanSeeds(t)[len(mustGlob(t)):] {
		var ref wireOrder
		goccyOK := goccy.Unmarshal(p, &ref) == nil
		if fast := scanAgrees(t, p); goccyOK && !fast && !bytes.Contains(p, []byte{'\\'}) {
			t.Errorf("fast path fell back on a plain payload:\n%s", p)
		}
	}
}

func mustGlob(t *testing.T) []string {
	files, err := filepath.Glob("../testdata/orders/*.json")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestScanWireForms pins which unusual forms leave the fast path; either
// way the decoded result must be goccy's.
func TestScanWireForms(t *testing.T) {
	mod := func(old, new string) string { return strings.Replace(validOrder, old, new, 1) }
	cases := []struct {
		name    string
		payload string
		fast    bool
	}{
		{"plain", validOrder, true},
		{"amount as number", mod(`"129.90"`, `129.9`), true},
		{"amount exponent", mod(`"129.90"`, `1.299e2`), true},
		{"unknown key skipped", mod(`"status"`, `"extra": {"a": [1, true, null, "x"]}, "status"`), true},
		{"customer null", mod(`"cus_42"`, `null`), true},
		{"empty items", mod(`[{"sku": "SKU-1", "quantity": 2, "unit_price": "64.95"}]`, `[]`), true},
		{"non-ASCII status", mod(`"pending"`, `"en attente é"`), true},
		{"version string", mod(`"schema_version": 1`, `"schema_version": "1"`), true},
		{"escape in string", mod(`"pending"`, `"pen\u0064ing"`), false},
		{"key in other case", mod(`"status"`, `"Status"`), false},
		{"duplicate key", mod(`"status": "pending"`, `"status": "pending", "status": "paid"`), false},
		{"version 2", mod(`"schema_version": 1`, `"schema_version": 2`), true},
		{"version -0", mod(`"schema_version": 1`, `"schema_version": -0`), true},
		{"version string 2", mod(`"schema_version": 1`, `"schema_version": "2"`), false},
		{"version 1.0", mod(`"schema_version": 1`, `"schema_version": 1.0`), false},
		{"quantity fraction", mod(`"quantity": 2`, `"quantity": 2.5`), false},
		{"quantity string", mod(`"quantity": 2`, `"quantity": "2"`), false},
		{"quantity overflow", mod(`"quantity": 2`, `"quantity": 99999999999999999999`), false},
		{"items null", mod(`[{"sku": "SKU-1", "quantity": 2, "unit_price": "64.95"}]`, `null`), false},
		{"event id number", mod(`"evt_8f1c"`, `17`), false},
		{"trailing garbage", validOrder + `x`, false},
		{"truncated", validOrder[:len(validOrder)-3], false},
		{"leading zero", mod(`"129.90"`, `0129.9`), false},
		{"invalid UTF-8", mod(`"pending"`, "\"pend\xffing\""), false},
		{"control character", mod(`"pending"`, "\"pend\x01ing\""), false},
		{"top-level null", `null`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := scanAgrees(t, []byte(c.payload)); got != c.fast {
				t.Fatalf("fast path took it: %v, want %v", got, c.fast)
			}
		})
	}
}

// FuzzScanWire: whatever the payload, when the fast path accepts it goccy
// accepts it with the same result.
func FuzzScanWire(f *testing.F) {
	for _, s := range scanSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		scanAgrees(t, payload)
	})
}

// TestDecodeDoesNotKeepPayload: the fast path reads the payload in place;
// the Order must own its strings, so a caller reusing its buffer (or the
// next decode) cannot change an order already decoded.
func TestDecodeDoesNotKeepPayload(t *testing.T) {
	d := NewDecoder(Limits{})
	payload := []byte(validOrder)
	o, err := d.Decode(payload, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	want := Order{EventID: "evt_8f1c", Type: OrderCreated, TenantID: "acme", OrderID: "ord_123",
		CustomerID: "cus_42", Status: "pending", Amount: 12990, Currency: "USD",
		OccurredAt: o.OccurredAt, Items: []Item{{SKU: "SKU-1", Quantity: 2, UnitPrice: 6495}}}
	for i := range payload {
		payload[i] = 'x'
	}
	other := strings.NewReplacer("evt_8f1c", "evt_9999", "acme", "beta", "SKU-1", "SKU-2").Replace(validOrder)
	if _, err := d.Decode([]byte(other), nil, now); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("order changed with its payload:\n%+v\nwant %+v", o, want)
	}
}
