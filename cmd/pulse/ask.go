package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/api"
	"github.com/olympus-cloud/pulse/processors/api/ask"
	"github.com/olympus-cloud/pulse/processors/detect"
	"github.com/olympus-cloud/pulse/windows"
)

// AskCmd is `pulse ask`: a plain-language question about one tenant,
// answered from an NDJSON file of order events run through the windows and
// detectors offline (--events), or by a running `pulse run` (--server).
type AskCmd struct {
	Tenant   string `name:"tenant" required:"" help:"Tenant the question is about."`
	Question string `arg:"" help:"The question, e.g. \"revenue yesterday compared to the day before\"."`
	Events   string `name:"events" help:"NDJSON file of v1 order events to answer from ('-' for stdin)."`
	Server   string `name:"server" env:"PULSE_API_URL" help:"Base URL of a running pulse (e.g. http://localhost:8080) to ask instead of --events."`
	Token    string `name:"token" env:"PULSE_API_TOKEN" help:"Bearer token for --server (prefer the env variable: flags show in ps)."`
	Zone     string `name:"zone" default:"UTC" help:"Time zone of days and weeks (and of daily windows with --events)."`
	Now      string `name:"now" help:"Answer as of this RFC 3339 time (default: now, or with --events the last event's time)."`
	JSON     bool   `name:"json" help:"Print the full answer as JSON (what was understood, figures, suggestions)."`
}

// Run answers and prints the answer and what was understood.
func (c *AskCmd) Run(g *Globals) error {
	if (c.Events == "") == (c.Server == "") {
		return errors.New("give exactly one of --events FILE or --server URL")
	}
	if !events.ValidTenantID(c.Tenant) {
		return fmt.Errorf("--tenant %q is not a valid tenant id", c.Tenant)
	}
	zone, err := time.LoadLocation(c.Zone)
	if err != nil {
		return fmt.Errorf("--zone: %w", err)
	}
	var now time.Time
	if c.Now != "" {
		if now, err = time.Parse(time.RFC3339, c.Now); err != nil {
			return fmt.Errorf("--now: %w", err)
		}
	}
	var res ask.Result
	if c.Server != "" {
		if res, err = c.remote(g.Ctx); err != nil {
			return err
		}
	} else {
		h, last, err := c.offline(g.Ctx, zone)
		if err != nil {
			return err
		}
		if now.IsZero() {
			now = last
		}
		res = ask.Ask(h, c.Tenant, c.Question, now, ask.Config{Location: zone})
	}
	if c.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Println(res.Answer)
	u := res.Understood
	if u.Intent != ask.IntentUnknown {
		line := "understood: " + string(u.Intent)
		if u.Metric != "" {
			line += ", metric " + u.Metric
		}
		line += ", period " + u.Period.Label
		if u.Compare != nil {
			line += ", compared with " + u.Compare.Label
		}
		fmt.Fprintln(os.Stderr, line)
	}
	for _, s := range res.Suggestions {
		fmt.Println("  try: " + s)
	}
	return nil
}

// offline runs the file through the windows engine and the detectors, as
// `pulse run` would, into a History; it returns the last event time.
func (c *AskCmd) offline(ctx context.Context, zone *time.Location) (*api.History, time.Time, error) {
	var in io.Reader = os.Stdin
	if c.Events != "-" {
		f, err := os.Open(c.Events)
		if err != nil {
			return nil, time.Time{}, err
		}
		defer f.Close()
		in = f
	}
	h, err := api.NewHistory(api.HistoryConfig{MaxTenants: 1,
		WindowsPerSize: map[string]int{"1m": 1, "5m": 1, "1h": 24 * 400, "1d": 400}, MaxInsights: 5000, MaxIncidents: 5000})
	if err != nil {
		return nil, time.Time{}, err
	}
	eng, err := windows.NewEngine(windows.Config{DefaultZone: zone})
	if err != nil {
		return nil, time.Time{}, err
	}
	mon, err := detect.NewMonitor(detect.MonitorConfig{Detector: detect.Config{Location: zone}})
	if err != nil {
		return nil, time.Time{}, err
	}
	var clock time.Time
	emit := func(cl windows.Closed) {
		h.Add(cl.Insight(clock))
		if cl.Revision == 1 && (cl.Window.Size == "1h" || cl.Window.Size == "1d") {
			for _, a := range mon.Observe(cl.TenantID, cl.Window, cl.Metrics, cl.Window.End) {
				h.Add(a)
			}
		}
	}
	// A history file is complete: the tenant's events are applied in event
	// time order, so no window closes before all of its events are in (a
	// file in delivery order would otherwise leave events too late).
	dec := events.NewDecoder(events.Limits{MaxAge: -1})
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // no event of a history file is in the future
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), events.DefaultMaxPayloadBytes+2)
	var orders []events.Order
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return nil, time.Time{}, err
		}
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		o, err := dec.Decode(b, nil, far)
		if err != nil || o.TenantID != c.Tenant {
			continue // other tenants' and invalid lines do not answer this question
		}
		orders = append(orders, o)
	}
	if err := sc.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("read %s: %w", c.Events, err)
	}
	slices.SortStableFunc(orders, func(a, b events.Order) int { return a.OccurredAt.Compare(b.OccurredAt) })
	lastSecond := int64(-1 << 62)
	for i := range orders {
		o := &orders[i]
		clock = o.OccurredAt
		if _, err := eng.Apply(o, clock); err != nil {
			return nil, time.Time{}, fmt.Errorf("event %s: %w", o.EventID, err)
		}
		if s := clock.Unix(); s != lastSecond {
			lastSecond = s
			if err := eng.Advance(clock, emit); err != nil {
				return nil, time.Time{}, err
			}
		}
	}
	if err := eng.Flush(emit); err != nil {
		return nil, time.Time{}, err
	}
	if clock.IsZero() {
		return nil, time.Time{}, fmt.Errorf("%s has no valid events of tenant %s", c.Events, c.Tenant)
	}
	return h, clock, nil
}

// remote asks a running pulse.
func (c *AskCmd) remote(ctx context.Context) (ask.Result, error) {
	var res ask.Result
	u := strings.TrimRight(c.Server, "/") + "/v1/tenants/" + url.PathEscape(c.Tenant) + "/ask?q=" + url.QueryEscape(c.Question)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return res, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return res, fmt.Errorf("ask %s: %w", c.Server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return res, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(body, &e) // a non-JSON body leaves the status alone
		return res, fmt.Errorf("ask %s: %s %s: %s", c.Server, resp.Status, e.Error.Code, e.Error.Message)
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return res, fmt.Errorf("ask %s: decode answer: %w", c.Server, err)
	}
	return res, nil
}
