package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/api"
	"github.com/olympus-cloud/pulse/processors/api/browsertest"
)

// publishOrders publishes orders through the real Pub/Sub client and
// waits until the broker has taken every one.
func publishOrders(t *testing.T, ctx context.Context, pub *pubsub.Publisher, orders []events.Order) {
	t.Helper()
	results := make([]*pubsub.PublishResult, 0, len(orders))
	for i := range orders {
		b, err := orders[i].MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, pub.Publish(ctx, &pubsub.Message{Data: b, Attributes: orders[i].Attributes()}))
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDashboardShowsADetectedBurst is the dashboard end to end on the real
// pipeline: pulse run on the embedded Pub/Sub with the API, 30 five-minute
// windows of ordinary traffic for acme published through Pub/Sub (past the
// detectors' 24-window warm-up), the dashboard in headless Chromium (token,
// tenant, 5-minute charts drawn from those windows), then a burst of ten
// times the usual orders published through Pub/Sub. The windows engine
// closes the burst window, the detectors open an incident, and the page
// shows it through its stream, without a reload. Screenshot:
// testdata/artifacts/dashboard-detected-burst.png.
//
// Every step waits on a condition (acks, API answers, DOM polls), never on
// a fixed sleep: event time is laid out in the past so closes depend on
// watermarks only, and the idle timeout is far longer than the test.
func TestDashboardShowsADetectedBurst(t *testing.T) {
	bin := browsertest.Chromium(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testRunConfig(t)
	cfg.APITokens = apiToken("dash-secret", "acme")
	cfg.APIRate, cfg.APIBurst = 1000, 1000
	cfg.DetectSizes = []string{"5m"}
	cfg.IdleTimeout = time.Hour // closes by watermark only, however slow the machine
	p, stop := startTestPipeline(t, ctx, cfg, zerolog.WarnLevel)
	defer stop()
	pub := p.conn.Client.Publisher(cfg.OrdersTopic)
	defer pub.Stop()

	// Event time: the burst window ends at least five minutes ago, so the
	// event that closes it (a minute past its end) is not in the future.
	const step = 5 * time.Minute
	burstEnd := time.Now().UTC().Truncate(step).Add(-step)
	burstStart := burstEnd.Add(-step)
	const history = 30
	first := burstStart.Add(-history * step)
	rng := rand.New(rand.NewPCG(11, 3))
	var published int64
	order := func(id string, typ events.EventType, at time.Time, amount int64, customer string) events.Order {
		return events.Order{EventID: id + "-" + typ.String(), Type: typ, TenantID: "acme", OrderID: id, CustomerID: customer,
			Amount: amount, Currency: "USD", OccurredAt: at, Items: []events.Item{{SKU: "tea", Quantity: 1, UnitPrice: amount}}}
	}
	// One window at a time, each fully acked before the next: its first
	// result is whole, whatever order the subscriber's streams deliver in.
	publishWindow := func(start time.Time, n int, prefix string, customers int) {
		t.Helper()
		var batch []events.Order
		for j := range n {
			at := start.Add(time.Duration(j) * (step - 2*time.Second) / time.Duration(n))
			amount := int64(2000 + rng.IntN(1000))
			id := fmt.Sprintf("%s-%d-%d", prefix, start.Unix(), j)
			customer := fmt.Sprintf("c%d", j%customers)
			batch = append(batch, order(id, events.OrderCreated, at, amount, customer),
				order(id, events.OrderCompleted, at.Add(time.Second), amount, customer))
		}
		publishOrders(t, ctx, pub, batch)
		published += int64(len(batch))
		waitFor(t, 90*time.Second, "window "+start.Format(time.TimeOnly)+" acked", func() bool { return p.stats.Acked.Load() >= published })
	}
	for i := range history {
		publishWindow(first.Add(time.Duration(i)*step), 16+rng.IntN(9), "h", 40)
	}
	// The last history window closes when the burst's events arrive; the
	// ones before are closed and known to the API.
	var page api.MetricsPage
	waitFor(t, 60*time.Second, "the history windows in the API", func() bool {
		page = api.MetricsPage{}
		apiGet(t, p, "dash-secret", "/v1/tenants/acme/metrics?window=5m&from=4h&limit=1000", &page)
		return len(page.Items) >= history-1
	})

	bctx := browsertest.Open(t, bin, "http://"+p.ops.Addr()+"/", 1280, 1000)
	bt, cancelT := context.WithTimeout(bctx, 4*time.Minute)
	defer cancelT()
	count := func(sel string) string { return fmt.Sprintf(`document.querySelectorAll(%q).length`, sel) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bt, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(90*time.Second))
	}
	choose := func(sel, value string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change')); return true })()`, sel, value))(ctx, tg)
			return err
		})
	}
	do("enter a token", chromedp.WaitVisible(chromedp.ID("token")), chromedp.SendKeys(chromedp.ID("token"), "dash-secret"),
		chromedp.Click(chromedp.ID("connect")), chromedp.WaitReady(chromedp.CSS(`#tenant option[value="acme"]`)))
	do("pick the tenant and five-minute windows",
		choose("#size", "5m"), choose("#tenant", "acme"),
		chromedp.WaitVisible(chromedp.ID("board")),
		poll(count(`#chart-orders svg circle`)+fmt.Sprintf(` >= %d`, history-1)),
		poll(count(`#chart-revenue svg polygon.band`)+` === 1`),
		poll(`document.querySelector('#status').textContent === 'live'`))
	before, err := chromedp.Run(bt, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#incidents li[data-incident-id]')].map((e) => e.dataset.incidentId)`))
	if err != nil {
		t.Fatal(err)
	}
	circles, err := chromedp.Run(bt, chromedp.Evaluate[int](count(`#chart-orders svg circle`)))
	if err != nil {
		t.Fatal(err)
	}

	// The burst: 200 orders from 200 customers where about 20 from 40 is
	// usual, then one order a minute past the window's end to move the
	// watermark beyond it.
	publishWindow(burstStart, 200, "burst", 200)
	closer := order("closer", events.OrderCreated, burstEnd.Add(time.Minute+time.Second), 2500, "c1")
	publishOrders(t, ctx, pub, []events.Order{closer})

	// The detectors' incident, as the API reports it.
	var incident api.Incident
	waitFor(t, 90*time.Second, "an open orders incident on the burst window", func() bool {
		var inc api.Page[api.Incident]
		if apiGet(t, p, "dash-secret", "/v1/tenants/acme/incidents?state=open", &inc) != http.StatusOK {
			return false
		}
		for _, x := range inc.Items {
			if x.Metric == "orders" && x.FirstWindow.Start.Equal(burstStart) && x.FirstWindow.Size == "5m" {
				incident = x
				return true
			}
		}
		return false
	})
	if slices.Contains(before, incident.IncidentID) {
		t.Fatalf("incident %s was on the page before the burst", incident.IncidentID)
	}
	if incident.Observed != 200 || incident.Expected >= 40 {
		t.Fatalf("burst incident observed %v expected %v, want 200 against about 20", incident.Observed, incident.Expected)
	}

	do("see the burst and its incident without a reload",
		chromedp.WaitVisible(chromedp.CSS(`#incidents li[data-incident-id="`+incident.IncidentID+`"]`)),
		poll(count(`#chart-orders svg circle`)+fmt.Sprintf(` > %d`, circles)),
		poll(count(`#chart-orders svg circle.out`)+` >= 1`))
	kept, err := chromedp.Run(bt, chromedp.Evaluate[bool](`performance.getEntriesByType('navigation').length === 1 && document.querySelector('#token').value !== ''`))
	if err != nil || !kept {
		t.Fatalf("the page reloaded or lost its state (%v)", err)
	}
	shot, err := chromedp.Run(bt, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.WriteArtifact(t, "dashboard-detected-burst.png", shot)
}
