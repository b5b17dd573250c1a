package detect

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Point is one scored row of a CSV series.
type Point struct {
	Timestamp, Value string // the input text, unchanged
	At               time.Time
	Score            Score
}

// timeLayouts are the accepted timestamp forms, tried in order; forms
// without a zone are read as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTimestamp reads RFC 3339 or "2014-07-01 00:30:00"-style timestamps.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q: want RFC 3339 or 2006-01-02 15:04:05", s)
}

// ScoreCSV reads a "timestamp,value" CSV series from r (header optional;
// columns found by name, else the first two), scores every row with one
// Detector in input order, and writes "timestamp,value,anomaly_score" to w:
// one row per input row, the input text unchanged. An empty or non-numeric
// value scores 0 and leaves the detector alone. each, if not nil, sees every
// point (for plots). It returns the number of rows scored.
func ScoreCSV(r io.Reader, w io.Writer, cfg Config, each func(Point)) (int, error) {
	det, err := NewDetector(cfg)
	if err != nil {
		return 0, err
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"timestamp", "value", "anomaly_score"}); err != nil {
		return 0, err
	}
	tsCol, valCol := 0, 1
	rows, line := 0, 0
	out := make([]string, 3)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rows, fmt.Errorf("read csv: %w", err)
		}
		line++
		if line == 1 && len(rec) > 0 {
			if _, err := ParseTimestamp(rec[0]); err != nil {
				tsCol, valCol = headerColumns(rec)
				continue
			}
		}
		if len(rec) <= max(tsCol, valCol) {
			return rows, fmt.Errorf("line %d: want a timestamp and a value, got %d fields", line, len(rec))
		}
		at, err := ParseTimestamp(rec[tsCol])
		if err != nil {
			return rows, fmt.Errorf("line %d: %w", line, err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[valCol]), 64)
		if err != nil {
			v = math.NaN()
		}
		s := det.Observe(at, v)
		out[0], out[1], out[2] = rec[tsCol], rec[valCol], strconv.FormatFloat(s.AnomalyScore(), 'f', 6, 64)
		if err := cw.Write(out); err != nil {
			return rows, err
		}
		if each != nil {
			each(Point{Timestamp: rec[tsCol], Value: rec[valCol], At: at, Score: s})
		}
		rows++
	}
	cw.Flush()
	return rows, cw.Error()
}

// headerColumns finds the timestamp and value columns of a header row.
func headerColumns(h []string) (ts, val int) {
	ts, val = 0, 1
	for i, name := range h {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "timestamp", "time", "ts", "date", "datetime":
			ts = i
		case "value", "y":
			val = i
		}
	}
	return ts, val
}
