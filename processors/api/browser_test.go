package api

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors"
	"github.com/olympus-cloud/pulse/processors/api/browsertest"
)

// TestDashboardInChromium loads the dashboard in headless Chromium, enters
// a token, picks a tenant, waits for the charts to draw the History's
// windows, then closes a burst window through the real windows engine,
// observes an anomaly insight standing in for the detectors' verdict, and
// waits for the new window and the incident to appear without a reload; it
// also covers ask and the phone layout. Screenshots (laptop and phone) go
// to testdata/artifacts/. TestDashboardShowsADetectedBurst in cmd/pulse
// has the whole pipeline (Pub/Sub, engine, detectors) open the incident.
func TestDashboardInChromium(t *testing.T) {
	bin := browsertest.Chromium(t)
	f := newFixture(t, func(c *Config) { c.Now = time.Now })
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)

	// 36 closed hours of ordinary traffic, and one other tenant.
	now := time.Now().UTC()
	first := now.Truncate(time.Hour).Add(-36 * time.Hour)
	rng := rand.New(rand.NewPCG(7, 9))
	for i := range 35 {
		orders := int64(40 + rng.IntN(20))
		f.srv.Observe(window("acme", "1h", first.Add(time.Duration(i)*time.Hour), 1, "USD", orders, orders, orders*(2500+int64(rng.IntN(500)))))
	}
	f.srv.Observe(window("globex", "1h", first, 1, "EUR", 1, 1, 100))

	bctx := browsertest.Open(t, bin, f.http.URL+"/", 1280, 900)
	ctx, cancel := context.WithTimeout(bctx, 45*time.Second)
	defer cancel()

	count := func(sel string) string { return fmt.Sprintf(`document.querySelectorAll(%q).length`, sel) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(20*time.Second))
	}
	do("enter a token", chromedp.WaitVisible(chromedp.ID("token")), chromedp.SendKeys(chromedp.ID("token"), secretAcme),
		chromedp.Click(chromedp.ID("connect")), chromedp.WaitReady(chromedp.CSS(`#tenant option[value="acme"]`)))
	options, err := chromedp.Run(ctx, chromedp.Evaluate[int](count(`#tenant option:not([value=""])`)))
	if err != nil || options != 1 {
		t.Fatalf("the acme token sees %d tenants, want 1 (%v)", options, err)
	}
	do("pick the tenant",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { const s = document.querySelector('#tenant'); s.value = 'acme'; s.dispatchEvent(new Event('change')); return true })()`)(ctx, tg)
			return err
		}),
		chromedp.WaitVisible(chromedp.ID("board")),
		poll(count(`#chart-revenue svg circle`)+` === 35`),
		poll(count(`#chart-customers svg circle`)+` === 35 && `+count(`#chart-revenue svg polygon.band`)+` === 1`),
		poll(`document.querySelector('#status').textContent === 'live'`))
	caption, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#chart-revenue .last`)))
	if err != nil || caption == "" || caption == "no data" {
		t.Fatalf("revenue caption %q (%v)", caption, err)
	}

	// The anomalous burst: ten times the usual orders in the last hour,
	// through the real windows engine and outputs.
	out := processors.NewOutputs(processors.OutputsConfig{Workers: 1}, nopPublisher{}, nil, log)
	defer func() {
		if err := out.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	out.Observe(f.srv.Observe)
	ws, err := processors.NewWindowState(processors.WindowStateConfig{}, out.Emit, processors.NewStats(), log)
	if err != nil {
		t.Fatal(err)
	}
	burst := first.Add(35 * time.Hour)
	dec := events.NewDecoder(events.Limits{MaxAge: -1})
	for i := range 500 {
		at := burst.Add(time.Duration(i) * time.Second)
		for _, typ := range []string{"order.created", "order.completed"} {
			if err := ws.Apply(order(t, dec, fmt.Sprintf("b%d", i), typ, "25.00", at), at); err != nil {
				t.Fatal(err)
			}
		}
	}
	ws.Advance(burst.Add(3 * time.Hour)) // idle: the burst hour closes
	// The detectors' verdict on it (their own tests cover when they fire).
	in := anomaly("acme", events.KindAnomalyOpened, "inc-burst", "orders", burst, events.SeverityCritical, 9.5)
	in.Observed, in.Expected, in.Message = 500, 50, "orders 500 in the hour, expected about 50"
	f.srv.Observe(in)

	do("see the burst and the incident without a reload",
		poll(count(`#chart-revenue svg circle`)+` === 36`),
		poll(count(`#chart-orders svg circle.out`)+` >= 1`),
		chromedp.WaitVisible(chromedp.CSS(`#incidents li[data-incident-id="inc-burst"]`)),
		poll(`document.querySelector('#incident-count').textContent === '1'`),
		chromedp.WaitVisible(chromedp.CSS(`#insights li[data-insight-id="`+in.InsightID+`"]`)))
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`performance.getEntriesByType('navigation').length === 1 && document.querySelector('#token').value !== ''`))
	if err != nil || !kept {
		t.Fatalf("the page reloaded or lost its state (%v)", err)
	}

	do("ask", chromedp.SendKeys(chromedp.ID("question"), "any anomalies in the last 3 hours?"), chromedp.Click(chromedp.CSS(`#askform button`)),
		poll(`document.querySelector('#answer').textContent.includes('anomal')`))

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	browsertest.WriteArtifact(t, "dashboard-laptop.png", shot)
	do("phone layout", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		poll(`document.querySelector('#chart-revenue svg').getBoundingClientRect().width <= 390`))
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		t.Fatal(err)
	}
	if shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatal(err)
	}
	browsertest.WriteArtifact(t, "dashboard-phone.png", shot)
	if overflow {
		t.Error("the dashboard scrolls sideways on a phone-sized screen")
	}
}
