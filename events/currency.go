package events

// minorDigits maps active ISO 4217 currency codes to their number of minor
// unit digits. Codes absent here are unknown. Funds and metals codes (XAU,
// XDR, ...) are left out on purpose: they are not order currencies.
var minorDigits = func() map[string]int8 {
	m := make(map[string]int8, 180)
	two := []string{
		"AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN",
		"BAM", "BBD", "BDT", "BGN", "BMD", "BND", "BOB", "BRL", "BSD", "BTN",
		"BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CNY", "COP", "CRC", "CUP",
		"CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD",
		"FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL",
		"HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR",
		"KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL",
		"MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
		"MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN",
		"PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD",
		"SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
		"SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD",
		"TZS", "UAH", "USD", "UYU", "UZS", "VES", "WST", "XCD", "YER", "ZAR",
		"ZMW", "ZWG",
	}
	for _, c := range two {
		m[c] = 2
	}
	for _, c := range []string{
		"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
		"UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
	} {
		m[c] = 0
	}
	for _, c := range []string{"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"} {
		m[c] = 3
	}
	for _, c := range []string{"CLF", "UYW"} {
		m[c] = 4
	}
	return m
}()

// currencies holds each known code with its digits: the decoder returns
// the code from here, so an order's currency never keeps its payload alive
// in a long-lived aggregate.
var currencies = func() map[string]currencyInfo {
	m := make(map[string]currencyInfo, len(minorDigits))
	for c, d := range minorDigits {
		m[c] = currencyInfo{code: c, digits: d}
	}
	return m
}()

type currencyInfo struct {
	code   string
	digits int8
}

// MinorDigits reports how many minor-unit digits an ISO 4217 currency has,
// and whether the code is known.
func MinorDigits(currency string) (int, bool) {
	c, ok := currencies[currency]
	return int(c.digits), ok
}
