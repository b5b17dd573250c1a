package backtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olympus-cloud/pulse/events"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/windows")

const dir = "../../testdata/windows"

// TestScenarios runs every testdata/windows/NAME.events.ndjson and compares
// the insights with NAME.golden.ndjson and the report (with every invalid
// line and its reason) with NAME.report.txt.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(dir, "*.events.ndjson"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in %s: %v", dir, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".events.ndjson")
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var out, report bytes.Buffer
			rep, err := Run(context.Background(), bytes.NewReader(in), &out, Options{
				Invalid: func(line int, reason events.Reason, err error) {
					fmt.Fprintf(&report, "line %d: %s\n", line, reason)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&report, rep.String())
			checkInsights(t, out.Bytes())
			golden(t, filepath.Join(dir, name+".golden.ndjson"), out.Bytes())
			golden(t, filepath.Join(dir, name+".report.txt"), report.Bytes())
			// Same input, same bytes: the run is deterministic.
			var again bytes.Buffer
			if _, err := Run(context.Background(), bytes.NewReader(in), &again, Options{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), again.Bytes()) {
				t.Error("two runs of the same input differ")
			}
		})
	}
}

// checkInsights verifies what must hold whatever the golden says: each line
// decodes, revisions of a window are 1, 2, ... and kinds match revisions.
func checkInsights(t *testing.T, b []byte) {
	t.Helper()
	revs := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var in events.Insight
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			t.Fatalf("insight %s: %v", sc.Bytes(), err)
		}
		k := in.TenantID + "|" + in.Window.Size + "|" + in.Window.Start.String() + "|" + in.Currency
		if in.Revision <= revs[k] {
			t.Errorf("%s: revision %d after %d", k, in.Revision, revs[k])
		}
		revs[k] = in.Revision
		if (in.Revision > 1) != (in.Kind == events.KindWindowCorrection) || in.Metrics == nil {
			t.Errorf("%s rev %d kind %s metrics %v", k, in.Revision, in.Kind, in.Metrics)
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range max(len(g), len(w)) {
			var gl, wl []byte
			if i < len(g) {
				gl = g[i]
			}
			if i < len(w) {
				wl = w[i]
			}
			if !bytes.Equal(gl, wl) {
				t.Errorf("%s line %d differs (check, then run with -update):\n got: %s\nwant: %s", path, i+1, gl, wl)
				return
			}
		}
	}
}

func TestReadLineTooLong(t *testing.T) {
	long := strings.Repeat("x", events.DefaultMaxPayloadBytes+10)
	in := long + "\n" + `{"bad"` + "\n"
	var reasons []events.Reason
	rep, err := Run(context.Background(), strings.NewReader(in), &bytes.Buffer{}, Options{
		Invalid: func(_ int, r events.Reason, _ error) { reasons = append(reasons, r) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lines != 2 || len(reasons) != 2 || reasons[0] != events.ReasonPayloadTooLarge || reasons[1] != events.ReasonMalformedJSON {
		t.Fatalf("report %+v reasons %v", rep, reasons)
	}
}

// An event dated far ahead of everything before it is rejected as
// occurred_in_future instead of moving the clock past every window.
func TestFutureJumpIsRejected(t *testing.T) {
	line := func(id, at string) string {
		return `{"schema_version":1,"event_id":"` + id + `","event_type":"order.created","tenant_id":"t1","order_id":"o` + id +
			`","total_amount":"10.00","currency":"USD","occurred_at":"` + at + `"}` + "\n"
	}
	in := line("a", "2026-01-05T10:00:00Z") + line("b", "2031-01-01T00:00:00Z") + line("c", "2026-01-05T10:30:00Z") +
		line("d", "2026-01-05T11:30:00Z")
	var out strings.Builder
	rep, err := Run(context.Background(), strings.NewReader(in), &out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Invalid[events.ReasonFutureTimestamp] != 1 || rep.Applied != 3 || rep.Dropped != 0 {
		t.Fatalf("report %s: want the 2031 event rejected and the rest applied on time", rep.String())
	}
}
