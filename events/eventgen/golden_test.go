package eventgen

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/eventgen")

// TestGolden pins a small sample byte for byte, so a change to the
// generator's output shows up in review. The files double as fixtures with
// known outcomes: sample.ndjson is what `pulse generate --out` writes,
// sample.expect.tsv gives each line's publish time and expected reason.
func TestGolden(t *testing.T) {
	g, msgs := drain(t, Config{Seed: 1, Tenants: 5, MaxEvents: 400, MalformedShare: 0.1, PayloadOnly: true,
		TopOrdersPerDay: 2000, AnomalyRate: 2, Duration: 3 * 24 * time.Hour})
	var ndjson, expect bytes.Buffer
	expect.WriteString("line\tpublish_at\texpect\tfault\tduplicate\tlate\n")
	for i, m := range msgs {
		ndjson.Write(m.Payload)
		ndjson.WriteByte('\n')
		fmt.Fprintf(&expect, "%d\t%s\t%s\t%s\t%t\t%t\n", i+1, m.PublishAt.Format(time.RFC3339Nano), m.Expect, m.Fault, m.Duplicate, m.Late)
	}
	labels, err := json.MarshalIndent(g.Labels(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{
		"sample.ndjson":      ndjson.Bytes(),
		"sample.expect.tsv":  expect.Bytes(),
		"sample.labels.json": append(labels, '\n'),
	} {
		path := filepath.Join("..", "..", "testdata", "eventgen", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output; if the change is intended, run go test -run Golden -update", name)
		}
	}
}
