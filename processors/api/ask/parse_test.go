package ask

import (
	"slices"
	"testing"
	"time"
)

// now is Wednesday 2026-03-11 10:17 UTC.
var testNow = time.Date(2026, 3, 11, 10, 17, 30, 0, time.UTC)

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

func at(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, time.UTC) }

type want struct {
	intent   Intent
	metric   string
	from, to time.Time
	cmpFrom  time.Time // zero: no comparison
	cmpTo    time.Time
}

// TestParsePhrasings is the phrasing table: what each question must be
// understood as, at a fixed now.
func TestParsePhrasings(t *testing.T) {
	today, yesterday := day(3, 11), day(3, 10)
	tests := []struct {
		q string
		w want
	}{
		{"revenue yesterday", want{IntentMetric, MetricRevenue, yesterday, today, time.Time{}, time.Time{}}},
		{"What was our revenue yesterday?", want{IntentMetric, MetricRevenue, yesterday, today, time.Time{}, time.Time{}}},
		{"sales today", want{IntentMetric, MetricRevenue, today, testNow, time.Time{}, time.Time{}}},
		{"How much did we make today?", want{IntentMetric, MetricRevenue, today, testNow, time.Time{}, time.Time{}}},
		{"revenue", want{IntentMetric, MetricRevenue, today, testNow, time.Time{}, time.Time{}}},
		{"how many orders last week compared to the week before", want{IntentMetric, MetricOrders, day(3, 2), day(3, 9), day(2, 23), day(3, 2)}},
		{"orders last week vs the week before", want{IntentMetric, MetricOrders, day(3, 2), day(3, 9), day(2, 23), day(3, 2)}},
		{"how many orders this week versus last week", want{IntentMetric, MetricOrders, day(3, 9), testNow, day(3, 2), day(3, 2).Add(testNow.Sub(day(3, 9)))}},
		{"revenue this week compared to the previous week", want{IntentMetric, MetricRevenue, day(3, 9), testNow, day(3, 2), day(3, 2).Add(testNow.Sub(day(3, 9)))}},
		{"revenue today vs yesterday", want{IntentMetric, MetricRevenue, today, testNow, yesterday, yesterday.Add(testNow.Sub(today))}},
		{"sales today compared to the day before", want{IntentMetric, MetricRevenue, today, testNow, yesterday, yesterday.Add(testNow.Sub(today))}},
		{"revenue last month compared to the month before", want{IntentMetric, MetricRevenue, day(2, 1), day(3, 1), day(1, 1), day(2, 1)}},
		{"revenue growth last month", want{IntentMetric, MetricRevenue, day(2, 1), day(3, 1), day(1, 1), day(2, 1)}},
		{"orders week over week", want{IntentMetric, MetricOrders, today, testNow, day(3, 4), day(3, 4).Add(testNow.Sub(today))}},
		{"did we sell more yesterday than the day before yesterday", want{IntentMetric, MetricRevenue, yesterday, today, day(3, 9), yesterday}},
		{"revenue in the last 7 days compared to the 7 days before", want{IntentMetric, MetricRevenue, day(3, 4), today, day(2, 25), day(3, 4)}},
		{"any anomalies today?", want{IntentAnomalies, "", today, testNow, time.Time{}, time.Time{}}},
		{"were there any incidents yesterday", want{IntentAnomalies, "", yesterday, today, time.Time{}, time.Time{}}},
		{"anything unusual this week?", want{IntentAnomalies, "", day(3, 9), testNow, time.Time{}, time.Time{}}},
		{"alerts in the last 24 hours", want{IntentAnomalies, "", at(3, 10, 10), at(3, 11, 10), time.Time{}, time.Time{}}},
		{"any revenue anomalies", want{IntentAnomalies, "", today, testNow, time.Time{}, time.Time{}}},
		{"best day of the week for revenue", want{IntentBestDay, MetricRevenue, day(2, 11), today, time.Time{}, time.Time{}}},
		{"which day of the week has the most orders", want{IntentBestDay, MetricOrders, day(2, 11), today, time.Time{}, time.Time{}}},
		{"busiest day last month", want{IntentBestDay, MetricRevenue, day(2, 1), day(3, 1), time.Time{}, time.Time{}}},
		{"worst day of the week for sales", want{IntentWorstDay, MetricRevenue, day(2, 11), today, time.Time{}, time.Time{}}},
		{"slowest day for orders in the last 2 weeks", want{IntentWorstDay, MetricOrders, day(2, 25), today, time.Time{}, time.Time{}}},
		{"peak hour for orders", want{IntentBestHour, MetricOrders, day(3, 4), today, time.Time{}, time.Time{}}},
		{"show me last month's sales analytics", want{IntentSummary, "", day(2, 1), day(3, 1), time.Time{}, time.Time{}}},
		{"give me a summary of yesterday", want{IntentSummary, "", yesterday, today, time.Time{}, time.Time{}}},
		{"how did we do this month?", want{IntentSummary, "", day(3, 1), testNow, time.Time{}, time.Time{}}},
		{"yesterday", want{IntentSummary, "", yesterday, today, time.Time{}, time.Time{}}},
		{"average order value this month", want{IntentMetric, MetricAverageOrderValue, day(3, 1), testNow, time.Time{}, time.Time{}}},
		{"AOV last week", want{IntentMetric, MetricAverageOrderValue, day(3, 2), day(3, 9), time.Time{}, time.Time{}}},
		{"average basket yesterday", want{IntentMetric, MetricAverageOrderValue, yesterday, today, time.Time{}, time.Time{}}},
		{"unique customers in the last 24 hours", want{IntentMetric, MetricUniqueCustomers, at(3, 10, 10), at(3, 11, 10), time.Time{}, time.Time{}}},
		{"how many customers yesterday", want{IntentMetric, MetricUniqueCustomers, yesterday, today, time.Time{}, time.Time{}}},
		{"how many shoppers last week", want{IntentMetric, MetricUniqueCustomers, day(3, 2), day(3, 9), time.Time{}, time.Time{}}},
		{"cancellation rate last month", want{IntentMetric, MetricCancellationRate, day(2, 1), day(3, 1), time.Time{}, time.Time{}}},
		{"how many cancellations today", want{IntentMetric, MetricCancelledOrders, today, testNow, time.Time{}, time.Time{}}},
		{"refunds this week", want{IntentMetric, MetricRefunds, day(3, 9), testNow, time.Time{}, time.Time{}}},
		{"items sold yesterday", want{IntentMetric, MetricItemsSold, yesterday, today, time.Time{}, time.Time{}}},
		{"completed orders last 3 days", want{IntentMetric, MetricCompletedOrders, day(3, 8), today, time.Time{}, time.Time{}}},
		{"orders in the past hour", want{IntentMetric, MetricOrders, at(3, 11, 9), at(3, 11, 10), time.Time{}, time.Time{}}},
		{"revenue last 6h", want{IntentMetric, MetricRevenue, at(3, 11, 4), at(3, 11, 10), time.Time{}, time.Time{}}},
		{"revenue over the past three days", want{IntentMetric, MetricRevenue, day(3, 8), today, time.Time{}, time.Time{}}},
		{"revenue past week", want{IntentMetric, MetricRevenue, day(3, 4), today, time.Time{}, time.Time{}}},
		{"revenue on monday", want{IntentMetric, MetricRevenue, day(3, 9), day(3, 10), time.Time{}, time.Time{}}},
		{"orders last wednesday", want{IntentMetric, MetricOrders, day(3, 4), day(3, 5), time.Time{}, time.Time{}}},
		{"sales on 2026-02-14", want{IntentMetric, MetricRevenue, day(2, 14), day(2, 15), time.Time{}, time.Time{}}},
		{"revenue last weekend", want{IntentMetric, MetricRevenue, day(3, 7), day(3, 9), time.Time{}, time.Time{}}},
		{"revenue this year", want{IntentMetric, MetricRevenue, day(1, 1), testNow, time.Time{}, time.Time{}}},
		{"transactions this hour", want{IntentMetric, MetricOrders, at(3, 11, 10), testNow, time.Time{}, time.Time{}}},
		{"REVENUE   YESTERDAY!!!", want{IntentMetric, MetricRevenue, yesterday, today, time.Time{}, time.Time{}}},
		{"what's the weather like", want{intent: IntentUnknown}},
		{"", want{intent: IntentUnknown}},
		{"tell me a joke", want{intent: IntentUnknown}},
	}
	if len(tests) < 40 {
		t.Fatalf("the table must hold at least 40 phrasings, has %d", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			got := Parse(tc.q, testNow, Config{})
			if got.Intent != tc.w.intent || got.Metric != tc.w.metric {
				t.Fatalf("understood intent %q metric %q, want %q %q (%+v)", got.Intent, got.Metric, tc.w.intent, tc.w.metric, got)
			}
			if tc.w.intent == IntentUnknown {
				return
			}
			if !got.Period.From.Equal(tc.w.from) || !got.Period.To.Equal(tc.w.to) {
				t.Errorf("period %s [%s, %s), want [%s, %s)", got.Period.Label, got.Period.From, got.Period.To, tc.w.from, tc.w.to)
			}
			switch {
			case tc.w.cmpFrom.IsZero() && got.Compare != nil:
				t.Errorf("unexpected comparison %+v", *got.Compare)
			case !tc.w.cmpFrom.IsZero() && got.Compare == nil:
				t.Errorf("no comparison, want [%s, %s)", tc.w.cmpFrom, tc.w.cmpTo)
			case got.Compare != nil && (!got.Compare.From.Equal(tc.w.cmpFrom) || !got.Compare.To.Equal(tc.w.cmpTo)):
				t.Errorf("comparison %s [%s, %s), want [%s, %s)", got.Compare.Label, got.Compare.From, got.Compare.To, tc.w.cmpFrom, tc.w.cmpTo)
			}
			if got.Period.Label == "" {
				t.Error("period without a label")
			}
		})
	}
}

