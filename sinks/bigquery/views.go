package bigquery

import (
	"bytes"
	"embed"
	"fmt"
	"sort"
	"strings"
	"text/template"

	"github.com/olympus-cloud/pulse/events"
)

//go:embed views/*.sql
var viewFiles embed.FS

// Views lists the analyst views in creation order (a view may read the
// views before it).
var Views = []string{
	"orders_dedup",
	"tenant_metrics_latest",
	"insights_dedup",
	"daily_metrics",
	"customer_segments",
}

type digitGroup struct {
	Digits int
	Scale  int    // 10^Digits
	Codes  string // 'JPY', 'KRW', ...
}

type viewParams struct {
	Project, Dataset string
	Digits           []digitGroup // currencies whose minor digits are not 2
}

// ViewSQL renders a view's standard SQL for a project and dataset.
func ViewSQL(view, project, dataset string) (string, error) {
	text, err := viewFiles.ReadFile("views/" + view + ".sql")
	if err != nil {
		return "", fmt.Errorf("view %s: %w", view, err)
	}
	t, err := template.New(view).Parse(string(text))
	if err != nil {
		return "", fmt.Errorf("view %s: %w", view, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, viewParams{Project: project, Dataset: dataset, Digits: nonTwoDigitCurrencies()}); err != nil {
		return "", fmt.Errorf("view %s: %w", view, err)
	}
	return b.String(), nil
}

// nonTwoDigitCurrencies groups the known currencies whose minor unit is not
// two digits, from events' own table, so the views round as the contract
// does.
func nonTwoDigitCurrencies() []digitGroup {
	by := map[int][]string{}
	var code [3]byte
	for a := byte('A'); a <= 'Z'; a++ {
		for b := byte('A'); b <= 'Z'; b++ {
			for c := byte('A'); c <= 'Z'; c++ {
				code = [3]byte{a, b, c}
				if d, ok := events.MinorDigits(string(code[:])); ok && d != 2 {
					by[d] = append(by[d], "'"+string(code[:])+"'")
				}
			}
		}
	}
	var out []digitGroup
	for d, codes := range by {
		scale := 1
		for range d {
			scale *= 10
		}
		out = append(out, digitGroup{Digits: d, Scale: scale, Codes: strings.Join(codes, ", ")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Digits < out[j].Digits })
	return out
}
