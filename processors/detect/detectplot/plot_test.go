package detectplot

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/processors/detect"
)

func TestSaveDrawsAPNG(t *testing.T) {
	var in strings.Builder
	in.WriteString("timestamp,value\n")
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 300 {
		v := 100 + float64(i%7)
		if i == 250 {
			v = 300
		}
		fmt.Fprintf(&in, "%s,%v\n", at.Add(time.Duration(i)*time.Hour).Format(time.RFC3339), v)
	}
	var pts []detect.Point
	if _, err := detect.ScoreCSV(strings.NewReader(in.String()), &bytes.Buffer{}, detect.Config{}, func(p detect.Point) { pts = append(pts, p) }); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out.png")
	if err := Save(path, "test", pts); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 1000 || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("not a PNG: %d bytes, %v", len(b), err)
	}
	if err := Save(path, "empty", nil); err == nil {
		t.Error("empty series plotted")
	}
}
