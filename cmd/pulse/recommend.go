package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/recommend"
)

// RecommendCmd answers "what is bought with SKU" offline, from an NDJSON
// file of v1 order events, with the same model the service runs.
type RecommendCmd struct {
	Events   string        `required:"" type:"path" help:"NDJSON file of v1 order events, one a line ('-' for stdin)."`
	Tenant   string        `required:"" help:"Tenant to recommend for."`
	SKU      string        `name:"sku" required:"" help:"SKU to list the items bought with."`
	Limit    int           `default:"10" help:"Most items to list."`
	At       string        `help:"Instant to decay counts to, RFC 3339 (default: the tenant's last completion or refund)."`
	HalfLife time.Duration `name:"half-life" default:"720h" help:"Recency half-life of baskets; negative disables decay."`
	JSON     bool          `name:"json" help:"Print the result as JSON."`

	MinBaskets   float64 `name:"min-baskets" default:"30" help:"Decayed baskets a tenant needs before any recommendation."`
	MinItemCount float64 `name:"min-sku-baskets" default:"5" help:"Decayed baskets the SKU must be in."`
	MinPairCount float64 `name:"min-pair-baskets" default:"3" help:"Decayed baskets a pair must share to be recommended."`
}

// recommendMaxLine bounds one line in memory; the decoder's own payload
// limit (256 KiB) is lower, so a longer line is rejected either way.
const recommendMaxLine = 1 << 20

// recommendDecodeNow is the decoder's clock: after any event, so nothing is
// "in the future", with the age check off (MaxAge -1) for old history.
var recommendDecodeNow = time.Date(9999, time.December, 31, 0, 0, 0, 0, time.UTC)

// recommendTally counts what the file held.
type recommendTally struct {
	Lines       int                   `json:"lines"`
	Decoded     int                   `json:"decoded"`
	Undecodable int                   `json:"undecodable"`
	ByReason    map[events.Reason]int `json:"undecodable_by_reason,omitempty"`
	Tenant      int                   `json:"tenant_events"`
	Last        time.Time             `json:"last_event"` // last completion or refund of the tenant
}

// Run learns from the tenant's events in the file and prints the result. A
// cold start is an answer, not an error.
func (c *RecommendCmd) Run(g *Globals) error {
	cfg := recommend.Config{
		HalfLife: c.HalfLife, MinBaskets: c.MinBaskets, MinItemCount: c.MinItemCount, MinPairCount: c.MinPairCount,
	}
	m, err := recommend.New(cfg)
	if err != nil {
		return fmt.Errorf("recommend config: %w", err)
	}
	if c.HalfLife == 0 {
		return errors.New("half-life 0: give a duration, or a negative one to disable decay")
	}
	var in io.Reader = os.Stdin
	if c.Events != "-" {
		f, err := os.Open(c.Events)
		if err != nil {
			return err
		}
		defer f.Close() // read-only: a close error cannot lose data
		in = f
	}
	tally, err := recommendLearn(in, c.Tenant, m)
	if err != nil {
		return fmt.Errorf("read %s: %w", c.Events, err)
	}
	at := tally.Last
	if c.At != "" {
		if at, err = time.Parse(time.RFC3339Nano, c.At); err != nil {
			return fmt.Errorf("--at: %w", err)
		}
	}
	res, err := m.Recommend(c.Tenant, c.SKU, c.Limit, at)
	if err != nil {
		return err
	}
	st := m.Stats()
	g.Log.Info().Str("tenant_id", c.Tenant).Int("lines", tally.Lines).Int("decoded", tally.Decoded).
		Int("undecodable", tally.Undecodable).Int("tenant_events", tally.Tenant).
		Int64("baskets", st.Completed).Int64("duplicates", st.Duplicates).
		Int64("refunds_exact", st.RefundsExact).Int64("refunds_approx", st.RefundsApprox).
		Int64("refunds_ignored", st.RefundsIgnored).Int64("truncated_baskets", st.Truncated).
		Msg("recommend: events read")
	if c.JSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Input  recommendTally   `json:"input"`
			Result recommend.Result `json:"result"`
		}{tally, res})
	}
	return recommendPrint(os.Stdout, tally, res, c.HalfLife)
}

// recommendLearn decodes every non-empty line, feeds tenant's orders to m,
// and counts the rest.
func recommendLearn(r io.Reader, tenant string, m *recommend.Model) (recommendTally, error) {
	t := recommendTally{ByReason: map[events.Reason]int{}}
	dec := events.NewDecoder(events.Limits{MaxAge: -1})
	br := bufio.NewReaderSize(r, recommendMaxLine)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			t.Lines++
			t.Undecodable++
			t.ByReason[events.ReasonPayloadTooLarge]++
			for errors.Is(err, bufio.ErrBufferFull) { // skip the rest of the line
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				return t, nil
			}
			if err != nil {
				return t, err
			}
			continue
		}
		if err != nil && err != io.EOF {
			return t, err
		}
		if b := trimLine(line); len(b) > 0 {
			t.Lines++
			o, derr := dec.Decode(b, nil, recommendDecodeNow)
			if derr != nil {
				t.Undecodable++
				var ve *events.ValidationError
				if errors.As(derr, &ve) {
					t.ByReason[ve.Reason]++
				} else {
					t.ByReason[events.ReasonMalformedJSON]++
				}
			} else {
				t.Decoded++
				if o.TenantID == tenant {
					t.Tenant++
					// Only what the model learns from sets the default
					// query time, so a stray far-future created or
					// cancelled event does not age every basket.
					if (o.Type == events.OrderCompleted || o.Type == events.OrderRefunded) && o.OccurredAt.After(t.Last) {
						t.Last = o.OccurredAt
					}
					m.Observe(&o)
				}
			}
		}
		if err == io.EOF {
			return t, nil
		}
	}
}

func trimLine(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func recommendPrint(w io.Writer, t recommendTally, r recommend.Result, halfLife time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "read %d lines: %d decoded, %d undecodable", t.Lines, t.Decoded, t.Undecodable)
	if t.Undecodable > 0 {
		reasons := make([]string, 0, len(t.ByReason))
		for reason, n := range t.ByReason {
			reasons = append(reasons, fmt.Sprintf("%s %d", reason, n))
		}
		slices.Sort(reasons)
		fmt.Fprintf(&b, " (%s)", strings.Join(reasons, ", "))
	}
	fmt.Fprintf(&b, "; %d events of tenant %s\n", t.Tenant, r.Tenant)
	decay := "no decay"
	if halfLife > 0 {
		decay = "half-life " + halfLife.String()
	}
	fmt.Fprintf(&b, "tenant %s, SKU %s, at %s (%s): %.1f baskets, %.1f with %s\n",
		r.Tenant, r.SKU, r.At.Format(time.RFC3339), decay, r.Baskets, r.SKUCount, r.SKU)
	if r.ColdStart != "" {
		fmt.Fprintf(&b, "no recommendation (%s): %s\n", r.ColdStart, r.Reason)
		_, err := io.WriteString(w, b.String())
		return err
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rank\tsku\tlift\tconfidence\tsupport\tbaskets\t")
	for i, it := range r.Items {
		fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.1f%%\t%.2f%%\t%.1f\t\n", i+1, it.SKU, it.Lift, 100*it.Confidence, 100*it.Support, it.Count)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.PairErrorBound > 0.05 {
		fmt.Fprintf(&b, "pair counts are guaranteed lower bounds; the bounded sketch may under-count any pair by at most %.1f baskets\n", r.PairErrorBound)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
