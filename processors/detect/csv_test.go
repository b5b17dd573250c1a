package detect

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestScoreCSV(t *testing.T) {
	var in strings.Builder
	in.WriteString("timestamp,value\n")
	vals := noise(21, 200, 50, 2)
	vals[150] = 90
	start := time.Date(2014, 7, 1, 0, 0, 0, 0, time.UTC)
	at := start
	for i, v := range vals {
		// Irregular intervals and both timestamp forms.
		at = at.Add(time.Duration(5+i%3) * time.Minute)
		ts := at.Format("2006-01-02 15:04:05")
		if i%2 == 1 {
			ts = at.Format(time.RFC3339)
		}
		fmt.Fprintf(&in, "%s,%s\n", ts, strconv.FormatFloat(v, 'f', -1, 64))
	}
	in.WriteString("2014-07-02 00:00:00,\n") // missing value
	var out bytes.Buffer
	n, err := ScoreCSV(strings.NewReader(in.String()), &out, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	inRecs, _ := csv.NewReader(strings.NewReader(in.String())).ReadAll()
	if n != len(vals)+1 || len(recs) != len(inRecs) {
		t.Fatalf("rows %d, out %d, in %d", n, len(recs), len(inRecs))
	}
	if strings.Join(recs[0], ",") != "timestamp,value,anomaly_score" {
		t.Fatalf("header %v", recs[0])
	}
	for i := 1; i < len(recs); i++ {
		if recs[i][0] != inRecs[i][0] || recs[i][1] != inRecs[i][1] {
			t.Fatalf("row %d changed: %v vs %v", i, recs[i], inRecs[i])
		}
		s, err := strconv.ParseFloat(recs[i][2], 64)
		if err != nil || s < 0 || s > 1 {
			t.Fatalf("row %d score %q", i, recs[i][2])
		}
		if want := i == 151; (s >= 0.5) != want {
			t.Errorf("row %d (value %s): score %v", i, recs[i][1], s)
		}
	}
	if recs[len(recs)-1][2] != "0.000000" {
		t.Errorf("missing value scored %s", recs[len(recs)-1][2])
	}
}

func TestScoreCSVErrors(t *testing.T) {
	for _, in := range []string{"timestamp,value\nyesterday,3\n", "timestamp,value\n2014-07-01 00:00:00\n"} {
		if _, err := ScoreCSV(strings.NewReader(in), &bytes.Buffer{}, Config{}, nil); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: error %v", in, err)
		}
	}
	if _, err := ScoreCSV(strings.NewReader(""), &bytes.Buffer{}, Config{Threshold: -1}, nil); err == nil {
		t.Error("bad config accepted")
	}
}
