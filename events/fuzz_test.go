package events

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode checks that no payload panics the decoder, that every rejection
// carries a reason code, and that every accepted order survives a round trip
// through its own wire form unchanged. Seeds: testdata/orders/*.json.
func FuzzDecode(f *testing.F) {
	seeds, err := filepath.Glob("../testdata/orders/*.json")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed corpus in testdata/orders: %v", err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
		f.Add(b, "acme")
	}
	f.Fuzz(func(t *testing.T, payload []byte, tenantAttr string) {
		var attrs map[string]string
		if tenantAttr != "" {
			attrs = map[string]string{"tenant_id": tenantAttr}
		}
		d := NewDecoder(Limits{})
		o, err := d.Decode(payload, attrs, now)
		if err != nil {
			if _, ok := ReasonOf(err); !ok {
				t.Fatalf("rejection without a reason code: %v", err)
			}
			return
		}
		if !ValidTenantID(o.TenantID) || o.Amount < 0 || o.EventID == "" || o.Type == 0 {
			t.Fatalf("accepted an invalid order: %+v", o)
		}
		if tenantAttr != "" && tenantAttr != o.TenantID {
			t.Fatalf("accepted tenant %q under attribute %q", o.TenantID, tenantAttr)
		}
		wire, _ := o.MarshalJSON()
		o2, err := NewDecoder(Limits{}).Decode(wire, o.Attributes(), now)
		if err != nil {
			t.Fatalf("own wire form %s rejected: %v", wire, err)
		}
		if !reflect.DeepEqual(o, o2) {
			t.Fatalf("round trip changed the order:\n%+v\n%+v", o, o2)
		}
	})
}
