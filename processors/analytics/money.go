package analytics

import (
	"math"
	"strconv"

	"github.com/olympus-cloud/pulse/events"
)

var currencySymbols = map[string]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹",
	"CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "KRW": "₩", "BRL": "R$", "MXN": "MX$",
}

// formatMoney renders minor units for a sentence: "$12,400" from 100 major
// units up (cents would be noise), "$9.95" below; unknown symbols as
// "CHF 12,400".
func formatMoney(currency string, minor float64) string {
	digits, ok := events.MinorDigits(currency)
	if !ok {
		digits = 2
	}
	major := minor / math.Pow10(digits)
	sign := ""
	if major < 0 {
		sign, major = "-", -major
	}
	var num string
	if major >= 100 || digits == 0 {
		num = groupThousands(strconv.FormatFloat(math.Round(major), 'f', 0, 64))
	} else {
		num = strconv.FormatFloat(major, 'f', digits, 64)
	}
	if sym, ok := currencySymbols[currency]; ok {
		return sign + sym + num
	}
	return sign + currency + " " + num
}

// formatValue renders a metric value: money for revenue, a whole count
// otherwise.
func formatValue(metric, currency string, v float64) string {
	if metric == MetricRevenue {
		return formatMoney(currency, v)
	}
	return formatCount(v)
}

func formatCount(v float64) string {
	s := groupThousands(strconv.FormatFloat(math.Abs(math.Round(v)), 'f', 0, 64))
	if math.Round(v) < 0 {
		return "-" + s
	}
	return s
}

func groupThousands(s string) string {
	if len(s) <= 3 {
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func formatPercent(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }
