package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/api"
)

// apiGet calls the API of a running pipeline with a bearer secret and
// decodes the JSON answer.
func apiGet(t *testing.T, p *pipeline, secret, path string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+p.ops.Addr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

func apiToken(secret, scope string) string {
	sum := sha256.Sum256([]byte(secret))
	return "test:" + hex.EncodeToString(sum[:]) + ":" + scope
}

// Orders published through Pub/Sub in the last minutes show in /metrics
// before their hour closes: the open hour is listed last, partial, and the
// closed and partial hours together come to every order and every cent
// published. With the window state in memory and in Redis.
func TestOpenHourThroughTheAPI(t *testing.T) {
	for _, state := range []string{"memory", "redis"} {
		t.Run(state, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := testRunConfig(t)
			cfg.APITokens = apiToken("s3cret", "*")
			cfg.APIRate, cfg.APIBurst = 1000, 1000
			cfg.IdleTimeout = 30 * time.Minute // the open hour stays open however slow the machine
			if state == "redis" {
				url, prefix := requireRedis(t)
				cfg.State, cfg.RedisURL, cfg.RedisPrefix, cfg.LeaseShards, cfg.LeaseTTL = "redis", url, prefix, 8, 3*time.Second
			}
			p, stop := startTestPipeline(t, ctx, cfg, zerolog.WarnLevel)
			defer stop()
			pub := p.conn.Client.Publisher(cfg.OrdersTopic)
			defer pub.Stop()
			now := time.Now().UTC()
			var orders, revenue int64
			for i := range 12 {
				at := now.Add(-9*time.Minute + time.Duration(i)*30*time.Second)
				amount := int64(1000 + 37*i)
				for _, typ := range []events.EventType{events.OrderCreated, events.OrderCompleted} {
					o := events.Order{EventID: fmt.Sprintf("e%d-%d", i, typ), Type: typ, TenantID: "acme", OrderID: fmt.Sprintf("o%d", i),
						CustomerID: fmt.Sprintf("c%d", i%5), Amount: amount, Currency: "USD", OccurredAt: at}
					b, err := o.MarshalJSON()
					if err != nil {
						t.Fatal(err)
					}
					if _, err := pub.Publish(ctx, &pubsub.Message{Data: b, Attributes: o.Attributes()}).Get(ctx); err != nil {
						t.Fatal(err)
					}
				}
				orders++
				revenue += amount
			}
			var page api.MetricsPage
			var partial int
			// The tenant is known to the API once its first minutes close.
			waitFor(t, 60*time.Second, "every order in /metrics", func() bool {
				page = api.MetricsPage{}
				if apiGet(t, p, "s3cret", "/v1/tenants/acme/metrics?window=1h&from=3h", &page) != http.StatusOK {
					return false
				}
				var n, completed, rev int64
				partial = 0
				for _, it := range page.Items {
					n += it.Metrics.Orders
					completed += it.Metrics.CompletedOrders
					rev += it.Metrics.Revenue
					if it.Partial {
						partial++
					}
				}
				return n == orders && completed == orders && rev == revenue
			})
			if partial == 0 || !page.Items[len(page.Items)-1].Partial || page.PartialUnavailable != "" {
				t.Fatalf("no open hour listed last: %+v (%s)", page.Items, page.PartialUnavailable)
			}
			for i, it := range page.Items {
				if i > 0 && it.Window.Start.Before(page.Items[i-1].Window.Start) {
					t.Fatalf("hours out of order: %+v", page.Items)
				}
				if it.Partial && it.Revision != 0 {
					t.Fatalf("partial hour with revision %d", it.Revision)
				}
			}
		})
	}
}