// TestParseDeterministic: the same question at the same now parses the
// same, and a zone moves calendar periods.
func TestParseDeterministic(t *testing.T) {
	a := Parse("orders last week compared to the week before", testNow, Config{})
	b := Parse("orders last week compared to the week before", testNow, Config{})
	if a.Intent != b.Intent || !a.Period.From.Equal(b.Period.From) || !a.Compare.From.Equal(b.Compare.From) {
		t.Fatalf("two parses differ: %+v %+v", a, b)
	}
	tokyo := time.FixedZone("JST", 9*3600)
	u := Parse("revenue yesterday", testNow, Config{Location: tokyo})
	if want := time.Date(2026, 3, 10, 0, 0, 0, 0, tokyo); !u.Period.From.Equal(want) {
		t.Fatalf("yesterday in JST starts %s, want %s", u.Period.From, want)
	}
	if !slices.Contains(Parse("revenue", testNow, Config{}).Defaulted, "period") {
		t.Fatal("a question without a period must say the period was assumed")
	}
}

// FuzzParse: no question makes Parse panic or return a period that ends
// before it starts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"revenue yesterday", "last 99999999999999 days", "2026-02-30", "vs vs vs", "twenty five hours"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		u := Parse(q, testNow, Config{})
		if u.Intent != IntentUnknown && u.Period.To.Before(u.Period.From) {
			t.Fatalf("%q: period ends before it starts: %+v", q, u.Period)
		}
	})
}
